package xensim.fuzz;

import static xensim.abi.XsWire.*;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import xensim.abi.XsMessage;

/**
 * What C xenstored answers an unprivileged guest (domain 1 of {@link XsWireCampaign}'s world),
 * from tools/xenstored/core.c: process_message checks the type (ENOSYS for an unknown type or one
 * without a handler: XS_WATCH_EVENT, XS_ERROR, the removed XS_RESTRICT), then XS_FLAG_PRIV
 * (EACCES), then the transaction id unless XS_FLAG_NOTID (ENOENT); then the handler: onearg()
 * wants exactly one NUL, at the end (else EINVAL); canonicalize() allows [A-Za-z0-9-/_@], '@' first
 * only where special nodes are allowed (GET_PERMS, WATCH), no trailing '/', no "//", at most
 * path-max (2048) characters after {@code /local/domain/N/} (else EINVAL); a node outside the
 * guest's domain it may not read or write, existing or not, is EACCES (errno_from_parents), except
 * B's node "shared" which it may read.
 *
 * <p>Each expectation has a rule name; {@link #PENDING} lists those today's core does not follow
 * (asserted only under {@link XsWireCampaign.Rules#C_XENSTORED}).
 */
final class CXenstored {
    private CXenstored() {}

    /**
     * Rules today's core breaks, with what it does instead:
     * ENOSYS (unknown types get EINVAL), onearg (a path without its NUL, or with more strings, is
     * accepted), order (argument checks come before the transaction lookup), pathlen (ENOSPC, not
     * EINVAL), chars ('.' accepted), special (GET_PERMS of "@..." is EINVAL, not the node's
     * permissions), priv (IS_DOMAIN_INTRODUCED answers a guest), txend (TRANSACTION_END checks the
     * transaction before its argument), watchargs (a WATCH whose token lacks its NUL is accepted),
     * domainpath (GET_DOMAIN_PATH rejects what atoi() reads as 0), quota-order (a value over
     * the node-size quota is ENOSPC before the permission check says EACCES), rmroot (RM "/" is
     * EINVAL before the permission check says EACCES), setperms (SET_PERMS counts a permission
     * without its NUL).
     */
    static final Set<String> PENDING = Set.of("ENOSYS", "onearg", "order", "pathlen", "chars", "special", "priv", "txend",
            "watchargs", "domainpath", "quota-order", "rmroot", "setperms");

    static final String DOMAIN = "/local/domain/1";

    /** The errno name C xenstored answers, "OK" for success, or null where A's own state decides. */
    static String expected(XsMessage m, Set<Integer> openTx, String actual, XsWireCampaign.Rules rules) {
        Expect e = expect(m, openTx);
        if (e == null) return null;
        if (rules == XsWireCampaign.Rules.TODAY && PENDING.contains(e.rule())) return null;
        Campaign.checked("xenstored " + e.rule());
        return e.errno();
    }

    record Expect(String rule, String errno) {}

    static Expect expect(XsMessage m, Set<Integer> openTx) {
        int type = m.type();
        if (type < 0 || type >= XS_TYPE_COUNT || type == XS_WATCH_EVENT || type == XS_ERROR || type == 20) {
            return new Expect("ENOSYS", "ENOSYS");
        }
        switch (type) {
            case XS_CONTROL, XS_INTRODUCE, XS_RELEASE, XS_RESUME, XS_SET_TARGET -> { return new Expect("privileged", "EACCES"); }
            case XS_IS_DOMAIN_INTRODUCED -> { return new Expect("priv", "EACCES"); }
            case XS_SET_FEATURE, XS_GET_QUOTA, XS_SET_QUOTA -> { return new Expect("privileged", "EACCES"); }
            default -> { }
        }
        boolean notid = type == XS_WATCH || type == XS_UNWATCH || type == XS_GET_FEATURE;
        if (!notid && m.txId() != 0 && !openTx.contains(m.txId())) {
            // today's core checks some arguments first: only a well-formed request is sure to say ENOENT
            return new Expect(wellFormed(m) ? "tx" : "order", "ENOENT");
        }
        byte[] p = m.payload();
        switch (type) {
            case XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR, XS_RM -> {
                String arg = onearg(p);
                if (arg == null) return new Expect("onearg", "EINVAL");
                boolean special = type == XS_GET_PERMS;
                String why = invalid(arg, special);
                if (why != null) return new Expect(why, "EINVAL");
                String abs = absolute(arg);
                if (abs.startsWith("@")) return new Expect("special", "EACCES"); // special nodes are dom0's
                boolean write = type == XS_MKDIR || type == XS_RM;
                if (type == XS_RM && abs.equals("/")) return new Expect("rmroot", "EACCES"); // get_node() refuses before the "/" check
                return access(abs, write);
            }
            case XS_WRITE -> {
                int nul = indexOf(p, 0);
                if (nul < 0) return new Expect("write-nul", "EINVAL");
                String path = new String(p, 0, nul, StandardCharsets.UTF_8);
                String why = invalid(path, false);
                if (why != null) return new Expect(why, "EINVAL");
                Expect e = access(absolute(path), true);
                if (e == null) return null;
                // today's core checks the node-size quota before the permission
                return p.length - nul - 1 > 2048 ? new Expect("quota-order", e.errno()) : e;
            }
            case XS_WATCH, XS_UNWATCH -> {
                if (countStrings(p) < 2) return new Expect(countNul(p) == 1 && indexOf(p, 0) < p.length - 1 ? "watchargs" : "watch", "EINVAL");
                return null;
            }
            case XS_TRANSACTION_START -> {
                if (m.txId() != 0) return new Expect("tx-busy", "EBUSY");
                return null;
            }
            case XS_TRANSACTION_END -> {
                String arg = onearg(p);
                boolean argOk = arg != null && (arg.equals("T") || arg.equals("F"));
                if (!argOk) {
                    if (arg == null && (p.length > 0 && (p[p.length - 1] != 0 || countNul(p) > 1))) return new Expect("onearg", "EINVAL");
                    return new Expect(m.txId() == 0 ? "txend" : "txend-arg", "EINVAL");
                }
                if (m.txId() == 0) return new Expect("txend-none", "ENOENT");
                return null;
            }
            case XS_GET_DOMAIN_PATH -> {
                String arg = onearg(p);
                if (arg == null) return new Expect("onearg", "EINVAL");
                return new Expect(arg.matches("[0-9]{1,5}") && Integer.parseInt(arg) < 0x7FF0 ? "domainpath-ok" : "domainpath", "OK");
            }
            case XS_DIRECTORY_PART -> {
                if (countNul(p) != 2) return new Expect(countNul(p) < 2 ? "dirpart" : "dirpart-extra", "EINVAL");
                String path = new String(p, 0, indexOf(p, 0), StandardCharsets.UTF_8);
                String why = invalid(path, false);
                if (why != null) return new Expect(why, "EINVAL");
                return access(absolute(path), false);
            }
            case XS_SET_PERMS -> {
                if (countNul(p) < 2) return new Expect("setperms", "EINVAL");
                return null;
            }
            case XS_RESET_WATCHES -> {
                return new Expect("reset", "OK");
            }
            default -> {
                return null;
            }
        }
    }

    /** Requests today's core looks at in C's order anyway: a valid own path, the right number of strings. */
    private static boolean wellFormed(XsMessage m) {
        byte[] p = m.payload();
        return switch (m.type()) {
            case XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR, XS_RM -> {
                String arg = onearg(p);
                yield arg != null && arg.length() < 1024 && invalid(arg, false) == null && !(m.type() == XS_RM && arg.equals("/"));
            }
            case XS_TRANSACTION_START -> false; // today: EBUSY for any tx id
            default -> false;
        };
    }

    /** A guest's access outside its own domain: EACCES, except B's readable node "shared". */
    static Expect access(String abs, boolean write) {
        if (abs.equals(DOMAIN) || abs.startsWith(DOMAIN + "/")) return null;
        if (abs.equals("/local/domain/2/shared")) return new Expect("perm", write ? "EACCES" : "OK");
        if (abs.startsWith("/local/domain/2/shared/")) {
            // missing below a node it may read: the parent tells ENOENT for a read, EACCES for a write
            return new Expect("perm", write ? "EACCES" : "ENOENT");
        }
        return new Expect("perm", "EACCES");
    }

    /** onearg(): the payload holds exactly one NUL, at its end. */
    static String onearg(byte[] p) {
        if (p.length == 0 || indexOf(p, 0) != p.length - 1) return null;
        return new String(p, 0, p.length - 1, StandardCharsets.UTF_8);
    }

    /** Why canonicalize() refuses {@code path} (the rule name), or null if it is valid. */
    static String invalid(String path, boolean allowSpecial) {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '/'
                    || c == '_' || c == '@';
            if (!ok) return c == '.' ? "chars" : "path";
        }
        if (path.startsWith("@")) return allowSpecial ? null : "path";
        String abs = absolute(path);
        if (abs.endsWith("/") && !abs.equals("/")) return "path";
        if (abs.contains("//")) return "path";
        int localOff = 0;
        java.util.regex.Matcher mm = java.util.regex.Pattern.compile("^/local/domain/[0-9]{1,5}/").matcher(abs);
        if (mm.find()) localOff = mm.end();
        if (abs.length() - localOff > XENSTORE_REL_PATH_MAX) return "pathlen";
        return null;
    }

    static String absolute(String path) {
        if (path.startsWith("/") || path.startsWith("@")) return path;
        return DOMAIN + "/" + path;
    }

    static int indexOf(byte[] p, int b) {
        for (int i = 0; i < p.length; i++) if (p[i] == b) return i;
        return -1;
    }

    static int countNul(byte[] p) {
        int n = 0;
        for (byte x : p) if (x == 0) n++;
        return n;
    }

    /** get_strings(): the number of NUL-terminated strings. */
    static int countStrings(byte[] p) {
        return countNul(p);
    }
}
