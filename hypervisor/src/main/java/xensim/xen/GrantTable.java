package xensim.xen;

import static xensim.abi.GrantTableAbi.GNTST_bad_gntref;
import static xensim.abi.GrantTableAbi.GNTST_bad_page;
import static xensim.abi.GrantTableAbi.GNTST_general_error;
import static xensim.abi.GrantTableAbi.GNTST_okay;
import static xensim.abi.GrantTableAbi.GRANT_ENTRIES_PER_FRAME;
import static xensim.abi.GrantTableAbi.GRANT_ENTRY_V1_FRAME;
import static xensim.abi.GrantTableAbi.GRANT_ENTRY_V1_SIZE;
import static xensim.abi.GrantTableAbi.GTF_permit_access;
import static xensim.abi.GrantTableAbi.GTF_reading;
import static xensim.abi.GrantTableAbi.GTF_readonly;
import static xensim.abi.GrantTableAbi.GTF_sub_page;
import static xensim.abi.GrantTableAbi.GTF_type_mask;
import static xensim.abi.GrantTableAbi.GTF_writing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A domain's grant table, version 1, as Xen keeps it (the granting side of common/grant_table.c).
 *
 * <p>The shared entries live in grant-table frames: Xen-owned pages ({@link DomId#DOMID_XEN}, type
 * {@code "GrantTable"}) that the guest places in its physmap with
 * XENMEM_add_to_physmap(XENMAPSPACE_grant_table, idx, gfn) and then writes with its own stores. The
 * table starts with {@link #INITIAL_NR_GRANT_FRAMES} frame and grows when a higher index is placed, up
 * to the domain's maximum; frames persist when removed from the physmap (the entries stay valid in
 * Xen). Besides the shared entries Xen keeps, per ref, an active entry: which domain has it pinned,
 * reader/writer pin counts and the page it pinned at map time.
 *
 * <p>Not thread-safe by itself: the {@link Hypervisor} serialises all calls. The flags word is
 * changed with compare-and-set because the guest writes it concurrently.
 */
public final class GrantTable {
    /** Xen/x86 starts every grant table with one frame (512 v1 entries). */
    public static final int INITIAL_NR_GRANT_FRAMES = 1;

    /** Pin state of one granted ref (Xen's {@code struct active_grant_entry}). */
    static final class Active {
        int mapper;
        int readers;
        int writers;
        Page page;
        long gfn;

        int pins() {
            return readers + writers;
        }
    }

    /** Outcome of pinning an entry for a map: GNTST status, and on success the page and its gfn. */
    record Pin(int status, String reason, Page page, long gfn) {
        static Pin fail(int status, String reason) {
            return new Pin(status, reason, null, -1);
        }
    }

    private final int domid;
    private final int maxFrames;
    private final LongSupplier mfns;
    private final List<Page> frames = new ArrayList<>();
    private final List<Long> frameGfns = new ArrayList<>();
    private final Map<Integer, Active> active = new HashMap<>();
    private int liveMappings;

    private final MemoryBacking backing;

    GrantTable(int domid, int maxFrames, LongSupplier mfns) {
        this(domid, maxFrames, mfns, null);
    }

    GrantTable(int domid, int maxFrames, LongSupplier mfns, MemoryBacking backing) {
        this.backing = backing;
        this.domid = domid;
        this.maxFrames = maxFrames;
        this.mfns = mfns;
        grow(INITIAL_NR_GRANT_FRAMES);
    }

    public int domid() {
        return domid;
    }

    public int nrFrames() {
        return frames.size();
    }

    public int maxFrames() {
        return maxFrames;
    }

    /** Entries Xen accepts refs for: frames set up × 512. */
    public int nrEntries() {
        return frames.size() * GRANT_ENTRIES_PER_FRAME;
    }

    /** Live grant mappings of this domain's entries (by any domain). */
    public int liveMappings() {
        return liveMappings;
    }

    /** Where frame {@code idx} sits in the guest's physmap, or -1 (never placed, or removed). */
    public long frameGfn(int idx) {
        return idx >= 0 && idx < frameGfns.size() ? frameGfns.get(idx) : -1;
    }

    /** Frame {@code idx} (Xen's view of the page), or null if not set up. */
    public Page frame(int idx) {
        return idx >= 0 && idx < frames.size() ? frames.get(idx) : null;
    }

    /** The flags of entry {@code ref} as Xen reads them from the shared frame, or -1 if out of range. */
    public int flags(int ref) {
        if (!validRef(ref)) return -1;
        return word(ref) & 0xFFFF;
    }

    /** Pins (mappings) currently held on {@code ref}. */
    public int pins(int ref) {
        Active a = active.get(ref);
        return a == null ? 0 : a.pins();
    }

    /** Writable pins on {@code ref}. */
    int writers(int ref) {
        Active a = active.get(ref);
        return a == null ? 0 : a.writers;
    }

    // ---- used by the hypervisor ----------------------------------------------------------------

    /** The frame for index {@code idx}, growing the table if needed; null if idx exceeds the maximum. */
    Page frameForMap(long idx) {
        if (idx < 0 || idx >= maxFrames) return null;
        grow((int) idx + 1);
        return frames.get((int) idx);
    }

    void setFrameGfn(int idx, long gfn) {
        frameGfns.set(idx, gfn);
    }

    /** Index of {@code page} among this table's frames, or -1. */
    int indexOf(Page page) {
        for (int i = 0; i < frames.size(); i++) if (frames.get(i) == page) return i;
        return -1;
    }

    boolean validRef(long ref) {
        return ref >= 0 && ref < nrEntries();
    }

    /** Writes a whole entry, flags last with a release store (xc_dom_gnttab_seed / the guest's own code). */
    void writeEntry(int ref, int grantee, long gfn, int flags) {
        Page f = frames.get(ref / GRANT_ENTRIES_PER_FRAME);
        int off = (ref % GRANT_ENTRIES_PER_FRAME) * GRANT_ENTRY_V1_SIZE;
        f.putInt(off + GRANT_ENTRY_V1_FRAME, (int) gfn);
        f.putIntRelease(off, (grantee & 0xFFFF) << 16 | (flags & 0xFFFF));
    }

    /**
     * The granting half of GNTTABOP_map_grant_ref: checks the entry and sets GTF_reading (and
     * GTF_writing) with compare-and-set, as {@code _set_status_v1} does, then pins the page the
     * entry's frame names now. Failures give Xen's codes: a ref outside the table
     * GNTST_bad_gntref; an entry not GTF_permit_access, granted to another domain, or read-only
     * for a writable map, or pinned by another domain: GNTST_general_error (Xen logs "Bad flags
     * (..) or dom (..)"); a frame that is not a page of the domain: GNTST_bad_page.
     */
    Pin pin(long ref64, int mapper, boolean readonly, GuestMemory memory) {
        if (!validRef(ref64)) return Pin.fail(GNTST_bad_gntref, "bad ref");
        int ref = (int) ref64;
        Active act = active.get(ref);
        boolean pinned = act != null && act.pins() > 0;
        if (pinned && act.mapper != mapper) {
            return Pin.fail(GNTST_general_error, "entry pinned by d" + act.mapper);
        }
        boolean setStatus = !pinned || (!readonly && act.writers == 0);
        int setBits = 0;
        if (setStatus) {
            int mask = GTF_type_mask | GTF_sub_page;
            int word = word(ref);
            int retries = 0;
            while (true) {
                int flags = word & 0xFFFF;
                int dom = word >>> 16;
                if (!pinned && ((flags & mask) != GTF_permit_access || dom != mapper)) {
                    return Pin.fail(GNTST_general_error, "bad flags (0x" + Integer.toHexString(flags) + ") or dom ("
                            + dom + "); expected d" + mapper);
                }
                int nflags = flags | GTF_reading;
                if (!readonly) {
                    nflags |= GTF_writing;
                    if ((flags & GTF_readonly) != 0) {
                        return Pin.fail(GNTST_general_error, "attempt to write-pin a r/o grant entry");
                    }
                }
                int nword = (word & 0xFFFF0000) | nflags;
                if (casWord(ref, word, nword)) {
                    setBits = nflags & ~flags;
                    break;
                }
                if (retries++ == 4) return Pin.fail(GNTST_general_error, "shared grant entry is unstable");
                word = word(ref);
            }
        }
        if (!pinned) {
            long gfn = entryFrame(ref);
            Page page = memory.inRange(gfn) ? memory.populateOnWrite(gfn) : null;
            if (page == null) {
                clearBits(ref, setBits);
                return Pin.fail(GNTST_bad_page, "gfn 0x" + Long.toHexString(gfn) + " is not a page of d" + domid);
            }
            act = new Active();
            act.mapper = mapper;
            act.page = page;
            act.gfn = gfn;
            active.put(ref, act);
        }
        if (readonly) act.readers++;
        else act.writers++;
        liveMappings++;
        return new Pin(GNTST_okay, null, act.page, act.gfn);
    }

    /** The granting half of an unmap: drops one pin; clears GTF_writing/GTF_reading as Xen does. */
    void unpin(int ref, boolean readonly) {
        Active act = active.get(ref);
        if (act == null) return;
        if (readonly) act.readers--;
        else act.writers--;
        liveMappings--;
        int clear = 0;
        if (act.writers == 0) clear |= GTF_writing;
        if (act.pins() == 0) {
            clear |= GTF_reading;
            active.remove(ref);
        }
        clearBits(ref, clear);
    }

    private void grow(int nr) {
        while (frames.size() < nr) {
            frames.add(backing == null ? new Page(mfns.getAsLong(), DomId.DOMID_XEN, Page.TYPE_GRANT_TABLE)
                    : new Page(mfns.getAsLong(), DomId.DOMID_XEN, Page.TYPE_GRANT_TABLE, backing.storage(-1)));
            frameGfns.add(-1L);
        }
    }

    private int offset(int ref) {
        return (ref % GRANT_ENTRIES_PER_FRAME) * GRANT_ENTRY_V1_SIZE;
    }

    private int word(int ref) {
        return frames.get(ref / GRANT_ENTRIES_PER_FRAME).getIntAcquire(offset(ref));
    }

    private boolean casWord(int ref, int expect, int update) {
        return frames.get(ref / GRANT_ENTRIES_PER_FRAME).compareAndSetInt(offset(ref), expect, update);
    }

    private long entryFrame(int ref) {
        return frames.get(ref / GRANT_ENTRIES_PER_FRAME).getInt(offset(ref) + GRANT_ENTRY_V1_FRAME) & 0xFFFFFFFFL;
    }

    /** gnttab_clear_flags: atomically clears {@code bits} in the entry's flags. */
    private void clearBits(int ref, int bits) {
        if (bits == 0) return;
        while (true) {
            int w = word(ref);
            if ((w & bits) == 0) return;
            if (casWord(ref, w, w & ~bits)) return;
        }
    }
}
