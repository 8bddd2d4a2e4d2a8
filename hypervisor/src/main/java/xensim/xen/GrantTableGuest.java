package xensim.xen;

import static xensim.abi.GrantTableAbi.GRANT_ENTRIES_PER_FRAME;
import static xensim.abi.GrantTableAbi.GRANT_ENTRY_V1_FRAME;
import static xensim.abi.GrantTableAbi.GRANT_ENTRY_V1_SIZE;
import static xensim.abi.GrantTableAbi.GTF_permit_access;
import static xensim.abi.GrantTableAbi.GTF_reading;
import static xensim.abi.GrantTableAbi.GTF_readonly;
import static xensim.abi.GrantTableAbi.GTF_writing;

import java.util.Arrays;
import xensim.platform.EventLog;

/**
 * The guest side of grant table v1, as Linux's grant-table.c and edk2's XenBusDxe/GrantTable.c do
 * it: plain stores into the grant-table frames the guest placed in its physmap (with
 * XENMEM_add_to_physmap(XENMAPSPACE_grant_table, idx, gfn), a hypercall the caller makes itself and
 * then records here with {@link #setFrameGfn}). It allocates nothing and does no hypercall; ref
 * allocation (free lists, reserved refs) stays with the caller.
 *
 * <p>Events, when given a log: GRANT_ACCESS (ref, gfn, domid, readonly) and GRANT_END (ref, ok),
 * dom = this guest, comp as given ({@code fw.xenbus}, {@code fw.pvblk}, {@code os}, ...).
 *
 * <p>Not thread-safe: one guest CPU uses it. Entries are changed with the same atomics Xen uses on the
 * other side, so a backend mapping concurrently is handled as on hardware.
 */
public final class GrantTableGuest {
    private final int domid;
    private final GuestMemory memory;
    private final EventLog log;
    private final String comp;
    private long[] frameGfns = new long[0];

    /**
     * @param memory the guest's own memory
     * @param log    where GRANT_ACCESS/GRANT_END go, or null for none
     * @param comp   the emitting component, e.g. {@code "fw.xenbus"} or {@code "os"}
     */
    public GrantTableGuest(GuestMemory memory, EventLog log, String comp) {
        this.domid = memory.domid();
        this.memory = memory;
        this.log = log;
        this.comp = comp;
    }

    /** Records that grant frame {@code idx} is at {@code gfn} (after a successful add_to_physmap). */
    public void setFrameGfn(int idx, long gfn) {
        if (idx < 0) throw new IllegalArgumentException("frame index " + idx);
        memory.checkRange(gfn);
        if (idx >= frameGfns.length) {
            int old = frameGfns.length;
            frameGfns = Arrays.copyOf(frameGfns, idx + 1);
            Arrays.fill(frameGfns, old, idx + 1, -1L);
        }
        frameGfns[idx] = gfn;
    }

    /** Forgets frame {@code idx} (after remove_from_physmap): the entries stay valid in Xen. */
    public void clearFrame(int idx) {
        if (idx >= 0 && idx < frameGfns.length) frameGfns[idx] = -1;
    }

    /** Where frame {@code idx} is, or -1. */
    public long frameGfn(int idx) {
        return idx >= 0 && idx < frameGfns.length ? frameGfns[idx] : -1;
    }

    /** Entries reachable through the frames placed so far (contiguous from frame 0). */
    public int nrEntries() {
        int n = 0;
        while (n < frameGfns.length && frameGfns[n] >= 0) n++;
        return n * GRANT_ENTRIES_PER_FRAME;
    }

    /**
     * gnttab_grant_foreign_access_ref: lets {@code grantee} map {@code gfn} through {@code ref}.
     * Writes the frame and domid, then the flags with a release store (wmb() then flags).
     *
     * @throws IllegalStateException if the frame holding {@code ref} is not placed
     */
    public void grantAccess(int ref, int grantee, long gfn, boolean readonly) {
        GuestPage page = entryPage(ref);
        int off = offset(ref);
        int flags = GTF_permit_access | (readonly ? GTF_readonly : 0);
        page.putInt(off + GRANT_ENTRY_V1_FRAME, (int) gfn);
        page.putIntRelease(off, (grantee & 0xFFFF) << 16 | flags);
        if (log != null) {
            log.event(domid, comp, "GRANT_ACCESS").with("ref", ref).with("gfn", gfn).with("domid", grantee)
                    .with("readonly", readonly).emit();
        }
    }

    /**
     * gnttab_end_foreign_access_ref / XenGrantTableEndAccess: clears the flags with a compare-and-set
     * loop, unless the peer still has the entry mapped (GTF_reading or GTF_writing set), in which case
     * nothing changes and this returns false — edk2's "g.e. still in use!" (EFI_NOT_READY).
     */
    public boolean endAccess(int ref) {
        GuestPage page = entryPageOrNull(ref);
        if (page == null) {
            // the frame was removed from the physmap (XenGrantTableDeinit's XENMEM_remove_from_physmap): the entry's gfn
            // is a hole, which an HVM guest reads as all ones (no p2m entry: emulated MMIO with no handler) — flags
            // 0xffff, GTF_reading|GTF_writing set: "g.e. still in use!", nothing written
            if (log != null) log.event(domid, comp, "GRANT_END").with("ref", ref).with("ok", false).with("unpopulated", true).emit();
            return false;
        }
        int off = offset(ref);
        boolean ok;
        int word = page.getIntAcquire(off);
        while (true) {
            if ((word & (GTF_reading | GTF_writing)) != 0) {
                ok = false;
                break;
            }
            if (page.compareAndSetInt(off, word, word & 0xFFFF0000)) {
                ok = true;
                break;
            }
            word = page.getIntAcquire(off);
        }
        if (log != null) log.event(domid, comp, "GRANT_END").with("ref", ref).with("ok", ok).emit();
        return ok;
    }

    /** The entry's flags (GTF_*), read with acquire. */
    public int flags(int ref) {
        return entryPage(ref).getIntAcquire(offset(ref)) & 0xFFFF;
    }

    /** The domain the entry grants to. */
    public int grantee(int ref) {
        return entryPage(ref).getIntAcquire(offset(ref)) >>> 16;
    }

    /** The gfn the entry names. */
    public long frame(int ref) {
        return entryPage(ref).getInt(offset(ref) + GRANT_ENTRY_V1_FRAME) & 0xFFFFFFFFL;
    }

    /** True while a peer has the entry mapped (GTF_reading or GTF_writing). */
    public boolean inUse(int ref) {
        return (flags(ref) & (GTF_reading | GTF_writing)) != 0;
    }

    private GuestPage entryPage(int ref) {
        GuestPage p = entryPageOrNull(ref);
        if (p == null) {
            throw new IllegalStateException("grant frame " + ref / GRANT_ENTRIES_PER_FRAME + " (ref " + ref + ") is not in d" + domid + "'s physmap");
        }
        return p;
    }

    /** The page holding the entry, or null when its grant frame is not in the physmap. */
    private GuestPage entryPageOrNull(int ref) {
        if (ref < 0) throw new IllegalArgumentException("grant ref " + ref);
        long gfn = frameGfn(ref / GRANT_ENTRIES_PER_FRAME);
        return gfn < 0 ? null : memory.page(gfn);
    }

    private static int offset(int ref) {
        return (ref % GRANT_ENTRIES_PER_FRAME) * GRANT_ENTRY_V1_SIZE;
    }
}
