package xensim.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Each invariant of DESIGN.md §4 provoked by a hand-written log, next to the clean life of a guest. */
class OfflineCheckerTest {
    private static final int G = 1;

    private static TestLog booted() {
        TestLog log = new TestLog().begin();
        log.ev(G, "toolstack", "DOMAIN_CREATED", "name", "g", "memory", 65536);
        return log;
    }

    private static long map(TestLog log, long ref, long gfn, long handle) {
        return log.ev(G, "hypervisor", "GRANT_MAP", "mapper", 0, "ref", ref, "gfn", gfn, "handle", handle, "readonly", false, "status", 0);
    }

    private static void unmap(TestLog log, long ref, long gfn, long handle) {
        log.ev(G, "hypervisor", "GRANT_UNMAP", "mapper", 0, "ref", ref, "gfn", gfn, "handle", handle, "readonly", false, "status", 0,
                "reason", "unmap");
    }

    private static void ebsAndHandoff(TestLog log) {
        log.ev(G, "fw.core", "EBS_BEGIN", "mapKey", 1);
        log.ev(G, "fw.core", "EBS_END", "status", "EFI_SUCCESS");
        log.ev(G, "os", "OS_HANDOFF", "memoryMapEntries", 3);
    }

    @Test
    void aCleanLifeIsClean() {
        OfflineChecker c = new TestLog().begin().cleanGuest(1).cleanGuest(2).end("clean").check();
        assertEquals(List.of(), c.verdict(), c.findings().toString());
        assertEquals("verdict: clean", c.verdictLine());
        assertTrue(c.progressJudged());
    }

    @Test
    void theLogsOwnVerdictsAreIgnored() {
        TestLog log = new TestLog().begin().cleanGuest(1);
        log.ev(1, "checker", "VIOLATION", "invariant", "STALE_MAPPING", "evidence", List.of(3L), "detail", "decoy");
        OfflineChecker c = log.end("VIOLATION STALE_MAPPING HANG").check();
        assertEquals(List.of(), c.verdict());
    }

    @Test
    void allocationWhileANotifyRunsIsAllocInEbs() {
        TestLog log = booted();
        log.ev(G, "fw.core", "ALLOC_CALL", "service", "AllocatePool", "inEbs", false);
        long begin = log.ev(G, "fw.core", "EBS_BEGIN", "mapKey", 1);
        long notify = log.ev(G, "fw.core", "EBS_NOTIFY_BEGIN", "driver", "XenBusDxe", "index", 0, "tpl", 8);
        long alloc = log.ev(G, "fw.core", "ALLOC_CALL", "service", "FreePool", "inEbs", true);
        log.ev(G, "fw.core", "EBS_NOTIFY_END", "driver", "XenBusDxe", "index", 0);
        log.ev(G, "fw.core", "ALLOC_CALL", "service", "FreePool", "inEbs", true); // between notifies: not while one runs
        log.ev(G, "fw.core", "EBS_END", "status", "EFI_SUCCESS");
        log.ev(G, "os", "OS_HANDOFF", "memoryMapEntries", 3);
        OfflineChecker c = log.end("VIOLATION ALLOC_IN_EBS").check();
        assertEquals(List.of("ALLOC_IN_EBS"), c.verdict());
        assertEquals(1, c.count("ALLOC_IN_EBS"));
        assertEquals(List.of(begin, notify, alloc), c.findings().get(0).evidence(), "the chain: EBS began, a notify runs, it allocates");
    }

    @Test
    void reclaimingAMappedPageIsAStaleMapping() {
        TestLog log = booted();
        long access = log.ev(G, "fw.pvblk", "GRANT_ACCESS", "ref", 8, "gfn", 0x1000, "domid", 0, "readonly", false);
        long mapped = map(log, 8, 0x1000, 1);
        map(log, 9, 0x2000, 2);
        unmap(log, 9, 0x2000, 2);
        ebsAndHandoff(log);
        long handoff = log.seq();
        log.ev(G, "os", "PAGE_RECLAIMED", "gfn", 0x2000, "count", 1, "type", "EfiBootServicesData");
        long reclaim = log.ev(G, "os", "PAGE_RECLAIMED", "gfn", 0xff0, "count", 0x20, "type", "EfiBootServicesData");
        OfflineChecker c = log.end("VIOLATION STALE_MAPPING STALE_GRANT").check();
        // the firmware never ended ref 8, so its entry still permits access too (issue 14 item 11)
        assertEquals(List.of("STALE_MAPPING", "STALE_GRANT"), c.verdict());
        java.util.Map<String, List<Long>> ev = new java.util.HashMap<>();
        for (OfflineChecker.Finding f : c.findings()) ev.put(f.invariant(), f.evidence());
        assertEquals(List.of(access, mapped, handoff, reclaim), ev.get("STALE_MAPPING"));
        assertEquals(List.of(access, handoff, reclaim), ev.get("STALE_GRANT"));
    }

    @Test
    void aForeignWriteIntoAnUngrantedOsPageIsDmaAfterHandoff() {
        TestLog log = booted();
        long mapped = map(log, 8, 0x3005, 1);
        log.ev(G, "hypervisor", "FOREIGN_WRITE", "mapper", 0, "ref", 8, "gfn", 0x3005, "off", 0, "len", 512, "handle", 1); // before handoff
        ebsAndHandoff(log);
        long handoff = log.seq();
        // the mapping must be gone by the reclaim or that is (also) a stale mapping; a write through a
        // mapping of another ref onto the page is what DMA_AFTER_HANDOFF is about
        unmap(log, 8, 0x3005, 1);
        long reclaim = log.ev(G, "os", "PAGE_RECLAIMED", "gfn", 0x3000, "count", 16, "type", "EfiBootServicesData");
        log.ev(G, "os", "GRANT_ACCESS", "ref", 8, "gfn", 0x3004, "domid", 0, "readonly", false);
        log.ev(G, "hypervisor", "FOREIGN_WRITE", "mapper", 0, "ref", 8, "gfn", 0x3004, "off", 0, "len", 512, "handle", 3);
        assertEquals(List.of(), copyCheck(log).verdict(), "writes before handoff and into OS-granted pages are fine");
        long write = log.ev(G, "hypervisor", "FOREIGN_WRITE", "mapper", 0, "ref", 10, "gfn", 0x3005, "off", 0, "len", 512, "handle", 1);
        OfflineChecker c = log.end("VIOLATION DMA_AFTER_HANDOFF").check();
        assertEquals(List.of("DMA_AFTER_HANDOFF"), c.verdict());
        assertEquals(List.of(handoff, reclaim, write), c.findings().get(0).evidence());
        assertTrue(mapped < handoff);
    }

    @Test
    void anOsGrantEndedMakesThePageProtectedAgain() {
        TestLog log = booted();
        ebsAndHandoff(log);
        log.ev(G, "os", "PAGE_RECLAIMED", "gfn", 0x3000, "count", 4, "type", "EfiBootServicesData");
        log.ev(G, "os", "GRANT_ACCESS", "ref", 8, "gfn", 0x3001, "domid", 0, "readonly", false);
        log.ev(G, "os", "GRANT_END", "ref", 8, "ok", false); // still mapped: the grant stays
        log.ev(G, "hypervisor", "FOREIGN_WRITE", "mapper", 0, "ref", 8, "gfn", 0x3001, "off", 0, "len", 512, "handle", 3);
        assertEquals(List.of(), copyCheck(log).verdict());
        log.ev(G, "os", "GRANT_END", "ref", 8, "ok", true);
        log.ev(G, "hypervisor", "FOREIGN_WRITE", "mapper", 0, "ref", 8, "gfn", 0x3001, "off", 0, "len", 512, "handle", 3);
        assertEquals(List.of("DMA_AFTER_HANDOFF"), log.end("x").check().verdict());
    }

    @Test
    void busResetBeforeTheBackendClosedOrUnmappedBreaksResetOrder() {
        TestLog log = booted();
        String be = "/local/domain/0/backend/vbd/1/51712/state";
        long connected = log.ev(G, "blkback", "XENBUS_STATE", "path", be, "from", "InitWait", "to", "Connected");
        long mapped = map(log, 8, 0x1000, 1);
        map(log, 1, 0xfeffc, 2); // xenstore ring (reserved ref): not the endpoint's
        long reset = log.ev(G, "fw.xenbus", "XENBUS_RESET", "method", "ring-0xff", "grantTable", true);
        OfflineChecker c = log.check();
        assertEquals(List.of("RESET_ORDER"), c.verdict());
        assertEquals(2, c.count("RESET_ORDER"), "both causes counted");
        assertEquals(1, c.findings().size(), "first per invariant and domain kept");
        assertEquals(List.of(connected, reset), c.findings().get(0).evidence());
        assertTrue(mapped > 0);
    }

    @Test
    void busResetAfterCloseAndUnmapIsInOrder() {
        TestLog log = booted();
        String be = "/local/domain/0/backend/vbd/1/51712/state";
        log.ev(G, "blkback", "XENBUS_STATE", "path", be, "from", "InitWait", "to", "Connected");
        map(log, 8, 0x1000, 1);
        map(log, 1, 0xfeffc, 2);
        unmap(log, 8, 0x1000, 1);
        log.ev(G, "blkback", "XENBUS_STATE", "path", be, "from", "Closing", "to", 6); // numeric state: Closed
        log.ev(G, "fw.xenbus", "XENBUS_RESET", "method", "reconnect", "grantTable", true);
        assertEquals(List.of(), log.check().verdict());
    }

    @Test
    void hangs() {
        // EBS never returns
        TestLog a = booted();
        a.ev(G, "fw.core", "EBS_BEGIN", "mapKey", 1);
        assertEquals(List.of("HANG"), a.end("VIOLATION HANG").check().verdict());
        // EBS returned an error and was never retried successfully
        TestLog b = booted();
        b.ev(G, "fw.core", "EBS_BEGIN", "mapKey", 1);
        b.ev(G, "fw.core", "EBS_END", "status", "EFI_INVALID_PARAMETER");
        assertEquals(List.of("HANG"), b.end("VIOLATION HANG").check().verdict());
        // parked firmware
        TestLog c = booted();
        c.ev(G, "fw.core", "FW_PARKED", "reason", "waits on a timer after EBS");
        assertEquals(List.of("HANG"), c.end("VIOLATION HANG").check().verdict());
        // created, never reached the OS
        assertEquals(List.of("HANG"), booted().end("VIOLATION HANG").check().verdict());
        // the OS never connected the device
        TestLog d = booted();
        d.ev(G, "toolstack", "DEVICE_CREATED", "kind", "vbd", "devid", 51712);
        ebsAndHandoff(d);
        assertEquals(List.of("HANG"), d.end("VIOLATION HANG").check().verdict());
        // ... and with it connected, clean; a destroyed guest that never booted is no hang
        d = booted();
        d.ev(G, "toolstack", "DEVICE_CREATED", "kind", "vbd", "devid", 51712);
        ebsAndHandoff(d);
        d.ev(G, "os", "OS_DEVICE_CONNECTED", "devid", 51712);
        assertEquals(List.of(), d.end("clean").check().verdict());
        TestLog e = booted();
        e.ev(G, "toolstack", "DOMAIN_DESTROYED", "leakedGrants", 0);
        assertEquals(List.of(), e.end("clean").check().verdict());
    }

    @Test
    void hangIsJudgedOnlyAtRunEnd() {
        TestLog log = booted();
        log.ev(G, "fw.core", "EBS_BEGIN", "mapKey", 1);
        OfflineChecker c = log.check(); // truncated: no RUN_END
        assertFalse(c.progressJudged());
        assertEquals(List.of(), c.verdict());
    }

    @Test
    void aBadReadIsADataIntegrityViolation() {
        TestLog log = booted();
        log.ev(G, "os", "IO_VERIFY", "sector", 8, "count", 8, "ok", true);
        assertEquals(List.of(), copyCheck(log).verdict());
        long bad = log.ev(G, "os", "IO_VERIFY", "sector", 9, "count", 8, "ok", false);
        OfflineChecker c = log.check();
        assertEquals(List.of("DATA_INTEGRITY"), c.verdict());
        assertEquals(List.of(bad), c.findings().get(0).evidence());
    }

    @Test
    void crossDomainXenstoreAccessIsAnIsolationBreach() {
        TestLog log = booted();
        // allowed: own nodes (absolute and relative), the own backend directory (read), refused accesses, dom0
        log.ev(G, "xenstored", "XS_RSP", "type", "XS_WRITE", "reqId", 1, "path", "/local/domain/1/device/vbd/51712/state", "error", null);
        log.ev(G, "xenstored", "XS_RSP", "type", "XS_READ", "reqId", 2, "path", "name", "error", null);
        log.ev(G, "xenstored", "XS_RSP", "type", "XS_READ", "reqId", 3, "path", "/local/domain/0/backend/vbd/1/51712/state", "error", null);
        log.ev(G, "xenstored", "XS_RSP", "type", "XS_READ", "reqId", 4, "path", "/local/domain/2/name", "error", "EACCES");
        log.ev(G, "xenstored", "XS_RSP", "type", "XS_WATCH", "reqId", 5, "path", "/local/domain/2", "error", null);
        log.ev(0, "xenstored", "XS_RSP", "type", "XS_WRITE", "reqId", 6, "path", "/local/domain/2/name", "error", null);
        assertEquals(List.of(), copyCheck(log).verdict());
        long req = log.ev(G, "xenstored", "XS_REQ", "type", "XS_WRITE", "reqId", 7, "txId", 0, "path", "/local/domain/0/backend/vbd/1/51712/state");
        long rsp = log.ev(G, "xenstored", "XS_RSP", "type", "XS_WRITE", "reqId", 7, "path", "/local/domain/0/backend/vbd/1/51712/state", "error", null);
        OfflineChecker c = log.check();
        assertEquals(List.of("XS_ISOLATION"), c.verdict(), "a frontend may read, not write, its backend's nodes");
        assertEquals(List.of(req, rsp), c.findings().get(0).evidence());
    }

    @Test
    void destroyingAGuestWhoseGrantIsStillMappedIsAGrantLeak() {
        TestLog log = booted();
        long mapped = map(log, 8, 0x1000, 1);
        map(log, 9, 0x1001, 2);
        unmap(log, 9, 0x1001, 2);
        log.ev(G, "hypervisor", "GRANT_MAP", "mapper", 0, "ref", 10, "gfn", -1, "handle", -1, "readonly", false, "status", -3); // failed
        long destroyed = log.ev(G, "toolstack", "DOMAIN_DESTROYED", "leakedGrants", 1);
        OfflineChecker c = log.end("VIOLATION GRANT_LEAK").check();
        assertEquals(List.of("GRANT_LEAK"), c.verdict());
        assertEquals(1, c.count("GRANT_LEAK"));
        assertEquals(List.of(mapped, destroyed), c.findings().get(0).evidence());
    }

    /** A guest with one vbd booted to its OS, which asks 64 verified I/Os of each disk. */
    private static TestLog atOs() {
        TestLog log = booted();
        log.ev(G, "toolstack", "DEVICE_CREATED", "kind", "vbd", "devid", 51712);
        log.ev(G, "fw.core", "EBS_BEGIN", "mapKey", 1);
        log.ev(G, "fw.core", "EBS_END", "status", "EFI_SUCCESS");
        log.ev(G, "os", "OS_HANDOFF", "memoryMapEntries", 3, "ioOps", 64);
        return log;
    }

    private static long doneAndDestroyed(TestLog log, int connected) {
        long done = log.ev(G, "os", "OS_DONE", "devices", 1, "connected", connected, "ios", 0, "verifyFailures", 0);
        log.ev(G, "toolstack", "DOMAIN_DESTROYED", "leakedGrants", 0);
        return done;
    }

    private static long workloadEnd(TestLog log, long ios, long unverified) {
        return log.ev(G, "os", "OS_WORKLOAD_END", "devid", 51712, "ios", ios, "errors", 0, "readBack", 3, "readBackSectors", 17,
                "unverified", unverified);
    }

    /** Issue 13 item 4: a disk that never connected (OS_DEVICE_FAILED), the OS done, the guest destroyed: not clean. */
    @Test
    void aGuestWhoseDiskNeverConnectedDidNotFinishItsWorkload() {
        TestLog log = atOs();
        long failed = log.ev(G, "os", "OS_DEVICE_FAILED", "devid", 51712, "backend", "Closing");
        long done = doneAndDestroyed(log, 0);
        OfflineChecker c = log.end("VIOLATION WORKLOAD_INCOMPLETE").check();
        assertEquals("verdict: VIOLATION WORKLOAD_INCOMPLETE", c.verdictLine(), c.findings().toString());
        assertTrue(c.findings().get(0).evidence().containsAll(List.of(failed, done)), c.findings().toString());
    }

    @Test
    void aShortWorkloadOrAnUnverifiedReadBackIsIncomplete() {
        TestLog a = atOs();
        a.ev(G, "os", "OS_DEVICE_CONNECTED", "devid", 51712);
        workloadEnd(a, 63, 0);
        doneAndDestroyed(a, 1);
        assertEquals("verdict: VIOLATION WORKLOAD_INCOMPLETE", a.end("x").check().verdictLine());
        TestLog b = atOs();
        b.ev(G, "os", "OS_DEVICE_CONNECTED", "devid", 51712);
        workloadEnd(b, 64, 2);
        doneAndDestroyed(b, 1);
        assertEquals("verdict: VIOLATION WORKLOAD_INCOMPLETE", b.end("x").check().verdictLine());
        TestLog c = atOs(); // connected, but its workload never ended before the OS said done
        c.ev(G, "os", "OS_DEVICE_CONNECTED", "devid", 51712);
        doneAndDestroyed(c, 1);
        assertEquals("verdict: VIOLATION WORKLOAD_INCOMPLETE", c.end("x").check().verdictLine());
    }

    @Test
    void aWholeWorkloadIsCleanAndADestroyedUnfinishedGuestIsNotJudged() {
        TestLog a = atOs();
        a.ev(G, "os", "OS_DEVICE_CONNECTED", "devid", 51712);
        long end = workloadEnd(a, 64, 0);
        doneAndDestroyed(a, 1);
        assertEquals("verdict: clean", a.end("clean").check().verdictLine());
        assertTrue(a.text().contains("\"seq\":" + end + ",") && a.text().contains("OS_WORKLOAD_END"), "the work was done");
        TestLog b = atOs(); // destroyed from outside before its OS finished
        b.ev(G, "os", "OS_DEVICE_CONNECTED", "devid", 51712);
        b.ev(G, "toolstack", "DOMAIN_DESTROYED", "leakedGrants", 0);
        assertEquals("verdict: clean", b.end("clean").check().verdictLine());
    }

    @Test
    void verdictLineFollowsTheDesignOrder() {
        assertEquals("verdict: VIOLATION STALE_MAPPING HANG GRANT_LEAK",
                OfflineChecker.verdictLine(java.util.Set.of("GRANT_LEAK", "HANG", "STALE_MAPPING")));
    }

    @Test
    void reclaimedRangesAreAUnion() {
        OfflineChecker.GfnRanges r = new OfflineChecker.GfnRanges();
        r.add(0x102, 0x106, 1);
        r.add(0x103, 0x105, 2);
        r.add(0x100, 0x110, 3);
        assertEquals(3, r.coveredBy(0x100));
        assertEquals(1, r.coveredBy(0x105));
        assertEquals(3, r.coveredBy(0x106));
        assertEquals(3, r.coveredBy(0x10f));
        assertEquals(-1, r.coveredBy(0x110));
        assertEquals(-1, r.coveredBy(0xff));
    }

    /** The verdict so far, without RUN_END. */
    private static OfflineChecker copyCheck(TestLog log) {
        return log.check();
    }
}
