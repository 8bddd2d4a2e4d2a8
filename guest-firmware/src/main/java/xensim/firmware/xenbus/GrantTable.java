package xensim.firmware.xenbus;

import java.util.ArrayDeque;
import xensim.abi.GrantTableAbi;
import xensim.abi.HvmParams;
import xensim.platform.EventLog;
import xensim.xen.GrantTableGuest;
import xensim.xen.GuestMemory;

/**
 * edk2's GrantTable.c: the grant frames are added to the physmap at the Xen platform device's
 * MMIO hole, refs are handed out from a free list (a stack, highest ref first) above the reserved ones, GrantEndAccess is
 * refused while the backend still maps the page ("g.e. still in use!"), and deinit removes the
 * frames from the physmap (the entries stay valid in Xen).
 */
public final class GrantTable {
    public static final int NR_GRANT_FRAMES = 4;

    private final Hypercalls hc;
    private final GrantTableGuest table;
    private final long frameGfn;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    /** The highest ref never handed out (edk2's initial list, top first): NR_GRANT_ENTRIES - 1 at first. */
    private int nextRef = NR_GRANT_FRAMES * GrantTableAbi.GRANT_ENTRIES_PER_FRAME - 1;
    private boolean mapped;

    public GrantTable(Hypercalls hc, GuestMemory memory, EventLog log, String comp, long frameGfn) {
        this.hc = hc;
        this.table = new GrantTableGuest(memory, log, comp);
        this.frameGfn = frameGfn;
    }

    public GrantTableGuest entries() {
        return table;
    }

    public long frameGfn() {
        return frameGfn;
    }

    public boolean mapped() {
        return mapped;
    }

    /** XenGrantTableInit: map the frames one by one. */
    public void init(Runnable then) {
        initFrame(0, then);
    }

    private void initFrame(int i, Runnable then) {
        if (i == NR_GRANT_FRAMES) {
            mapped = true;
            then.run();
            return;
        }
        hc.addToPhysmap(HvmParams.XENMAPSPACE_grant_table, i, frameGfn + i, r -> {
            if (r.rc() == 0) table.setFrameGfn(i, frameGfn + i);
            initFrame(i + 1, then);
        });
    }

    /** XenGrantTableDeinit: remove the frames from the physmap. */
    /** XenGrantTableDeinit: the frames come out of the physmap from the last to the first, as edk2's loop runs. */
    public void deinit(Runnable then) {
        deinitFrame(NR_GRANT_FRAMES - 1, then);
    }

    private void deinitFrame(int i, Runnable then) {
        if (i < 0) {
            mapped = false;
            then.run();
            return;
        }
        hc.removeFromPhysmap(frameGfn + i, r -> {
            table.clearFrame(i);
            deinitFrame(i - 1, then);
        });
    }

    /**
     * XenGrantTableGrantAccess's XenGrantTableGetFreeEntry: edk2's free list is a stack threaded
     * through GrantList[], filled by XenGrantTableInit pushing NR_RESERVED_ENTRIES..NR_GRANT_ENTRIES-1
     * in order, so the first ref handed out is the last one (2047 with 4 frames), then 2046, ...;
     * an ended ref is pushed back and is the next one out. A ref for {@code gfn}, or -1 when the
     * list is empty (edk2 ASSERTs there).
     */
    public int grantAccess(int domid, long gfn, boolean readonly) {
        Integer ref = free.pollFirst();
        if (ref == null) {
            if (nextRef < GrantTableAbi.GNTTAB_NR_RESERVED_ENTRIES) return -1;
            ref = nextRef--;
        }
        table.grantAccess(ref, domid, gfn, readonly);
        return ref;
    }

    /** XenGrantTableEndAccess: false (EFI_NOT_READY) while mapped, and the ref is not reused; else XenGrantTablePutFreeEntry pushes it. */
    public boolean endAccess(int ref) {
        if (!table.endAccess(ref)) return false;
        free.addFirst(ref);
        return true;
    }

    public boolean inUse(int ref) {
        return table.inUse(ref);
    }
}
