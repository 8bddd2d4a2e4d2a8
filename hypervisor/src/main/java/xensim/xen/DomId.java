package xensim.xen;

/** Domain ids ({@code xen/xen.h}): ordinary domains are 0..0x7FEF; the rest are reserved names. */
public final class DomId {
    private DomId() {}

    public static final int DOM0 = 0;
    public static final int DOMID_FIRST_RESERVED = 0x7FF0;
    /** "The calling domain", accepted where Xen looks a domain up with {@code rcu_lock_domain_by_any_id}. */
    public static final int DOMID_SELF = 0x7FF0;
    public static final int DOMID_IO = 0x7FF1;
    /** Owner of Xen's own pages (the grant-table frames a guest places in its physmap). */
    public static final int DOMID_XEN = 0x7FF2;
    public static final int DOMID_COW = 0x7FF3;
    public static final int DOMID_INVALID = 0x7FF4;
    public static final int DOMID_IDLE = 0x7FFF;

    /** True for ids a domain can have (not reserved, not negative). */
    public static boolean isOrdinary(int domid) {
        return domid >= 0 && domid < DOMID_FIRST_RESERVED;
    }
}
