package xensim.fuzz;

import static xensim.abi.XsWire.*;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import xensim.abi.XsMessage;

/**
 * What C xenstored answers an unprivileged guest (domain 1 of {@link XsWireCampaign}'s world), as
 * {@link xensim.dom0.xenstored.XenstoredCore.Flavour#DEFAULT} (4.22 and master) does, from
 * tools/xenstored (checked against xen.git c447b7308b, RELEASE-4.22.0):
 * <ul>
 * <li>core.c process_message: ENOSYS for a type without a wire_funcs handler (XS_WATCH_EVENT,
 * XS_ERROR, the retired 20, from XS_TYPE_COUNT on), then EACCES for an XS_FLAG_PRIV type
 * (IS_DOMAIN_INTRODUCED too), then transaction_lookup (ENOENT for an unknown non-zero tx id)
 * unless XS_FLAG_NOTID (WATCH and UNWATCH only; GET_FEATURE has no flag in 4.22, XS_FLAG_PRIV in
 * 4.21); only then the handler.</li>
 * <li>onearg(): exactly one NUL, at the end (else EINVAL). canonicalize(): [A-Za-z0-9-/_@]
 * (valid_chars, no '.'), '@' first only where special nodes are allowed (GET_PERMS, SET_PERMS,
 * WATCH, UNWATCH), no trailing '/', no "//", the path after {@code /local/domain/N/} shorter
 * than path-max (domain_max_chk: 4.22's domain_quota_val_exceeds says {@code val >= quota}), all
 * EINVAL.</li>
 * <li>get_node / get_node_chk_perm / errno_from_parents: a node outside the guest's domain it may
 * not read or write, existing or not, is EACCES, except B's node "shared" which it may read; the
 * special nodes are nodes (setup_structure): @introduceDomain is dom0's (n0), 4.22's
 * @releaseDomain is readable by DOMID_ANY (258263a4fb), so its GET_PERMS succeeds.</li>
 * <li>do_write: get_node decides EACCES before write_node_raw's node-size quota (ENOSPC); do_rm:
 * get_node before the {@code "/"} check (RM "/" from a guest is EACCES); do_set_perms: count the
 * NULs (fewer than 2: EINVAL), the node-permissions quota (ENOSPC, {@code >=} in 4.22),
 * xenstore_strings_to_perms (EINVAL), then get_node(WRITE|OWNER, allow_special).</li>
 * <li>transaction.c do_transaction_end: the argument ("T" or "F", EINVAL) before tx id 0
 * (ENOENT). watch.c do_watch: two strings, or three with WATCHDEPTH (which 4.22 offers).
 * domain.c do_get_domain_path: onearg, then parse_domid (strtoul base 10, EINVAL for trailing
 * junk or over 65535; "" is 0); 4.21 and earlier used atoi() and answered any string.</li>
 * </ul>
 *
 * <p>Each expectation has a rule name; {@link #PENDING} lists those today's core does not follow
 * (asserted only under {@link XsWireCampaign.Rules#C_XENSTORED}); it is empty since issue 13's
 * xenstored fix.
 */
final class CXenstored {
    private CXenstored() {}

    /** Rules today's core breaks (none: every rule is asserted in the default build). */
    static final Set<String> PENDING = Set.of();

    static final String DOMAIN = "/local/domain/1";

    /**
     * The errno name C xenstored answers, "OK" for success, or null where A's own state decides;
     * {@code openTx}: A's transactions before this request's reply.
     */
    static String expected(XsMessage m, Set<Integer> openTx, String actual, XsWireCampaign.Rules rules) {
        return expected(m, openTx, actual, rules, false);
    }

    /**
     * As above; {@code oxenstored}: the answers of the core's oxenstored flavour where they differ
     * (process.ml process_packet: an unknown tx id is EIO before anything else; no GET/SET_FEATURE
     * or GET/SET_QUOTA; do_getdomainpath's c_int_of_string takes any string; the special nodes are
     * dom0's; quotas are exceeded above the value, not at it).
     */
    static String expected(XsMessage m, Set<Integer> openTx, String actual, XsWireCampaign.Rules rules, boolean oxenstored) {
        Expect e = expect(m, openTx, oxenstored);
        if (e == null) return null;
        if (rules == XsWireCampaign.Rules.TODAY && PENDING.contains(e.rule())) return null;
        Campaign.checked("xenstored " + e.rule());
        return e.errno();
    }

    record Expect(String rule, String errno) {}

    static Expect expect(XsMessage m, Set<Integer> openTx) {
        return expect(m, openTx, false);
    }

    static Expect expect(XsMessage m, Set<Integer> openTx, boolean ox) {
        int type = m.type();
        if (ox) {
            boolean ignoresTx = type == XS_WATCH || type == XS_UNWATCH; // maybe_ignore_transaction
            if (!ignoresTx && m.txId() != 0 && !openTx.contains(m.txId())) return new Expect("ox-tx", "EIO");
            if (type >= XS_GET_FEATURE && type < XS_TYPE_COUNT) return new Expect("ENOSYS", "ENOSYS");
        }
        if (type < 0 || type >= XS_TYPE_COUNT || type == XS_WATCH_EVENT || type == XS_ERROR || type == 20) {
            return new Expect("ENOSYS", "ENOSYS");
        }
        switch (type) {
            case XS_CONTROL, XS_INTRODUCE, XS_RELEASE, XS_RESUME, XS_SET_TARGET -> { return new Expect("privileged", "EACCES"); }
            case XS_IS_DOMAIN_INTRODUCED -> { return new Expect("priv", "EACCES"); }
            case XS_SET_FEATURE, XS_GET_QUOTA, XS_SET_QUOTA -> { return new Expect("privileged", "EACCES"); }
            default -> { }
        }
        boolean notid = type == XS_WATCH || type == XS_UNWATCH;
        if (!notid && m.txId() != 0 && !openTx.contains(m.txId())) {
            // before any argument is looked at (the rule was "order" while the core checked arguments first)
            return new Expect(wellFormed(m) ? "tx" : "order", "ENOENT");
        }
        byte[] p = m.payload();
        switch (type) {
            case XS_GET_FEATURE -> {
                // do_get_feature: an argument asks for another domain's features, privileged only
                return countNul(p) == 0 ? new Expect("getfeature-own", "OK") : new Expect("getfeature", "EACCES");
            }
            case XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR, XS_RM -> {
                String arg = onearg(p);
                if (arg == null) return new Expect("onearg", "EINVAL");
                boolean special = type == XS_GET_PERMS;
                String why = invalid(arg, special);
                if (why != null) return new Expect(why, "EINVAL");
                String abs = absolute(arg);
                if (abs.startsWith("@")) return special(abs, false, ox);
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
                // the permission before the node-size quota (the core once said ENOSPC first)
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
                // parse_domid: digits only (strtoul skips leading space and takes a sign: not generated), at most 65535
                if (ox) return new Expect("domainpath-ox", "OK");
                boolean ok = arg.isEmpty() || (arg.matches("[0-9]{1,9}") && Integer.parseInt(arg) <= 65535);
                return ok ? new Expect("domainpath-ok", "OK") : new Expect("domainpath", "EINVAL");
            }
            case XS_DIRECTORY_PART -> {
                if (countNul(p) != 2) return new Expect(countNul(p) < 2 ? "dirpart" : "dirpart-extra", "EINVAL");
                String path = new String(p, 0, indexOf(p, 0), StandardCharsets.UTF_8);
                String why = invalid(path, false);
                if (why != null) return new Expect(why, "EINVAL");
                return access(absolute(path), false);
            }
            case XS_SET_PERMS -> {
                int n = countNul(p);
                if (n < 2) return new Expect("setperms", "EINVAL");
                java.util.List<String> s = strings(p);
                if (ox ? n - 1 > 5 : n - 1 >= 5) return new Expect("setperms-quota", "ENOSPC"); // ACC_NPERM before anything else
                for (String perm : s.subList(1, s.size())) {
                    if (!perm.matches("[nrwb][0-9]+")) return new Expect("setperms-parse", "EINVAL");
                }
                String path = s.get(0);
                String why = invalid(path, true);
                if (why != null) return new Expect(why, "EINVAL");
                String abs = absolute(path);
                if (abs.startsWith("@")) return special(abs, true, ox);
                return access(abs, true);
            }
            case XS_RESET_WATCHES -> {
                return new Expect("reset", "OK");
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * A special node (allowed here): @introduceDomain is dom0's, 4.22's @releaseDomain readable by
     * every domain; any other "@..." is missing under "/", whose n0 makes it EACCES.
     */
    static Expect special(String abs, boolean write, boolean ox) {
        if (abs.equals("@releaseDomain") && !write && !ox) return new Expect("special", "OK");
        return new Expect("special", "EACCES");
    }

    /** The NUL-terminated strings of {@code p} (get_strings). */
    static java.util.List<String> strings(byte[] p) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int start = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) {
                out.add(new String(p, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return out;
    }

    /** Requests the core looked at in C's order even before the fix: a valid own path, the right number of strings. */
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
        if (path.startsWith("@") && !allowSpecial) return "path";
        String abs = absolute(path);
        if (abs.endsWith("/") && !abs.equals("/")) return "path";
        if (abs.contains("//")) return "path";
        int localOff = 0;
        java.util.regex.Matcher mm = java.util.regex.Pattern.compile("^/local/domain/[0-9]{1,5}/").matcher(abs);
        if (mm.find()) localOff = mm.end();
        if (abs.length() - localOff >= XENSTORE_REL_PATH_MAX) return "pathlen"; // 4.22: val >= quota
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
