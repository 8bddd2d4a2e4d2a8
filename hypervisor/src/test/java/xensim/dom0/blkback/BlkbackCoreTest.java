package xensim.dom0.blkback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.abi.Blkif;
import xensim.abi.HvmParams;
import xensim.abi.SharedRing;
import xensim.abi.XenbusState;
import xensim.platform.Event;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.xen.DomainConfig;
import xensim.xen.GrantTableGuest;
import xensim.xen.GuestMemory;
import xensim.xen.Hypervisor;

/**
 * {@link BlkbackCore} without Akka: the test is xenstored, the hypervisor's answers and the
 * clock, so it decides the order of every step and drives the interleavings that real threads
 * reach only by luck.
 */
class BlkbackCoreTest {
    static final int DEVID = 51712;
    static final long RING_GFN = 0x20;
    static final String BE = "/local/domain/0/backend/vbd/1/51712";
    static final String FE = "/local/domain/1/device/vbd/51712";

    @TempDir
    Path dir;
    EventRecorder rec;
    Hypervisor hv;
    GuestMemory mem;
    GrantTableGuest gt;
    int dom;
    BlkbackCore core;
    World io;
    long now;
    final Map<Long, Long> answeredAt = new HashMap<>();

    /** The world as the core sees it: every request waits until the test answers it. */
    final class World implements BlkbackCore.Io {
        final Map<String, String> store = new HashMap<>();
        final ArrayDeque<Map.Entry<String, Consumer<String>>> reads = new ArrayDeque<>();
        final ArrayDeque<int[]> maps = new ArrayDeque<>();
        final ArrayDeque<int[]> binds = new ArrayDeque<>();
        final TreeMap<Long, List<Runnable>> timers = new TreeMap<>();
        final List<Integer> unmapped = new ArrayList<>();
        /** When (test clock) each handle was unmapped. */
        final Map<Integer, Long> unmappedAt = new HashMap<>();
        Runnable feWatch;
        boolean xsOpen = true;

        @Override public void xsRead(String path, Consumer<String> k) { if (xsOpen) reads.add(Map.entry(path, k)); }
        @Override public void xsWrite(String path, String value) { if (xsOpen) store.put(path, value); }
        @Override public void xsWatch(String path, String token, Runnable onFire) {
            feWatch = onFire;
            onFire.run(); // XS_WATCH fires once at registration
        }
        @Override public void mapGrant(int d, int gref, boolean readonly) { maps.add(new int[] {d, gref, readonly ? 1 : 0}); }
        @Override public void unmapGrant(int handle, boolean answer) {
            unmapped.add(handle);
            unmappedAt.put(handle, now);
            Hypervisor.GrantUnmapped u = hv.unmapGrantRef(0, handle);
            if (answer) core.onGrantUnmapped(u);
        }
        @Override public void bindInterdomain(int remoteDom, int remotePort) { binds.add(new int[] {remoteDom, remotePort}); }
        @Override public void bindUpcall(int localPort) { }
        @Override public void evtchnSend(int localPort) { }
        @Override public void evtchnClose(int localPort) { hv.evtchnClose(0, localPort); }
        @Override public void after(long nanos, Runnable r) { timers.computeIfAbsent(now + nanos, k -> new ArrayList<>()).add(r); }
        @Override public void closeXs() { xsOpen = false; reads.clear(); }

        /** xenstored answers the oldest read. */
        String answerRead() {
            var r = reads.poll();
            assertNotNull(r, "a read is waiting");
            r.getValue().accept(store.get(r.getKey()));
            return r.getKey();
        }

        void answerAllReads() {
            while (!reads.isEmpty()) answerRead();
        }

        /** The hypervisor answers the oldest map. */
        Hypervisor.GrantMapped answerMap() {
            int[] m = maps.poll();
            assertNotNull(m, "a map is waiting");
            Hypervisor.GrantMapped g = hv.mapGrantRef(0, m[0], m[1], m[2] == 1);
            core.onGrantMapped(g);
            return g;
        }

        void answerBind() {
            int[] b = binds.poll();
            assertNotNull(b, "a bind is waiting");
            core.onBound(hv.evtchnBindInterdomain(0, b[0], b[1]));
        }

        /** The frontend writes its state; the watch fires and blkback reads it. */
        void frontend(XenbusState s) {
            store.put(FE + "/state", Integer.toString(s.code()));
            feWatch.run();
        }

        /** Runs every answer and timer until nothing is left. */
        void settle() {
            while (step()) { }
        }

        /** One answer, or the earliest timers; false when nothing is left. */
        boolean step() {
            if (!reads.isEmpty()) answerRead();
            else if (!maps.isEmpty()) answerMap();
            else if (!binds.isEmpty()) answerBind();
            else if (!timers.isEmpty()) {
                var e = timers.pollFirstEntry();
                now = Math.max(now, e.getKey());
                e.getValue().forEach(Runnable::run);
            } else {
                return false;
            }
            return true;
        }
    }

    SharedRing.FrontRing ring;
    int port;
    /** The image the current incarnation serves. */
    DiskImage disk;

    @BeforeEach
    void setUp() throws Exception {
        rec = new EventRecorder();
        EventLog log = new EventLog(rec, e -> {
            if (e.ev().equals("RING_RSP")) answeredAt.put(e.getLong("id"), now);
        });
        hv = new Hypervisor(log);
        DomainConfig cfg = DomainConfig.ofRamPages(4096);
        Hypervisor.DomainCreated dc = hv.createDomain(0, cfg);
        dom = dc.domid();
        mem = dc.memory();
        hv.addToPhysmap(dom, dom, HvmParams.XENMAPSPACE_grant_table, 0, cfg.firstHoleGfn());
        gt = new GrantTableGuest(mem, log, "fw.pvblk");
        gt.setFrameGfn(0, cfg.firstHoleGfn());
        Path image = dir.resolve("disk.img");
        DiskImage.create(image, 4096).close();
        BlkbackConfig bc = new BlkbackConfig(dom, DEVID, BE, FE, image, false, 1_000_000, 0, 1, 8, BlkbackProfile.DRAIN);
        core = new BlkbackCore(bc, log, () -> now, new LatencyModel(1_000_000, 0, 1, 8, new SplittableRandom(3)));
        newIncarnation(image);
        io.store.put(BE + "/state", "1");
        io.store.put(FE + "/state", "1");
    }

    void newIncarnation(Path image) throws Exception {
        World next = new World();
        if (io != null) next.store.putAll(io.store);
        io = next;
        disk = DiskImage.open(image == null ? dir.resolve("disk.img") : image, false);
        core.attach(io, disk);
        core.start();
    }

    /** blkfront's talk_to_blkback: a fresh ring at RING_GFN granted as ref 8, then Initialised. */
    void frontendConnects() {
        SharedRing.init(mem.page(RING_GFN));
        ring = new SharedRing.FrontRing(mem.page(RING_GFN), Blkif.ENTRY_SIZE);
        gt.grantAccess(8, 0, RING_GFN, false);
        port = hv.evtchnAllocUnbound(dom, dom, 0).port();
        io.store.put(FE + "/ring-ref", "8");
        io.store.put(FE + "/event-channel", Integer.toString(port));
        io.store.put(FE + "/protocol", "x86_64-abi");
        io.frontend(XenbusState.Initialised);
    }

    /** A one-page write request on the ring (not yet kicked). */
    void pushWrite(long id, int ref, long gfn) {
        gt.grantAccess(ref, 0, gfn, true);
        Blkif.writeRequest(ring.page(), ring.slot(ring.reqProdPvt),
                Blkif.Request.readWrite(Blkif.BLKIF_OP_WRITE, DEVID, id, 8 * id, new Blkif.Segment(ref, 0, 7)));
        ring.reqProdPvt++;
        ring.pushRequestsAndCheckNotify();
    }

    /** A one-page read request on the ring (not yet kicked). */
    void pushRead(long id, int ref, long gfn, long sector) {
        gt.grantAccess(ref, 0, gfn, false);
        Blkif.writeRequest(ring.page(), ring.slot(ring.reqProdPvt),
                Blkif.Request.readWrite(Blkif.BLKIF_OP_READ, DEVID, id, sector, new Blkif.Segment(ref, 0, 7)));
        ring.reqProdPvt++;
        ring.pushRequestsAndCheckNotify();
    }

    /** blk_start_plug: READs consumed back to back in one wake-up are one read of the image, and each gets its own data. */
    @Test
    void backToBackReadsOfOneWakeUpAreOneReadOfTheImage() throws Exception {
        byte[] data = new byte[7 * 4096];
        new SplittableRandom(11).nextBytes(data);
        try (DiskImage w = DiskImage.open(dir.resolve("disk.img"), false)) {
            w.write(64 * 512L, data, 0, 6 * 4096); // sectors 64..111
            w.write(512 * 512L, data, 6 * 4096, 4096); // sector 512, not adjacent
        }
        io.settle();
        frontendConnects();
        io.settle();
        long before = disk.fileReads();
        for (int i = 0; i < 6; i++) pushRead(i, 20 + i, 0x100 + i, 64 + 8L * i);
        pushRead(6, 26, 0x106, 512);
        core.kick();
        io.settle();
        for (int i = 0; i < 7; i++) {
            assertTrue(answeredAt.containsKey((long) i), "request " + i + " answered");
            byte[] page = new byte[4096];
            mem.page(0x100 + i).getBytes(0, page, 0, 4096);
            assertEquals(java.util.Arrays.toString(java.util.Arrays.copyOfRange(data, i * 4096, (i + 1) * 4096)),
                    java.util.Arrays.toString(page), "request " + i + "'s data");
        }
        assertEquals(2, disk.fileReads() - before, "six adjacent READs merged into one read, the seventh alone");
    }

    List<String> transitions() {
        return rec.named("XENBUS_STATE").stream().map(e -> e.getString("to")).toList();
    }

    @Test
    void aFirstIncarnationWalksTheXenbusStatesAsLinux() {
        io.settle();
        assertEquals(XenbusState.InitWait, core.state());
        assertEquals("1", io.store.get(BE + "/feature-flush-cache"));
        frontendConnects();
        io.settle();
        assertEquals(XenbusState.Connected, core.state());
        assertEquals("4096", io.store.get(BE + "/sectors"));
        pushWrite(1, 9, 0x100);
        core.kick();
        io.settle();
        assertTrue(answeredAt.containsKey(1L));
        io.frontend(XenbusState.Closing);
        io.settle();
        assertEquals(XenbusState.Closing, core.state());
        assertFalse(core.ringAttached());
        assertTrue(gt.endAccess(8), "the ring is unmapped");
        io.frontend(XenbusState.Closed);
        io.settle();
        io.frontend(XenbusState.Initialising);
        io.settle();
        assertEquals(List.of("InitWait", "Connected", "Closing", "Closed", "InitWait"), transitions());
    }

    /** Issue 13.2, step by step: Closing between connect's ring-ref and event-channel reads. */
    @Test
    void closingBetweenTheConnectReadsCancelsTheConnect() {
        io.settle();
        frontendConnects();
        assertEquals(FE + "/state", io.answerRead()); // the watch's read: Initialised -> connect
        assertEquals(FE + "/ring-ref", io.answerRead());
        io.frontend(XenbusState.Closing); // the frontend gives up; its read waits behind event-channel's
        io.settle();
        assertEquals(XenbusState.Closing, core.state());
        assertFalse(core.ringAttached());
        assertEquals(0, rec.named("GRANT_MAP").size(), "the cancelled connect mapped nothing");
        assertEquals(List.of("InitWait", "Closing"), transitions());
    }

    /** Issue 13.1, step by step: the restarted incarnation sees Closing; the next ring starts at 0. */
    @Test
    void aRestartThatSeesClosingStartsTheNextRingFromZero() throws Exception {
        io.settle();
        frontendConnects();
        io.settle();
        for (int i = 0; i < 5; i++) pushWrite(10 + i, 20 + i, 0x100 + i);
        core.kick();
        while (!io.maps.isEmpty()) io.answerMap(); // mapped, in service: timers pending
        assertEquals(5, core.inFlightCount());
        io.timers.clear(); // ...when the backend dies
        core.crashed();
        io.store.put(FE + "/state", Integer.toString(XenbusState.Closing.code()));
        newIncarnation(null);
        io.settle();
        assertEquals(XenbusState.Closing, core.state());
        io.frontend(XenbusState.Closed);
        io.settle();
        io.frontend(XenbusState.Initialising);
        io.settle();
        assertEquals(XenbusState.InitWait, core.state());
        frontendConnects(); // the same ref 8, indexes zero
        io.settle();
        assertEquals(XenbusState.Connected, core.state());
        pushWrite(99, 40, 0x200);
        core.kick();
        io.settle();
        assertTrue(answeredAt.containsKey(99L), "the fresh ring's request was served");
        assertEquals(1, ring.page().getIntAcquire(SharedRing.RSP_PROD), "one response, from index 0");
        assertEquals(List.of(), rec.named("BACKEND_ERROR").stream().map(Event::json).toList());
    }

    /** A data map the dead incarnation asked for is answered after the restart: released, never taken. */
    @Test
    void aMapAnswerOwedToADeadIncarnationIsReleasedAndTheRingResumes() throws Exception {
        io.settle();
        frontendConnects();
        io.settle();
        pushWrite(1, 9, 0x100);
        core.kick();
        assertEquals(1, io.maps.size(), "the data map is asked");
        ArrayDeque<int[]> owed = new ArrayDeque<>(io.maps);
        core.crashed();
        newIncarnation(null);
        io.maps.addAll(owed); // the hypervisor answers the dead incarnation's map first
        io.answerRead(); // backend state: Connected -> a resumable restart
        io.answerRead(); // frontend state: Initialised -> connect
        io.answerRead();
        io.answerRead();
        io.answerRead(); // ring-ref, event-channel, protocol
        assertEquals(2, io.maps.size(), "the owed data map, then the new ring map");
        Hypervisor.GrantMapped stale = io.answerMap();
        assertTrue(stale.ok());
        assertTrue(io.unmapped.contains(stale.handle()), "the dead incarnation's mapping is released");
        io.settle();
        assertEquals(XenbusState.Connected, core.state());
        assertTrue(answeredAt.containsKey(1L), "the journal re-served the request");
        assertEquals(1, ring.page().getIntAcquire(SharedRing.RSP_PROD));
    }

    /** Issue 13.5c: a stall holds back what is in service; a slow-down stretches what is left of it. */
    @Test
    void aStallAndASlowDownMoveRequestsAlreadyInService() {
        io.settle();
        frontendConnects();
        io.settle();
        pushWrite(1, 9, 0x100);
        core.kick();
        while (!io.maps.isEmpty()) io.answerMap();
        long due = io.timers.firstKey();
        assertTrue(due > 0);
        core.stall(1_000_000_000L);
        io.settle();
        assertTrue(answeredAt.get(1L) >= due + 1_000_000_000L, "answered at " + answeredAt.get(1L) + ", due " + due);

        pushWrite(2, 10, 0x101);
        core.kick();
        while (!io.maps.isEmpty()) io.answerMap();
        long start = now;
        long due2 = io.timers.lastKey();
        core.slowDown(1e300); // saturates: the request never completes within any run
        io.settle();
        assertFalse(answeredAt.containsKey(2L) && answeredAt.get(2L) < start + LatencyModel.MAX_SERVICE_NANOS / 2,
                "a huge slow-down never makes the backend instant (due " + due2 + ")");
    }

    /**
     * The planted backend-respond-before-unmap, step by step: the response is on the ring while the
     * data grant is still mapped (a frontend ending access now is refused, as edk2's
     * XenGrantTableEndAccess is: GTF_writing/GTF_reading still set), and the unmap follows as its own
     * step {@code unmapAfter} later, inside the defect's range. Once its count is used up the backend
     * is Linux's again: unmap, then respond.
     */
    @Test
    void respondBeforeUnmapAnswersWhileTheDataGrantIsStillMapped() {
        io.settle();
        frontendConnects();
        io.settle();
        core.defectRandom(new SplittableRandom(11));
        core.plant(BackendDefect.RESPOND_BEFORE_UNMAP, 1);
        pushWrite(1, 9, 0x100);
        core.kick();
        while (!answeredAt.containsKey(1L)) assertTrue(io.step(), "the request is answered");
        assertEquals(1, ring.page().getIntAcquire(SharedRing.RSP_PROD), "the response is published");
        Event rsp = rec.named("RING_RSP").get(0);
        long late = rsp.getLong("unmapAfter");
        assertTrue(late >= BackendDefect.UNMAP_LATE_MIN_NANOS && late <= BackendDefect.UNMAP_LATE_MAX_NANOS, "unmapAfter " + late);
        int handle = (int) rec.named("GRANT_MAP").get(1).getLong("handle"); // 0: the ring
        assertFalse(io.unmapped.contains(handle), "not unmapped yet");
        assertFalse(gt.endAccess(9), "the frontend's end of access is refused while dom0 still maps the page");
        io.settle();
        assertEquals(answeredAt.get(1L) + late, io.unmappedAt.get(handle), "the unmap lands unmapAfter after the response");
        assertTrue(gt.endAccess(9), "after the late unmap the grant can be ended");

        pushWrite(2, 10, 0x101); // count=1 is used up: Linux's order
        core.kick();
        while (!answeredAt.containsKey(2L)) assertTrue(io.step());
        int handle2 = (int) rec.named("GRANT_MAP").get(2).getLong("handle");
        assertTrue(io.unmappedAt.get(handle2) <= answeredAt.get(2L), "unmapped before the response");
        assertTrue(gt.endAccess(10), "a frontend that sees the response can end its access");
        assertEquals(null, rec.named("RING_RSP").get(1).get("unmapAfter"));
    }

    /** A crash between the defective response and its late unmap releases the mapping once; the stale step does nothing. */
    @Test
    void aCrashInsideTheLateUnmapWindowReleasesTheMappingOnce() throws Exception {
        io.settle();
        frontendConnects();
        io.settle();
        core.plant(BackendDefect.RESPOND_BEFORE_UNMAP, 1); // no stream given: the range's midpoint
        pushWrite(1, 9, 0x100);
        core.kick();
        while (!answeredAt.containsKey(1L)) assertTrue(io.step());
        assertEquals((BackendDefect.UNMAP_LATE_MIN_NANOS + BackendDefect.UNMAP_LATE_MAX_NANOS) / 2,
                rec.named("RING_RSP").get(0).getLong("unmapAfter"));
        int handle = (int) rec.named("GRANT_MAP").get(1).getLong("handle");
        World dead = io;
        core.crashed();
        assertEquals(1, dead.unmapped.stream().filter(h -> h == handle).count(), "the crash released the data mapping");
        assertTrue(gt.endAccess(9));
        dead.settle(); // the dead incarnation's late-unmap step comes due
        assertEquals(1, dead.unmapped.stream().filter(h -> h == handle).count(), "and the stale step unmapped nothing");
    }
}
