package xensim.xen;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A domain's physmap (Xen's p2m): gfn → {@link Page}, sparse. This object is the guest's RAM as its
 * CPU sees it; the toolstack hands it to the guest's firmware and OS actors at domain creation and
 * they read and write through {@link #page(long)} directly, without hypercalls and without events.
 *
 * <p>Every gfn in {@code [0, maxGfn)} is in one of three states:
 * <ul>
 *   <li><b>populated</b> — a page is there (RAM the guest wrote, or a grant-table frame placed with
 *       XENMEM_add_to_physmap);</li>
 *   <li><b>RAM not yet touched</b> — gfns below {@code ramPages}: reads return zeros, the first
 *       write allocates a zeroed page (Xen populates all of RAM at creation; allocating lazily is
 *       the same to the guest and keeps a 1 GiB guest cheap);</li>
 *   <li><b>hole</b> — gfns at or above {@code ramPages}, and any gfn removed with
 *       XENMEM_remove_from_physmap: reads return zeros, writes are dropped (an unassigned MMIO
 *       access), until XENMEM_populate_physmap or add_to_physmap puts a page there.</li>
 * </ul>
 * A gfn outside {@code [0, maxGfn)} is an error: {@link IndexOutOfBoundsException} for direct access,
 * -EINVAL/-ENOENT from hypercalls.
 *
 * <p>Thread-safety: lookups are lock-free; physmap changes (which only the hypervisor and the
 * first-write allocation make) synchronize on this object. Concurrent byte accesses to one page race
 * as they would on real RAM.
 */
public final class GuestMemory {
    private final int domid;
    private final long ramPages;
    private final long maxGfn;
    private final LongSupplier mfns;
    /**
     * The p2m as Xen keeps it for an HVM guest, a radix tree: {@link #L1_SIZE}-entry leaves
     * ({@code p2m[gfn >> L1_SHIFT][gfn & L1_MASK]}) created on the first page placed in their range.
     * Elements are read with acquire and written with release semantics (under this object's lock),
     * so a lock-free reader sees a page fully built.
     */
    private final Page[][] p2m;
    /**
     * Per RAM gfn without a page: its type tag while untouched (a tag alone does not allocate the
     * page's 4 KiB), {@link #HOLE} once XENMEM_remove_from_physmap made it a hole, null for plain
     * untouched Conventional RAM. Same leaves and access discipline as {@link #p2m}.
     */
    private final String[][] tags;
    /** The tag of a RAM gfn removed from the physmap (compared by identity; never shown). */
    private static final String HOLE = new String("<ram hole>");
    private static final int L1_SHIFT = 9;
    private static final int L1_SIZE = 1 << L1_SHIFT;
    private static final int L1_MASK = L1_SIZE - 1;
    private static final VarHandle LEAF = MethodHandles.arrayElementVarHandle(Object[].class);
    /** Gfns with a page behind them (changed under this object's lock). */
    private volatile int populated;
    private final AtomicLong droppedWrites = new AtomicLong();
    /** Bumped whenever a populated gfn loses or changes its page; views re-resolve then. */
    private volatile long generation;
    private volatile boolean destroyed;

    /** Native memory behind the pages (the real-OVMF mode), or null: pages on the Java heap. */
    private final MemoryBacking backing;

    GuestMemory(int domid, long ramPages, long maxGfn, LongSupplier mfns) {
        this(domid, ramPages, maxGfn, mfns, null);
    }

    GuestMemory(int domid, long ramPages, long maxGfn, LongSupplier mfns, MemoryBacking backing) {
        this.backing = backing;
        this.domid = domid;
        this.ramPages = ramPages;
        this.maxGfn = maxGfn;
        this.mfns = mfns;
        int leaves = (int) ((maxGfn + L1_SIZE - 1) >>> L1_SHIFT);
        this.p2m = new Page[leaves][];
        this.tags = new String[Math.max(0, (int) ((Math.min(ramPages, maxGfn) + L1_SIZE - 1) >>> L1_SHIFT))][];
    }

    public int domid() {
        return domid;
    }

    /** Gfns below this are RAM. */
    public long ramPages() {
        return ramPages;
    }

    /** Gfns at or above this are out of range. */
    public long maxGfn() {
        return maxGfn;
    }

    public boolean inRange(long gfn) {
        return gfn >= 0 && gfn < maxGfn;
    }

    /**
     * The page at {@code gfn} as the guest CPU sees it: a view that resolves the gfn through the
     * physmap on every access (reads of untouched RAM or holes return zeros; the first write to RAM
     * allocates). Keep it as long as you like; it follows physmap changes.
     *
     * @throws IndexOutOfBoundsException gfn out of range
     */
    public GuestPage page(long gfn) {
        checkRange(gfn);
        return new GuestPage(this, gfn);
    }

    /** The page currently at {@code gfn}, or null if none is (untouched RAM or a hole); never allocates. */
    public Page frame(long gfn) {
        checkRange(gfn);
        return lookup(gfn);
    }

    /** The native memory behind this domain's pages, or null. */
    public MemoryBacking backing() {
        return backing;
    }

    public boolean isPopulated(long gfn) {
        return frame(gfn) != null;
    }

    /** True when {@code gfn} has no page and a write there would be dropped. */
    public boolean isHole(long gfn) {
        checkRange(gfn);
        return lookup(gfn) == null && !isRam(gfn);
    }

    /** The type tag at {@code gfn}: the page's tag; {@code "Conventional"} for untouched RAM; null for a hole. */
    public String type(long gfn) {
        Page p = frame(gfn);
        if (p != null) return p.type();
        if (!isRam(gfn)) return null;
        String t = tag(gfn);
        return t != null ? t : Page.TYPE_CONVENTIONAL;
    }

    /** The owner of the page at {@code gfn}: this domain for RAM, DOMID_XEN for grant frames, -1 for a hole. */
    public int owner(long gfn) {
        Page p = frame(gfn);
        if (p != null) return p.owner();
        return isRam(gfn) ? domid : -1;
    }

    /**
     * Sets the type tag of the page at {@code gfn} (firmware AllocatePages/FreePages, OS reclaim).
     * Untouched RAM keeps its tag without a page until its first write. Returns false, changing
     * nothing, for a hole.
     */
    public boolean setType(long gfn, String type) {
        Objects.requireNonNull(type, "type");
        checkRange(gfn);
        Page p = page0(gfn);
        if (p == null) {
            synchronized (this) {
                p = page0(gfn);
                if (p == null) {
                    if (!isRam(gfn)) return false;
                    setTag(gfn, type.equals(Page.TYPE_CONVENTIONAL) ? null : type);
                    return true;
                }
            }
        }
        p.setType(type);
        return true;
    }

    /** Sets the type tag of {@code count} pages from {@code gfn}; returns how many were tagged (holes are skipped). */
    public int setType(long gfn, long count, String type) {
        int n = 0;
        for (long i = 0; i < count; i++) if (setType(gfn + i, type)) n++;
        return n;
    }

    /** Number of gfns with a page behind them. */
    public int populatedPages() {
        return populated;
    }

    /** Writes the guest made to holes (dropped, as an unassigned MMIO access). */
    public long droppedWrites() {
        return droppedWrites.get();
    }

    /** True once the domain was destroyed (the pages stay readable; nobody should be running). */
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "GuestMemory[d" + domid + ", ram=" + ramPages + ", maxGfn=" + maxGfn + ", populated=" + populated + "]";
    }

    // ---- used by GuestPage and the hypervisor -------------------------------------------------

    long generation() {
        return generation;
    }

    Page lookup(long gfn) {
        Page p = page0(gfn);
        if (p == null && backing != null && isRam(gfn)) return populateOnWrite(gfn); // all RAM is there
        return p;
    }

    void droppedWrite() {
        droppedWrites.incrementAndGet();
    }

    void checkRange(long gfn) {
        if (!inRange(gfn)) {
            throw new IndexOutOfBoundsException("gfn 0x" + Long.toHexString(gfn) + " out of range for d" + domid
                    + " (max gfn 0x" + Long.toHexString(maxGfn) + ")");
        }
    }

    private boolean isRam(long gfn) {
        return gfn < ramPages && tag(gfn) != HOLE;
    }

    /** The p2m entry at gfn (in range), or null. */
    private Page page0(long gfn) {
        Object[] leaf = (Object[]) LEAF.getAcquire((Object[]) p2m, (int) (gfn >>> L1_SHIFT));
        return leaf == null ? null : (Page) LEAF.getAcquire(leaf, (int) gfn & L1_MASK);
    }

    /** Sets the p2m entry at gfn (under the lock); returns the one it replaces. */
    private Page setPage0(long gfn, Page page) {
        int i = (int) (gfn >>> L1_SHIFT);
        Page[] leaf = p2m[i];
        if (leaf == null) {
            if (page == null) return null;
            leaf = new Page[L1_SIZE];
            LEAF.setRelease((Object[]) p2m, i, leaf);
        }
        Page old = leaf[(int) gfn & L1_MASK];
        LEAF.setRelease((Object[]) leaf, (int) gfn & L1_MASK, page);
        if (old == null && page != null) populated++;
        else if (old != null && page == null) populated--;
        return old;
    }

    /** The tag of RAM gfn (untouched type, or HOLE), or null. */
    private String tag(long gfn) {
        int i = (int) (gfn >>> L1_SHIFT);
        if (i >= tags.length) return null;
        Object[] leaf = (Object[]) LEAF.getAcquire((Object[]) tags, i);
        return leaf == null ? null : (String) LEAF.getAcquire(leaf, (int) gfn & L1_MASK);
    }

    /** Sets the tag of gfn (under the lock; ignored above RAM, where there are no tags). */
    private void setTag(long gfn, String tag) {
        int i = (int) (gfn >>> L1_SHIFT);
        if (gfn >= ramPages || i >= tags.length) return;
        String[] leaf = tags[i];
        if (leaf == null) {
            if (tag == null) return;
            leaf = new String[L1_SIZE];
            LEAF.setRelease((Object[]) tags, i, leaf);
        }
        LEAF.setRelease((Object[]) leaf, (int) gfn & L1_MASK, tag);
    }

    /** The page at gfn, allocating a zeroed one if it is untouched RAM; null for a hole. */
    Page populateOnWrite(long gfn) {
        Page p = page0(gfn);
        if (p != null) return p;
        synchronized (this) {
            p = page0(gfn);
            if (p != null) return p;
            if (!isRam(gfn)) return null;
            String tag = tag(gfn);
            setTag(gfn, null);
            p = backing == null ? new Page(mfns.getAsLong(), domid, tag != null ? tag : Page.TYPE_CONVENTIONAL)
                    : new Page(mfns.getAsLong(), domid, tag != null ? tag : Page.TYPE_CONVENTIONAL, backing.storage(gfn));
            setPage0(gfn, p);
            return p;
        }
    }

    /** XENMEM_populate_physmap of one page: a fresh zeroed RAM page at a hole. Returns the page there. */
    synchronized Page populate(long gfn) {
        Page p = page0(gfn);
        if (p != null) return p;
        setTag(gfn, null);
        p = backing == null ? new Page(mfns.getAsLong(), domid, Page.TYPE_CONVENTIONAL)
                : new Page(mfns.getAsLong(), domid, Page.TYPE_CONVENTIONAL, backing.storage(-1));
        setPage0(gfn, p);
        if (backing != null) backing.mapped(gfn, p);
        return p;
    }

    /** Puts {@code page} at {@code gfn}, replacing what was there; returns the replaced page or null. */
    synchronized Page add(long gfn, Page page) {
        setTag(gfn, null);
        Page old = setPage0(gfn, page);
        if (old != null) generation++;
        if (backing != null) backing.mapped(gfn, page);
        return old;
    }

    /** Removes the page at {@code gfn} (the gfn becomes a hole); returns it, or null if there was none. */
    synchronized Page remove(long gfn) {
        Page old = setPage0(gfn, null);
        if (old == null && backing != null && isRam(gfn)) old = populateOnWrite(gfn) == null ? null : setPage0(gfn, null);
        setTag(gfn, gfn < ramPages ? HOLE : null);
        generation++;
        if (backing != null) backing.unmapped(gfn);
        return old;
    }

    void markDestroyed() {
        destroyed = true;
        if (backing != null) backing.release();
    }
}
