package xensim.dom0.xenstored;

import xensim.abi.XsWire;

/**
 * Node path rules of xenstored: absolute paths start with '/', relative ones are resolved against
 * {@code /local/domain/<domid>}; allowed characters are [A-Za-z0-9_/@-] (valid_chars() in C's core.c,
 * char_is_valid in oxenstored's store.ml: no '.'); no empty components, no trailing '/', lengths bounded by XENSTORE_ABS_PATH_MAX and
 * XENSTORE_REL_PATH_MAX. Special watch paths start with '@'.
 */
public final class XsPaths {
    private XsPaths() {}

    public static final String INTRODUCE_DOMAIN = "@introduceDomain";
    public static final String RELEASE_DOMAIN = "@releaseDomain";

    public static String domainPath(int domid) {
        return "/local/domain/" + domid;
    }

    /** Resolves {@code path} for {@code domid}; null when the path is invalid (EINVAL). */
    public static String canonical(int domid, String path) {
        if (path == null || path.isEmpty()) return null;
        if (path.startsWith("@")) return isValidSpecial(path) ? path : null;
        String abs;
        if (path.startsWith("/")) {
            if (path.length() > XsWire.XENSTORE_ABS_PATH_MAX) return null;
            abs = path;
        } else {
            if (path.length() > XsWire.XENSTORE_REL_PATH_MAX) return null;
            abs = domainPath(domid) + "/" + path;
        }
        return isValidAbsolute(abs) ? abs : null;
    }

    static boolean isValidSpecial(String p) {
        return p.equals(INTRODUCE_DOMAIN) || p.equals(RELEASE_DOMAIN);
    }

    static boolean isValidAbsolute(String p) {
        if (!p.startsWith("/")) return false;
        if (p.equals("/")) return true;
        if (p.endsWith("/") || p.contains("//")) return false;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '/' || c == '_' || c == '-' || c == '@';
            if (!ok) return false;
        }
        return true;
    }

    public static String parent(String abs) {
        int i = abs.lastIndexOf('/');
        return i <= 0 ? "/" : abs.substring(0, i);
    }

    public static String baseName(String abs) {
        return abs.substring(abs.lastIndexOf('/') + 1);
    }

    /** True if {@code p} is {@code ancestor} or below it. */
    public static boolean isAtOrBelow(String p, String ancestor) {
        if (ancestor.equals("/")) return p.startsWith("/");
        int n = ancestor.length();
        return p.startsWith(ancestor) && (p.length() == n || p.charAt(n) == '/'); // no ancestor + "/" per call
    }

    /** How a path is reported to a relative watcher: relative to its domain path when below it. */
    public static String relativeTo(int domid, String abs) {
        String base = domainPath(domid) + "/";
        return abs.startsWith(base) ? abs.substring(base.length()) : abs;
    }
}
