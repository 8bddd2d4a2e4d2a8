package xensim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import xensim.platform.Event;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;

/** Each invariant: a sequence that violates it and the nearest sequence that does not. */
class InvariantCheckerTest {
    private static final int G = 1; // the guest
    private EventLog log;
    private EventRecorder rec;
    private InvariantChecker checker;

    @BeforeEach
    void setUp() {
        rec = new EventRecorder();
        log = new EventLog(rec);
        checker = new InvariantChecker(log);
        log.addSink(checker);
    }

    private EventLog.Builder ev(int dom, String comp, String name) {
        return log.event(dom, comp, name);
    }

    private void bootToHandoff(boolean withDevice) {
        ev(G, "toolstack", "DOMAIN_CREATED").emit();
        if (withDevice) ev(G, "toolstack", "DEVICE_CREATED").with("kind", "vbd").with("devid", 51712).emit();
    }

    private void map(long ref, long gfn, long handle) {
        ev(G, "hypervisor", "GRANT_MAP").with("mapper", 0).with("ref", ref).with("gfn", gfn)
                .with("handle", handle).with("readonly", false).with("status", 0).emit();
    }

    private void unmap(long ref, long gfn, long handle) {
        ev(G, "hypervisor", "GRANT_UNMAP").with("mapper", 0).with("ref", ref).with("gfn", gfn).with("handle", handle).emit();
    }

    private Set<Invariant> end() {
        ev(0, "runtime", "RUN_END").emit();
        return checker.verdict();
    }

    @Test
    void allocationInsideAnEbsNotifyIsFlaggedOutsideIsNot() {
        bootToHandoff(false);
        ev(G, "fw.core", "ALLOC_CALL").with("service", "AllocatePool").emit();
        ev(G, "fw.core", "EBS_BEGIN").with("mapKey", 7).emit();
        ev(G, "fw.core", "EBS_NOTIFY_BEGIN").with("driver", "XenBusDxe").with("index", 0).emit();
        assertTrue(checker.verdict().isEmpty(), "an allocation before EBS is fine");
        Event alloc = ev(G, "fw.core", "ALLOC_CALL").with("service", "FreePool").emit();
        ev(G, "fw.core", "EBS_NOTIFY_END").with("driver", "XenBusDxe").with("index", 0).emit();
        ev(G, "fw.core", "EBS_END").with("status", "EFI_SUCCESS").emit();
        ev(G, "os", "OS_HANDOFF").emit();
        assertEquals(Set.of(Invariant.ALLOC_IN_EBS), end());
        Event v = rec.named("VIOLATION").get(0);
        assertEquals("ALLOC_IN_EBS", v.get("invariant"));
        assertEquals(alloc.seq() + 1, v.seq(), "the violation directly follows its cause");
        assertTrue(((List<?>) v.get("evidence")).contains(alloc.seq()));
    }

    @Test
    void reclaimingAStillMappedPageIsAStaleMapping() {
        bootToHandoff(false);
        map(8, 0x1000, 1);
        map(9, 0x2000, 2);
        unmap(9, 0x2000, 2);
        ev(G, "os", "OS_HANDOFF").emit();
        ev(G, "os", "PAGE_RECLAIMED").with("gfn", 0x2000).with("count", 1).emit();
        assertTrue(checker.verdict().isEmpty(), "the unmapped page may be reclaimed");
        ev(G, "os", "PAGE_RECLAIMED").with("gfn", 0xff0).with("count", 0x20).emit();
        assertEquals(Set.of(Invariant.STALE_MAPPING), end());
    }

    @Test
    void aFirmwareGrantStillPermittingAccessToAReclaimedPageIsAStaleGrantUnmappedOrNot() {
        bootToHandoff(false);
        Event grant = ev(G, "fw.pvblk", "GRANT_ACCESS").with("ref", 8).with("gfn", 0x2000).with("domid", 0).emit();
        ev(G, "fw.pvblk", "GRANT_END").with("ref", 8).with("ok", false).emit();
        ev(G, "os", "OS_HANDOFF").emit();
        ev(G, "os", "PAGE_RECLAIMED").with("gfn", 0x1000).with("count", 0x800).emit();
        assertTrue(checker.verdict().isEmpty(), "the entry's page is not in the range");
        Event reclaim = ev(G, "os", "PAGE_RECLAIMED").with("gfn", 0x2000).with("count", 1).emit();
        assertEquals(Set.of(Invariant.STALE_GRANT), end());
        Event v = rec.named("VIOLATION").get(0);
        assertEquals(List.of(grant.seq(), reclaim.seq()), v.get("evidence"));
    }

    @Test
    void freeingAPageAnotherDomainMapsIsAStaleMappingBeforeAnyHandoff() {
        bootToHandoff(false);
        map(8, 0x3000, 1);
        ev(G, "fw.core", "PAGE_FREE").with("gfn", 0x3000).with("count", 1).emit();
        assertEquals(Set.of(Invariant.STALE_MAPPING), checker.verdict());
    }

    @Test
    void foreignWriteIntoAnOsPageIsDmaAfterHandoffUnlessTheOsGrantedIt() {
        bootToHandoff(false);
        map(8, 0x1000, 1);
        ev(G, "hypervisor", "FOREIGN_WRITE").with("mapper", 0).with("gfn", 0x1000).with("len", 512).emit();
        ev(G, "os", "OS_HANDOFF").emit();
        ev(G, "os", "PAGE_RECLAIMED").with("gfn", 0x3000).with("count", 16).emit();
        ev(G, "os", "GRANT_ACCESS").with("ref", 8).with("gfn", 0x3004).with("domid", 0).emit();
        ev(G, "hypervisor", "FOREIGN_WRITE").with("mapper", 0).with("gfn", 0x3004).with("len", 512).emit();
        assertTrue(checker.verdict().isEmpty(), "before handoff, and into OS-granted pages, writes are fine");
        ev(G, "hypervisor", "FOREIGN_WRITE").with("mapper", 0).with("gfn", 0x3005).with("len", 512).emit();
        Set<Invariant> v = end();
        assertTrue(v.contains(Invariant.DMA_AFTER_HANDOFF), v.toString());
    }

    @Test
    void busResetBeforeTheBackendClosedBreaksResetOrder() {
        String be = "/local/domain/0/backend/vbd/1/51712";
        ev(G, "blkback", "XENBUS_STATE").with("path", be).with("from", "InitWait").with("to", "Connected").emit();
        map(8, 0x1000, 1);
        ev(G, "fw.xenbus", "XENBUS_RESET").with("method", "ring-0xff").emit();
        assertEquals(Set.of(Invariant.RESET_ORDER), checker.verdict());
        assertEquals(1, rec.named("VIOLATION").size(), "one report per invariant and domain");
        assertEquals(2, checker.counts().get(Invariant.RESET_ORDER), "both causes are counted");
    }

    @Test
    void busResetAfterCloseAndUnmapIsInOrder() {
        String be = "/local/domain/0/backend/vbd/1/51712";
        ev(G, "blkback", "XENBUS_STATE").with("path", be).with("from", "InitWait").with("to", "Connected").emit();
        map(8, 0x1000, 1);
        map(1, 0xfeffc, 2); // the xenstore ring, mapped by xenstored: not a frontend grant
        unmap(8, 0x1000, 1);
        ev(G, "blkback", "XENBUS_STATE").with("path", be).with("from", "Closing").with("to", "Closed").emit();
        ev(G, "fw.xenbus", "XENBUS_RESET").with("method", "reconnect").emit();
        assertTrue(checker.verdict().isEmpty(), checker.verdictLine());
    }

    @Test
    void ebsThatNeverReturnsIsAHang() {
        bootToHandoff(false);
        ev(G, "fw.core", "EBS_BEGIN").emit();
        assertEquals(Set.of(Invariant.HANG), end());
    }

    @Test
    void anUnconnectedDeviceIsAHangAConnectedOneIsNot() {
        bootToHandoff(true);
        ev(G, "fw.core", "EBS_BEGIN").emit();
        ev(G, "fw.core", "EBS_END").with("status", "EFI_SUCCESS").emit();
        ev(G, "os", "OS_HANDOFF").emit();
        ev(G, "os", "OS_DEVICE_CONNECTED").with("devid", 51712).emit();
        assertTrue(end().isEmpty());

        setUp();
        bootToHandoff(true);
        ev(G, "fw.core", "EBS_BEGIN").emit();
        ev(G, "fw.core", "EBS_END").with("status", "EFI_SUCCESS").emit();
        ev(G, "os", "OS_HANDOFF").emit();
        assertEquals(Set.of(Invariant.HANG), end());
    }

    /** Boots the guest with one vbd to its OS, which asks {@code ioOps} verified I/Os of each disk. */
    private void bootToOs(int ioOps) {
        bootToHandoff(true);
        ev(G, "fw.core", "EBS_BEGIN").emit();
        ev(G, "fw.core", "EBS_END").with("status", "EFI_SUCCESS").emit();
        ev(G, "os", "OS_HANDOFF").with("memoryMapEntries", 6).with("ioOps", ioOps).emit();
    }

    /** The OS finished and the toolstack destroyed the guest, as the host does after OS_DONE; then the run ends. */
    private Event osDoneAndDestroyed(int connected, long ios) {
        Event done = ev(G, "os", "OS_DONE").with("devices", 1).with("connected", connected).with("ios", ios)
                .with("verifyFailures", 0).emit();
        ev(G, "toolstack", "DOMAIN_DESTROYED").emit();
        ev(0, "runtime", "RUN_END").with("ending", "COMPLETED").emit();
        return done;
    }

    private void workloadEnd(long ios, long unverified) {
        ev(G, "os", "OS_WORKLOAD_END").with("devid", 51712).with("ios", ios).with("errors", 0).with("readBack", 3)
                .with("readBackSectors", 17).with("unverified", unverified).emit();
    }

    /**
     * Issue 13 item 4: the disk never connected (OS_DEVICE_FAILED, 0 of 1 devices, 0 I/Os), the OS
     * gave up and finished, the host destroyed the guest — HANG skips destroyed guests, yet this
     * guest did none of its work. Not clean.
     */
    @Test
    void aGuestWhoseDiskNeverConnectedDidNotFinishItsWorkload() {
        bootToOs(64);
        Event failed = ev(G, "os", "OS_DEVICE_FAILED").with("devid", 51712).with("backend", "Closing").emit();
        Event done = osDoneAndDestroyed(0, 0);
        assertEquals("verdict: VIOLATION WORKLOAD_INCOMPLETE", checker.verdictLine());
        List<Event> v = rec.named("VIOLATION");
        assertEquals(1, v.size());
        assertEquals("WORKLOAD_INCOMPLETE", v.get(0).get("invariant"));
        assertTrue(((List<?>) v.get(0).get("evidence")).containsAll(List.of(failed.seq(), done.seq())), v.get(0).json());
        assertEquals(done.seq() + 1, v.get(0).seq(), "judged when the OS says it is done");
    }

    /** Fewer verified I/Os than the OS was asked for, or a read-back that could not verify a sector: not clean. */
    @Test
    void aShortWorkloadOrAnUnverifiedReadBackIsIncomplete() {
        bootToOs(64);
        ev(G, "os", "OS_DEVICE_CONNECTED").with("devid", 51712).emit();
        workloadEnd(63, 0);
        osDoneAndDestroyed(1, 63);
        assertEquals("verdict: VIOLATION WORKLOAD_INCOMPLETE", checker.verdictLine());

        setUp();
        bootToOs(64);
        ev(G, "os", "OS_DEVICE_CONNECTED").with("devid", 51712).emit();
        workloadEnd(64, 1);
        osDoneAndDestroyed(1, 67);
        assertEquals("verdict: VIOLATION WORKLOAD_INCOMPLETE", checker.verdictLine());

        // the OS connected the disk but its workload never ended (no OS_WORKLOAD_END) before it said done
        setUp();
        bootToOs(64);
        ev(G, "os", "OS_DEVICE_CONNECTED").with("devid", 51712).emit();
        osDoneAndDestroyed(1, 0);
        assertEquals("verdict: VIOLATION WORKLOAD_INCOMPLETE", checker.verdictLine());
    }

    @Test
    void aWholeWorkloadIsCleanAndADestroyedUnfinishedGuestIsNotJudged() {
        bootToOs(64);
        ev(G, "os", "OS_DEVICE_CONNECTED").with("devid", 51712).emit();
        workloadEnd(64, 0);
        osDoneAndDestroyed(1, 67);
        assertEquals("verdict: clean", checker.verdictLine());
        assertEquals(1, rec.named("OS_WORKLOAD_END").size(), "the work was done");

        // destroyed from outside (domain-destroy) before its OS finished: not stuck, and not judged on its work
        setUp();
        bootToOs(64);
        ev(G, "os", "OS_DEVICE_CONNECTED").with("devid", 51712).emit();
        ev(G, "toolstack", "DOMAIN_DESTROYED").emit();
        ev(0, "runtime", "RUN_END").with("ending", "COMPLETED").emit();
        assertEquals("verdict: clean", checker.verdictLine());
    }

    @Test
    void badReadIsADataIntegrityViolation() {
        ev(G, "os", "IO_VERIFY").with("sector", 8).with("ok", true).emit();
        assertTrue(checker.verdict().isEmpty());
        ev(G, "os", "IO_VERIFY").with("sector", 9).with("ok", false).emit();
        assertEquals(Set.of(Invariant.DATA_INTEGRITY), checker.verdict());
    }

    @Test
    void xenstoreIsolationAllowsOwnNodesAndOwnBackendReadsOnly() {
        ev(G, "xenstored", "XS_RSP").with("type", "XS_READ").with("path", "/local/domain/1/name").emit();
        ev(G, "xenstored", "XS_RSP").with("type", "XS_WRITE").with("path", "device/vbd/51712/state").emit();
        ev(G, "xenstored", "XS_RSP").with("type", "XS_READ").with("path", "/local/domain/0/backend/vbd/1/51712/state").emit();
        ev(G, "xenstored", "XS_RSP").with("type", "XS_READ").with("path", "/local/domain/2/name").with("error", "EACCES").emit();
        ev(0, "xenstored", "XS_RSP").with("type", "XS_WRITE").with("path", "/local/domain/2/name").emit();
        ev(G, "xenstored", "XS_RSP").with("type", "XS_WATCH").with("path", "/local/domain/2").emit();
        assertTrue(checker.verdict().isEmpty(), checker.verdictLine());
        ev(G, "xenstored", "XS_RSP").with("type", "XS_READ").with("path", "/local/domain/0/backend/vbd/2/51712/state").emit();
        assertEquals(Set.of(Invariant.XS_ISOLATION), checker.verdict());
    }

    @Test
    void destroyWithAMappedGrantIsALeak() {
        map(8, 0x1000, 1);
        unmap(8, 0x1000, 1);
        map(9, 0x1001, 2);
        ev(G, "toolstack", "DOMAIN_DESTROYED").emit();
        assertEquals(Set.of(Invariant.GRANT_LEAK), checker.verdict());
        assertEquals("verdict: VIOLATION GRANT_LEAK", checker.verdictLine());
    }

    @Test
    void aCleanLifecycleIsClean() {
        bootToHandoff(true);
        map(1, 0xfeffc, 1);
        ev(G, "fw.core", "EBS_BEGIN").emit();
        ev(G, "fw.core", "EBS_NOTIFY_BEGIN").emit();
        ev(G, "fw.core", "EBS_NOTIFY_END").emit();
        ev(G, "fw.core", "EBS_END").with("status", "EFI_SUCCESS").emit();
        ev(G, "os", "OS_HANDOFF").emit();
        ev(G, "os", "PAGE_RECLAIMED").with("gfn", 0x100).with("count", 0x100).emit();
        ev(G, "os", "OS_DEVICE_CONNECTED").with("devid", 51712).emit();
        unmap(1, 0xfeffc, 1);
        ev(G, "toolstack", "DOMAIN_DESTROYED").emit();
        assertTrue(end().isEmpty());
        assertEquals("verdict: clean", checker.verdictLine());
    }
}
