package xensim.dom0.xenstored;

import java.util.ArrayList;
import java.util.List;

/**
 * xenstored node permissions: the first entry names the owner and the access every domain not
 * listed gets; later entries grant named domains n (none), r (read), w (write) or b (both). The
 * owner and privileged domains (dom0) have full access. On the wire each entry is a string like
 * {@code r5}, NUL-separated ({@code xenstore-ls -p} prints them as {@code (n0,r5)}).
 */
public record Permissions(List<Entry> entries) {

    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int BOTH = READ | WRITE;

    public record Entry(int domid, int mode) {
        public String wire() {
            return String.valueOf(letter(mode)) + domid;
        }
    }

    public Permissions {
        if (entries.isEmpty()) throw new IllegalArgumentException("a node has at least an owner entry");
        entries = List.copyOf(entries);
    }

    public static Permissions owner(int domid, int othersMode) {
        return new Permissions(List.of(new Entry(domid, othersMode)));
    }

    public int owner() {
        return entries.get(0).domid();
    }

    public Permissions withOwner(int domid) {
        List<Entry> e = new ArrayList<>(entries);
        e.set(0, new Entry(domid, e.get(0).mode()));
        return new Permissions(e);
    }

    /** Access of domain {@code domid} (with optional {@code target} of a device model). */
    public int accessOf(int domid, boolean privileged, Integer target) {
        return accessOf(domid, privileged, target, -1);
    }

    /**
     * perm_for_conn (tools/xenstored/core.c): the owner and privileged domains get everything,
     * else the first later entry that perm_allows_conn() matches, else the owner entry's mode. An
     * entry naming {@code anyDomid} (DOMID_ANY in Xen 4.22+, -1 for none) matches every domain.
     */
    public int accessOf(int domid, boolean privileged, Integer target, int anyDomid) {
        if (privileged || allows(entries.get(0), domid, target, anyDomid)) return BOTH;
        for (int i = 1; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (allows(e, domid, target, anyDomid)) return e.mode();
        }
        return entries.get(0).mode();
    }

    /** perm_allows_conn: the entry names the domain, its target, or DOMID_ANY. */
    private static boolean allows(Entry e, int domid, Integer target, int anyDomid) {
        return e.domid() == domid || (target != null && e.domid() == target) || (anyDomid >= 0 && e.domid() == anyDomid);
    }

    /** Whether {@code domid} owns the node (XS_PERM_OWNER: the owner, its device model, privileged domains). */
    public boolean ownedBy(int domid, boolean privileged, Integer target) {
        return privileged || domid == owner() || (target != null && target == owner());
    }

    /** Parses wire strings ("n0", "r5"); null if any is malformed. */
    public static Permissions parse(List<String> wire) {
        if (wire.isEmpty()) return null;
        List<Entry> out = new ArrayList<>();
        for (String s : wire) {
            if (s.length() < 2) return null;
            int mode = switch (s.charAt(0)) {
                case 'n' -> 0;
                case 'r' -> READ;
                case 'w' -> WRITE;
                case 'b' -> BOTH;
                default -> -1;
            };
            if (mode < 0) return null;
            try {
                int id = Integer.parseInt(s.substring(1));
                if (id < 0 || id > 0xFFFF) return null;
                out.add(new Entry(id, mode));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return new Permissions(out);
    }

    public List<String> wire() {
        List<String> out = new ArrayList<>(entries.size());
        for (Entry e : entries) out.add(e.wire());
        return out;
    }

    static char letter(int mode) {
        return switch (mode) {
            case READ -> 'r';
            case WRITE -> 'w';
            case BOTH -> 'b';
            default -> 'n';
        };
    }
}
