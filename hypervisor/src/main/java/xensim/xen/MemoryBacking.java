package xensim.xen;

/**
 * Native memory behind one guest's pages, for code that uses guest-physical addresses as
 * pointers (edk2's C drivers in the real-OVMF mode): every page of the domain — its RAM and the
 * grant-table frames Xen places in its physmap — is stored in native memory, and the backing
 * keeps a mapping of the domain's physmap at the guest-physical addresses themselves (gfn ×
 * 4096), as the guest's MMU would: RAM where it is RAM, a grant frame where the guest put it
 * with XENMEM_add_to_physmap, nothing (no access) at a hole.
 *
 * <p>With a backing, every RAM gfn is populated from the start (Xen populates all of a guest's
 * RAM at creation): code behind the pointers may have written a page Java never touched.
 */
public interface MemoryBacking {
    /**
     * Storage for a new page of the domain: the RAM page of {@code ramGfn} (already mapped there),
     * or with {@code ramGfn < 0} a page of its own (a grant frame, RAM populated again after a
     * remove) that is not mapped anywhere until {@link #mapped}.
     */
    FrameStorage storage(long ramGfn);

    /** The physmap shows {@code page} at {@code gfn} from now on. */
    void mapped(long gfn, Page page);

    /** {@code gfn} is a hole from now on. */
    void unmapped(long gfn);

    /** The domain is gone: the guest-physical mapping is released (the pages stay readable). */
    void release();
}
