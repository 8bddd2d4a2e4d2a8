package xensim.firmware.ovmfc;

import static xensim.abi.GrantTableAbi.GRANT_ENTRIES_PER_FRAME;
import static xensim.abi.GrantTableAbi.GRANT_ENTRY_V1_SIZE;
import static xensim.abi.GrantTableAbi.GTF_permit_access;
import static xensim.abi.GrantTableAbi.GTF_readonly;
import static xensim.abi.GrantTableAbi.GTF_type_mask;

import java.util.ArrayList;
import java.util.List;
import xensim.platform.EventLog;
import xensim.xen.GuestPage;

/**
 * The C drivers' grant-table stores as the events the checker reads. edk2's GrantTable.c
 * (XenGrantTableGrantAccess, XenGrantTableEndAccess) writes grant entries straight into the grant
 * frames XenGrantTableInit placed with XENMEM_add_to_physmap; nothing of that passes through the
 * shim, where the Java model's GrantTableGuest emits GRANT_ACCESS and GRANT_END itself. So at
 * every point where control passes from the C code to the simulation (a shim call, a return) the
 * frames are compared with what was seen last, and each change the guest made is an event:
 * an entry that now permits access (a new one, or another frame or grantee) is GRANT_ACCESS
 * {@code ref, gfn, domid, readonly}; one that permitted access and is now invalid is GRANT_END
 * {@code ok=true}. The GTF_reading/GTF_writing bits are Xen's (set at map, cleared at unmap), not
 * the guest's: they are taken in silently. An end refused because the entry is still in use
 * leaves the entry as it was, which the checker treats as GRANT_END {@code ok=false} does: the
 * entry stays. In the coroutine vCPU nothing else runs while C runs, so the events stand where
 * the stores happened relative to everything the host did; a free-running vCPU's stores are seen
 * at its next shim call.
 */
final class GrantEntryObserver {
    private record Frame(int index, long gfn, GuestPage page, long[] seen) {}

    private final List<Frame> frames = new ArrayList<>();

    /** Grant frame {@code index} is now at {@code gfn}: what it holds now is the baseline (the toolstack's seeded entries). */
    void added(int index, long gfn, GuestPage page) {
        removed(gfn);
        long[] seen = new long[GRANT_ENTRIES_PER_FRAME];
        for (int i = 0; i < seen.length; i++) seen[i] = page.getLong(i * GRANT_ENTRY_V1_SIZE);
        frames.add(new Frame(index, gfn, page, seen));
    }

    /** The page at {@code gfn} left the physmap (XenGrantTableDeinit): no longer a grant frame of the guest's. */
    void removed(long gfn) {
        frames.removeIf(f -> f.gfn() == gfn);
    }

    /** Compares every frame with what was seen last and emits the guest's changes. */
    void observe(EventLog log, int dom, String comp) {
        for (Frame f : frames) {
            long[] seen = f.seen();
            for (int i = 0; i < seen.length; i++) {
                long now = f.page().getLong(i * GRANT_ENTRY_V1_SIZE);
                long was = seen[i];
                if (now == was) continue;
                seen[i] = now;
                int ref = f.index() * GRANT_ENTRIES_PER_FRAME + i;
                boolean permits = (now & GTF_type_mask) == GTF_permit_access;
                boolean permitted = (was & GTF_type_mask) == GTF_permit_access;
                if (permits && (!permitted || frame(now) != frame(was) || domid(now) != domid(was) || readonly(now) != readonly(was))) {
                    log.event(dom, comp, "GRANT_ACCESS").with("ref", ref).with("gfn", frame(now)).with("domid", domid(now))
                            .with("readonly", readonly(now)).emit();
                } else if (!permits && permitted) {
                    log.event(dom, comp, "GRANT_END").with("ref", ref).with("ok", true).emit();
                }
            }
        }
    }

    /** grant_entry_v1 as a little-endian long: flags (u16), domid (u16), frame (u32). */
    private static long frame(long e) {
        return e >>> 32;
    }

    private static int domid(long e) {
        return (int) (e >>> 16) & 0xFFFF;
    }

    private static boolean readonly(long e) {
        return (e & GTF_readonly) != 0;
    }
}
