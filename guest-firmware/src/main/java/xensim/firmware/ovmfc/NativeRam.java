package xensim.firmware.ovmfc;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import xensim.xen.FrameStorage;
import xensim.xen.MemoryBacking;
import xensim.xen.Page;

/**
 * One guest's memory as native memory, for edk2's C drivers, which use guest-physical addresses
 * as pointers (AllocatePages' address is the page's gfn × 4096; the ring and buffer pages they
 * grant are {@code (UINTN)Ptr >> EFI_PAGE_SHIFT}).
 *
 * <p>Machine memory is one memfd: slot {@code s} is the 4 KiB at offset {@code s × 4096}. RAM gfn
 * {@code g} is slot {@code g}; other pages (grant-table frames, RAM populated again) take slots
 * above RAM. Two mappings of it: the machine view, where the JVM's {@link Page}s read and write
 * (hypervisor, xenstored, blkback, the OS model), anywhere the kernel likes; and the guest-physical
 * view, at the guest-physical addresses themselves, which is what the C code dereferences: RAM
 * from gfn 0x10 up to the RAM size (gfns below 0x10 are under the kernel's mmap_min_addr; the
 * firmware never allocates there — its image sits at 0x10–0x1f), then the MMIO hole reserved with
 * no access until a grant frame is placed in it (XENMEM_add_to_physmap maps that frame's slot at
 * its gfn, as the p2m would).
 *
 * <p>Layout and the JVM: the guest-physical view spans [64 KiB, (maxGfn) × 4 KiB) — 1 GiB of RAM
 * plus its 16 MiB hole with the defaults. HotSpot on Linux x86_64 never puts the Java heap below
 * HeapBaseMinAddress (2 GiB), and with compressed oops puts it just below 4 GiB or 32 GiB; the
 * CDS archive and class space sit at 32 GiB; libraries, thread stacks and malloc arenas near the
 * top of the address space. So guests of up to 2 GiB less 64 KiB fit below the heap; every
 * mapping is made with MAP_FIXED_NOREPLACE, which fails instead of replacing anything the JVM
 * holds: such a failure is an error naming the range. One guest per JVM: its physical addresses
 * are the process's.
 */
public final class NativeRam implements MemoryBacking {
    public static final long PAGE = 4096;
    /** The first gfn the guest-physical view maps (mmap_min_addr is 64 KiB). */
    public static final long FIRST_GFN = 0x10;
    /** 2 GiB: HotSpot's HeapBaseMinAddress on Linux x86_64. */
    public static final long LIMIT = 1L << 31;
    /** Slots beyond RAM for grant frames and repopulated pages. */
    static final long EXTRA_SLOTS = 8192;

    private static final LibC C = LibC.INSTANCE;
    private static NativeRam live;
    private static final java.util.List<NativeRam> ALL = new java.util.ArrayList<>();

    private final int domid;
    private final long ramPages;
    private final long maxGfn;
    private final int fd;
    private final Pointer machine;
    private long nextSlot;
    private boolean released;

    private NativeRam(int domid, long ramPages, long maxGfn) {
        this.domid = domid;
        this.ramPages = ramPages;
        this.maxGfn = maxGfn;
        this.nextSlot = ramPages;
        long slots = ramPages + EXTRA_SLOTS;
        fd = C.memfd_create("xensim-d" + domid, LibC.MFD_CLOEXEC);
        if (fd < 0) throw new IllegalStateException("memfd_create failed: errno " + Native.getLastError());
        if (C.ftruncate(fd, slots * PAGE) != 0) throw new IllegalStateException("ftruncate failed: errno " + Native.getLastError());
        machine = C.mmap(null, slots * PAGE, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_NORESERVE, fd, 0);
        if (Pointer.nativeValue(machine) == -1L) throw new IllegalStateException("mmap of guest memory failed: errno " + Native.getLastError());
        // the guest-physical view: RAM, then the hole with no access
        map(FIRST_GFN, ramPages - FIRST_GFN, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_FIXED_NOREPLACE, fd, FIRST_GFN * PAGE);
        if (maxGfn > ramPages) {
            map(ramPages, maxGfn - ramPages, LibC.PROT_NONE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE | LibC.MAP_FIXED_NOREPLACE, -1, 0);
        }
    }

    /**
     * The native memory of domain {@code domid}: {@code ramPages} of RAM, gfns up to {@code maxGfn}.
     *
     * @throws IllegalStateException a second guest while one lives, a guest too large for the
     *                               space below the Java heap, or a range the JVM holds
     */
    public static synchronized NativeRam create(int domid, long ramPages, long maxGfn) {
        if (live != null && !live.released) {
            throw new IllegalStateException("the real OVMF drivers run one guest per JVM (d" + live.domid + " is running)");
        }
        if (maxGfn * PAGE > LIMIT) {
            throw new IllegalStateException("the real OVMF drivers need the guest below 2 GiB of guest-physical space (the Java heap's"
                    + " HeapBaseMinAddress); this guest's physmap ends at 0x" + Long.toHexString(maxGfn * PAGE));
        }
        live = new NativeRam(domid, ramPages, maxGfn);
        ALL.add(live);
        return live;
    }

    private void map(long gfn, long pages, int prot, int flags, int fd, long off) {
        Pointer want = new Pointer(gfn * PAGE);
        Pointer got = C.mmap(want, pages * PAGE, prot, flags, fd, off);
        long g = Pointer.nativeValue(got);
        if (g != gfn * PAGE) {
            int errno = Native.getLastError();
            if (g != -1L) C.munmap(got, pages * PAGE);
            throw new IllegalStateException(String.format("cannot map guest-physical [0x%x, 0x%x) at its own address (errno %d):"
                    + " the JVM holds part of it", gfn * PAGE, (gfn + pages) * PAGE, errno));
        }
    }

    @Override
    public synchronized FrameStorage storage(long ramGfn) {
        long slot;
        if (ramGfn >= 0 && ramGfn < ramPages) slot = ramGfn;
        else {
            if (nextSlot >= ramPages + EXTRA_SLOTS) throw new IllegalStateException("native guest memory: no slot left");
            slot = nextSlot++;
        }
        return new NativeFrame(slot, machine.getByteBuffer(slot * PAGE, PAGE));
    }

    @Override
    public synchronized void mapped(long gfn, Page page) {
        if (released || gfn < FIRST_GFN || gfn >= maxGfn) return;
        if (!(page.storage() instanceof NativeFrame f)) return;
        Pointer got = C.mmap(new Pointer(gfn * PAGE), PAGE, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_FIXED, fd, f.slot * PAGE);
        if (Pointer.nativeValue(got) != gfn * PAGE) throw new IllegalStateException("remap of gfn 0x" + Long.toHexString(gfn) + " failed");
    }

    @Override
    public synchronized void unmapped(long gfn) {
        if (released || gfn < FIRST_GFN || gfn >= maxGfn) return;
        C.mmap(new Pointer(gfn * PAGE), PAGE, LibC.PROT_NONE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE | LibC.MAP_FIXED, -1, 0);
    }

    /**
     * Releases the guest-physical view (the next guest may map there). The machine view stays: a
     * dying domain's pages stay readable, and pinned pages keep serving mappings.
     */
    @Override
    public synchronized void release() {
        if (released) return;
        released = true;
        C.munmap(new Pointer(FIRST_GFN * PAGE), (maxGfn - FIRST_GFN) * PAGE);
    }

    /**
     * Frees the machine memory of every guest released so far. Only once its simulation is over
     * (its actor system terminated): a page touched after this faults the process.
     */
    public static synchronized void disposeReleased() {
        disposeAll(false);
    }

    /**
     * As {@link #disposeReleased}, and first releases the guests still mapped (a run that ended
     * with its guest never destroyed: a hang, a wall-clock limit). Only after their simulation.
     */
    public static synchronized void disposeAll() {
        disposeAll(true);
    }

    private static void disposeAll(boolean live) {
        for (java.util.Iterator<NativeRam> it = ALL.iterator(); it.hasNext(); ) {
            NativeRam r = it.next();
            if (live) r.release();
            if (!r.released) continue;
            C.munmap(r.machine, (r.ramPages + EXTRA_SLOTS) * PAGE);
            C.close(r.fd);
            it.remove();
        }
    }

    public boolean released() {
        return released;
    }
}
