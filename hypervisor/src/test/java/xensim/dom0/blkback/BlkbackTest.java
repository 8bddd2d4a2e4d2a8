package xensim.dom0.blkback;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.abi.Blkif;
import xensim.abi.HvmParams;
import xensim.abi.PageBytes;
import xensim.abi.SharedRing;
import xensim.abi.XsMessage;
import xensim.dom0.xenstored.Connection;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.dom0.xenstored.XenstoredCore;
import xensim.platform.Event;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.platform.Mode;
import xensim.platform.SimSystem;
import xensim.xen.DomainConfig;
import xensim.xen.GrantTableGuest;
import xensim.xen.GuestMemory;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * A byte-level blkfront driving blkback: handshake, random verified I/O with several requests
 * in flight, flush, discard, close and reconnect, hostile requests, and a crash mid-I/O.
 */
class BlkbackTest {
    static final int DEVID = 51712;
    static final long SECTORS = 4096; // 2 MiB
    static final long RING_GFN = 0x20;

    /** Commands to the test frontend, run on the simulation thread. */
    record Do(Consumer<Fe> action) {}

    /** The frontend's state; only touched on the simulation thread. */
    static final class Fe {
        Hypervisor hv;
        ActorRef<HypervisorActor.Command> hyp;
        ActorRef<BlkbackActor.Command> backend;
        XenstoredCore core;
        Connection xs;
        GuestMemory mem;
        GrantTableGuest gt;
        int dom;
        int port;
        SharedRing.FrontRing ring;
        int nextRef = 9;
        long nextGfn = 0x100;
        final ArrayDeque<Integer> freeRefs = new ArrayDeque<>();
        final ArrayDeque<Long> freeGfns = new ArrayDeque<>();

        /** Set by a test: blkback's hypercalls reach the hypervisor this late (a busy host); 0: at once. */
        long hvDelayNs;
        /** Set by a test: true for the hypercall after which blkback crashes (its answer still to come). */
        java.util.function.Predicate<HypervisorActor.Command> crashAfter = c -> false;
        /** Set by a test: sees each of blkback's hypercalls (with a slow hypervisor) before it is forwarded. */
        Consumer<HypervisorActor.Command> hvHook = c -> { };
        /** Set by a test: sees each of blkback's xenstored messages before xenstored does (see {@link #rig}). */
        Consumer<XenstoredActor.Command> xsHook = c -> { };
        xensim.platform.Seam seam;

        int allocRef() { return freeRefs.isEmpty() ? nextRef++ : freeRefs.poll(); }

        long allocGfn() { return freeGfns.isEmpty() ? nextGfn++ : freeGfns.poll(); }
        final Map<Long, Pending> pending = new HashMap<>();
        long nextId = 1;
        final ArrayDeque<Pending> waitingForSlot = new ArrayDeque<>();

        record Pending(long id, Blkif.Request req, long[] gfns, int[] refs, CompletableFuture<Integer> done) {}

        String fe() { return "/local/domain/" + dom + "/device/vbd/" + DEVID; }

        String be() { return "/local/domain/0/backend/vbd/" + dom + "/" + DEVID; }

        void xsWrite(String path, String v) {
            core.handle(xs, new XsMessage(XS_WRITE, 1, 0, (path + "\0" + v).getBytes(StandardCharsets.UTF_8)));
        }

        void setState(int s) { xsWrite(fe() + "/state", Integer.toString(s)); }

        String backendState() { return core.readDirect(be() + "/state"); }

        /** blkfront's talk_to_blkback: ring page, grant, event channel, nodes, Initialised. */
        void connect() {
            PageBytes page = mem.page(RING_GFN);
            SharedRing.init(page);
            ring = new SharedRing.FrontRing(page, Blkif.ENTRY_SIZE);
            gt.grantAccess(8, 0, RING_GFN, false);
            port = hv.evtchnAllocUnbound(dom, dom, 0).port();
            xsWrite(fe() + "/ring-ref", "8");
            xsWrite(fe() + "/event-channel", Integer.toString(port));
            xsWrite(fe() + "/protocol", "x86_64-abi");
            setState(3);
        }

        /** Every request's data grant refs, by id (ids are never reused in a test). */
        /** A test's hook, run for each response before the request is retired. */
        Consumer<Long> onResponse;
        final Map<Long, int[]> refsById = new java.util.concurrent.ConcurrentHashMap<>();

        void submit(Blkif.Request r, long[] gfns, int[] refs, CompletableFuture<Integer> done) {
            refsById.put(r.id(), refs.clone());
            Pending p = new Pending(r.id(), r, gfns, refs, done);
            if (ring.full()) {
                waitingForSlot.add(p);
                return;
            }
            push(p);
        }

        void push(Pending p) {
            pending.put(p.id(), p);
            Blkif.writeRequest(ring.page(), ring.slot(ring.reqProdPvt), p.req());
            ring.reqProdPvt++;
            if (ring.pushRequestsAndCheckNotify()) hv.evtchnSend(dom, port);
        }

        /** The upcall: collect responses, end grant access (must succeed: the backend unmapped). */
        void onUpcall() {
            do {
                while (ring.unconsumedResponses() > 0) {
                    Blkif.Response r = Blkif.readResponse(ring.page(), ring.slot(ring.rspCons));
                    ring.rspCons++;
                    Pending p = pending.remove(r.id());
                    if (p == null) continue;
                    if (onResponse != null) onResponse.accept(r.id());
                    for (int ref : p.refs()) {
                        if (ref > 0 && !gt.endAccess(ref)) p.done().completeExceptionally(new AssertionError("grant " + ref + " still mapped after response"));
                        freeRefs.add(ref);
                    }
                    p.done().complete(r.status());
                    for (long g : p.gfns()) freeGfns.add(g);
                }
            } while (ring.finalCheckForResponses());
            while (!waitingForSlot.isEmpty() && !ring.full()) push(waitingForSlot.poll());
        }

        /** A read or write of {@code count} sectors at {@code sector} through fresh granted pages. */
        CompletableFuture<Integer> io(int op, long sector, int count, byte[] data) {
            CompletableFuture<Integer> done = new CompletableFuture<>();
            int pages = (count + 7) / 8;
            List<Blkif.Segment> segs = new ArrayList<>();
            long[] gfns = new long[pages];
            int[] refs = new int[pages];
            for (int i = 0; i < pages; i++) {
                gfns[i] = allocGfn();
                refs[i] = allocRef();
                int n = Math.min(8, count - i * 8);
                if (op == Blkif.BLKIF_OP_WRITE) mem.page(gfns[i]).putBytes(0, data, i * 4096, n * 512);
                gt.grantAccess(refs[i], 0, gfns[i], op == Blkif.BLKIF_OP_WRITE);
                segs.add(new Blkif.Segment(refs[i], 0, n - 1));
            }
            long id = nextId++;
            submit(Blkif.Request.readWrite(op, DEVID, id, sector, segs.toArray(new Blkif.Segment[0])), gfns, refs, done);
            if (op == Blkif.BLKIF_OP_READ) {
                return done.thenApply(status -> {
                    for (int i = 0; i < pages; i++) {
                        int n = Math.min(8, count - i * 8);
                        mem.page(gfns[i]).getBytes(0, data, i * 4096, n * 512);
                    }
                    return status;
                });
            }
            return done;
        }

        CompletableFuture<Integer> raw(Blkif.Request r) {
            CompletableFuture<Integer> done = new CompletableFuture<>();
            submit(r, new long[0], new int[0], done);
            return done;
        }
    }

    static final class Rig implements AutoCloseable {
        final EventRecorder events = new EventRecorder();
        SimSystem<Do> sim;
        Path image;

        <T> T on(java.util.function.Function<Fe, T> f) throws Exception {
            CompletableFuture<T> r = new CompletableFuture<>();
            sim.system().tell(new Do(fe -> {
                try {
                    r.complete(f.apply(fe));
                } catch (Throwable t) {
                    r.completeExceptionally(t);
                }
            }));
            return r.get(30, TimeUnit.SECONDS);
        }

        void awaitBackend(String state) throws Exception {
            for (int i = 0; i < 1000; i++) {
                if (state.equals(on(Fe::backendState))) return;
                Thread.sleep(5);
            }
            StringBuilder sb = new StringBuilder();
            for (Event e : events.events()) {
                if (e.ev().startsWith("XS_") && e.get("error") == null) continue;
                if (e.ev().equals("XS_REQ") || e.ev().equals("FOREIGN_WRITE")) continue;
                sb.append('\n').append(e.json());
            }
            String tail = sb.length() > 3000 ? sb.substring(sb.length() - 3000) : sb.toString();
            throw new AssertionError("backend never reached state " + state + ", is " + on(Fe::backendState) + tail);
        }

        int call(java.util.function.Function<Fe, CompletableFuture<Integer>> f) throws Exception {
            CompletableFuture<Integer> fut = on(f);
            return fut.get(60, TimeUnit.SECONDS);
        }

        <T> T get(CompletableFuture<T> f) throws Exception {
            try {
                return f.get(20, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                String state = on(fe -> "pending=" + fe.pending.keySet() + " waiting=" + fe.waitingForSlot.size()
                        + " reqProdPvt=" + fe.ring.reqProdPvt + " rspCons=" + fe.ring.rspCons
                        + " shared rsp_prod=" + fe.ring.page().getInt(SharedRing.RSP_PROD)
                        + " req_event=" + fe.ring.page().getInt(SharedRing.REQ_EVENT));
                throw new AssertionError("no answer: " + state + " RING_REQ=" + events.named("RING_REQ").size()
                        + " RING_RSP=" + events.named("RING_RSP").size() + " backend events:\n" + events.events().stream()
                        .filter(x -> x.ev().startsWith("RING_") || x.ev().startsWith("BACKEND") || x.ev().startsWith("GRANT_UNMAP") || x.ev().startsWith("XENBUS"))
                        .map(Event::json).collect(java.util.stream.Collectors.joining("\n")));
            }
        }

        @Override
        public void close() throws Exception {
            sim.close();
        }
    }

    static Rig rig(Path dir, long latencyNs, int depth) throws Exception {
        return rig(dir, latencyNs, depth, 0, c -> false);
    }

    static Rig rig(Path dir, long latencyNs, int depth, long hvDelayNs, java.util.function.Predicate<HypervisorActor.Command> crashAfter)
            throws Exception {
        return rig(dir, latencyNs, depth, hvDelayNs, crashAfter, BlkbackProfile.DRAIN);
    }

    static Rig rig(Path dir, long latencyNs, int depth, BlkbackProfile profile) throws Exception {
        return rig(dir, latencyNs, depth, 0, c -> false, profile);
    }

    static Rig rig(Path dir, long latencyNs, int depth, long hvDelayNs, java.util.function.Predicate<HypervisorActor.Command> crashAfter,
                   BlkbackProfile profile) throws Exception {
        Rig rig = new Rig();
        rig.image = dir.resolve("disk.img");
        DiskImage.create(rig.image, SECTORS).close();
        CompletableFuture<Void> ready = new CompletableFuture<>();
        rig.sim = SimSystem.start("blk", Mode.DETERMINISTIC, 7, new EventLog(rig.events), 1.0, seam -> Behaviors.setup(ctx -> {
            Fe fe = new Fe();
            fe.hv = new Hypervisor(seam.events());
            fe.hyp = ctx.spawn(HypervisorActor.create(seam, fe.hv, 1000), "hypervisor");
            fe.core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, seam.events());
            ActorRef<XenstoredActor.Command> xsd = ctx.spawn(XenstoredActor.create(seam, fe.core, fe.hyp), "xenstored");
            DomainConfig cfg = DomainConfig.ofRamPages(4096);
            Hypervisor.DomainCreated dc = fe.hv.createDomain(0, cfg);
            fe.dom = dc.domid();
            fe.mem = dc.memory();
            fe.hv.addToPhysmap(fe.dom, fe.dom, HvmParams.XENMAPSPACE_grant_table, 0, cfg.firstHoleGfn());
            fe.gt = new GrantTableGuest(fe.mem, seam.events(), "fw.pvblk");
            fe.gt.setFrameGfn(0, cfg.firstHoleGfn());
            // the toolstack's nodes
            Connection t = fe.core.connect(0, "toolstack", m -> { });
            String fePath = fe.fe();
            String bePath = fe.be();
            // as libxl: each directory gets its permissions first, so the nodes below inherit them
            fe.core.handle(t, XsMessage.of(XS_MKDIR, 1, 0, "/local/domain/" + fe.dom));
            fe.core.handle(t, XsMessage.of(XS_SET_PERMS, 2, 0, "/local/domain/" + fe.dom, "n" + fe.dom));
            fe.core.handle(t, XsMessage.of(XS_MKDIR, 3, 0, fePath));
            fe.core.handle(t, XsMessage.of(XS_SET_PERMS, 4, 0, fePath, "n" + fe.dom, "r0"));
            fe.core.handle(t, XsMessage.of(XS_MKDIR, 5, 0, bePath));
            fe.core.handle(t, XsMessage.of(XS_SET_PERMS, 6, 0, bePath, "n0", "r" + fe.dom));
            for (String[] kv : new String[][] {
                {fePath + "/backend", bePath}, {fePath + "/backend-id", "0"}, {fePath + "/state", "1"},
                {fePath + "/virtual-device", "" + DEVID}, {fePath + "/device-type", "disk"},
                {bePath + "/frontend", fePath}, {bePath + "/frontend-id", "" + fe.dom}, {bePath + "/state", "1"},
                {bePath + "/mode", "w"}}) {
                fe.core.handle(t, new XsMessage(XS_WRITE, 7, 0, (kv[0] + "\0" + kv[1]).getBytes(StandardCharsets.UTF_8)));
            }
            fe.xs = fe.core.connect(fe.dom, "ring", m -> { });
            ActorRef<Do> self = ctx.getSelf();
            fe.hvDelayNs = hvDelayNs;
            fe.crashAfter = crashAfter;
            // what blkback sees as the hypervisor: the real one, reached after hvDelayNs
            ActorRef<HypervisorActor.Command> hvForBackend = hvDelayNs == 0 ? fe.hyp
                    : ctx.spawn(Behaviors.receive(HypervisorActor.Command.class).onAnyMessage(c -> {
                        seam.deliverAfter(fe.hvDelayNs, fe.hyp, c);
                        fe.hvHook.accept(c);
                        if (fe.crashAfter.test(c)) fe.backend.tell(new BlkbackActor.Crash());
                        return Behaviors.same();
                    }).build(), "slow-hypervisor");
            fe.seam = seam;
            // what blkback sees as xenstored: the real one, after the test's hook
            ActorRef<XenstoredActor.Command> xsdForBackend = ctx.spawn(Behaviors.receive(XenstoredActor.Command.class).onAnyMessage(c -> {
                fe.xsHook.accept(c);
                xsd.tell(c);
                return Behaviors.same();
            }).build(), "xenstored-hook");
            fe.backend = ctx.spawn(BlkbackActor.create(seam, new xensim.dom0.blkback.BlkbackConfig(fe.dom, DEVID, bePath, fePath,
                    rig.image, false, latencyNs, 0.1, 10, depth, profile), hvForBackend, xsdForBackend), "blkback");
            ready.complete(null);
            return Behaviors.<Do>receiveMessage(d -> {
                d.action().accept(fe);
                return Behaviors.same();
            });
        }));
        ready.get(10, TimeUnit.SECONDS);
        rig.awaitBackend("2");
        rig.on(fe -> {
            fe.hv.bindUpcall(fe.dom, 0, (d, p) -> { });
            return null;
        });
        return rig;
    }

    static void connect(Rig rig) throws Exception {
        rig.on(fe -> {
            fe.connect();
            return null;
        });
        rig.on(fe -> {
            fe.hv.bindUpcall(fe.dom, fe.port, (d, p) -> rig.sim.system().tell(new Do(Fe::onUpcall)));
            return null;
        });
        rig.awaitBackend("4");
    }

    @Test
    void handshakeThenRandomVerifiedIoWithRequestsInFlight(@TempDir Path dir) throws Exception {
        try (Rig rig = rig(dir, 200_000, 8)) {
            connect(rig);
            assertEquals(String.valueOf(SECTORS), rig.on(fe -> fe.core.readDirect(fe.be() + "/sectors")));
            byte[] shadow = new byte[(int) (SECTORS * 512)];
            SplittableRandom r = new SplittableRandom(11);
            int ops = 0;
            for (int batch = 0; batch < 40; batch++) {
                List<CompletableFuture<Integer>> futures = new ArrayList<>();
                List<Runnable> checks = new ArrayList<>();
                java.util.Set<Long> touched = new java.util.HashSet<>();
                for (int i = 0; i < 8; i++, ops++) {
                    int count = 1 + r.nextInt(40);
                    long sector = r.nextLong(SECTORS - count);
                    boolean overlaps = false;
                    for (long s = sector; s < sector + count; s++) overlaps |= touched.contains(s);
                    if (overlaps) continue; // requests in flight together must not overlap (no ordering between them)
                    for (long s = sector; s < sector + count; s++) touched.add(s);
                    if (r.nextBoolean()) {
                        byte[] data = new byte[count * 512];
                        r.nextBytes(data);
                        System.arraycopy(data, 0, shadow, (int) (sector * 512), data.length);
                        futures.add(rig.on(fe -> fe.io(Blkif.BLKIF_OP_WRITE, sector, count, data)));
                    } else {
                        byte[] expect = java.util.Arrays.copyOfRange(shadow, (int) (sector * 512), (int) ((sector + count) * 512));
                        byte[] got = new byte[count * 512];
                        futures.add(rig.on(fe -> fe.io(Blkif.BLKIF_OP_READ, sector, count, got)));
                        checks.add(() -> assertArrayEquals(expect, got, "read of " + count + " sectors at " + sector));
                    }
                }
                for (CompletableFuture<Integer> f : futures) assertEquals(Blkif.BLKIF_RSP_OKAY, rig.get(f));
                checks.forEach(Runnable::run);
            }
            assertTrue(ops >= 300);
            assertEquals(Blkif.BLKIF_RSP_OKAY, rig.call((fe -> fe.raw(Blkif.Request.noData(Blkif.BLKIF_OP_FLUSH_DISKCACHE, DEVID, 9_000)))));
            assertEquals(Blkif.BLKIF_RSP_OKAY, rig.call((fe -> fe.raw(Blkif.Request.discard(DEVID, 9_001, 16, 8, false)))));
            byte[] zeros = new byte[8 * 512];
            rig.call((fe -> fe.io(Blkif.BLKIF_OP_READ, 16, 8, zeros)));
            assertArrayEquals(new byte[8 * 512], zeros, "discarded sectors read as zeros");
            // the file itself holds what was acknowledged
            java.util.Arrays.fill(shadow, 16 * 512, 24 * 512, (byte) 0);
            assertArrayEquals(shadow, Files.readAllBytes(rig.image));
            long maps = rig.events.named("GRANT_MAP").stream().filter(e -> e.getLong("status") == 0).count();
            assertEquals(maps - 1, rig.events.named("GRANT_UNMAP").size(), "every data grant unmapped; only the ring stays mapped");
            assertUnmappedBeforeResponse(rig);
            int inFlightMax = maxInFlight(rig.events.events());
            assertTrue(inFlightMax > 1 && inFlightMax <= 8, "several requests in flight, at most the queue depth: " + inFlightMax);
        }
    }

    /**
     * As Linux blkback: a request's data grants are unmapped before its response is published
     * (otherwise a frontend that sees the response cannot end its foreign access).
     */
    static void assertUnmappedBeforeResponse(Rig rig) throws Exception {
        Map<Long, int[]> refsById = rig.on(fe -> new HashMap<>(fe.refsById));
        java.util.Set<Long> live = new java.util.HashSet<>();
        int checked = 0;
        for (Event e : rig.events.events()) {
            if (e.ev().equals("GRANT_MAP") && e.getLong("status") == 0 && e.getLong("mapper") == 0) live.add(e.getLong("ref"));
            if (e.ev().equals("GRANT_UNMAP") && e.getLong("mapper") == 0) live.remove(e.getLong("ref"));
            if (e.ev().equals("RING_RSP")) {
                int[] refs = refsById.get(e.getLong("id"));
                if (refs == null) continue;
                for (int ref : refs) assertTrue(!live.contains((long) ref), "grant " + ref + " still mapped at " + e.json());
                checked += refs.length;
            }
        }
        assertTrue(checked > 300, "data grants checked: " + checked);
    }

    static int maxInFlight(List<Event> events) {
        int cur = 0;
        int max = 0;
        for (Event e : events) {
            if (e.ev().equals("RING_REQ")) max = Math.max(max, ++cur);
            if (e.ev().equals("RING_RSP")) cur--;
        }
        return max;
    }

    @Test
    void closeUnmapsEverythingAndTheFrontendCanReconnect(@TempDir Path dir) throws Exception {
        try (Rig rig = rig(dir, 1_000_000, 4)) {
            connect(rig);
            byte[] data = new byte[4096];
            new SplittableRandom(3).nextBytes(data);
            CompletableFuture<Integer> slow = rig.on(fe -> fe.io(Blkif.BLKIF_OP_WRITE, 100, 8, data));
            // the backend must have taken the write off the ring (in flight, 1 ms of latency) before
            // the frontend says Closing; a request still unconsumed at Closing is dropped, as in Linux
            for (int i = 0; i < 2000 && rig.events.named("RING_REQ").isEmpty(); i++) Thread.sleep(5);
            assertTrue(!rig.events.named("RING_REQ").isEmpty(), "the backend took the write");
            rig.on(fe -> {
                fe.setState(5); // Closing while the write is still in flight
                return null;
            });
            rig.awaitBackend("5");
            assertEquals(Blkif.BLKIF_RSP_OKAY, rig.get(slow), "in-flight requests finish before the backend says Closing");
            assertTrue(rig.<Boolean>on(fe -> fe.gt.endAccess(8)), "the ring grant is unmapped once the backend is Closing");
            rig.on(fe -> {
                fe.setState(6);
                return null;
            });
            rig.awaitBackend("6");
            rig.on(fe -> {
                fe.setState(1); // Initialising: the next driver takes over
                return null;
            });
            rig.awaitBackend("2");
            connect(rig);
            byte[] back = new byte[4096];
            assertEquals(Blkif.BLKIF_RSP_OKAY, rig.call((fe -> fe.io(Blkif.BLKIF_OP_READ, 100, 8, back))));
            assertArrayEquals(data, back);
            List<String> transitions = rig.events.named("XENBUS_STATE").stream().map(e -> e.getString("to")).toList();
            assertEquals(List.of("InitWait", "Connected", "Closing", "Closed", "InitWait", "Connected"), transitions);
        }
    }

    @Test
    void hostileRequestsGetTheRightStatusAndNeverCrashTheBackend(@TempDir Path dir) throws Exception {
        try (Rig rig = rig(dir, 0, 4)) {
            connect(rig);
            assertEquals(Blkif.BLKIF_RSP_EOPNOTSUPP, rig.call((fe -> fe.raw(new Blkif.Request(77, 0, DEVID, 1, 0, new Blkif.Segment[0], 0)))));
            assertEquals(Blkif.BLKIF_RSP_ERROR, rig.call((fe -> fe.raw(Blkif.Request.readWrite(Blkif.BLKIF_OP_READ, DEVID, 2, 0)))), "no segments");
            assertEquals(Blkif.BLKIF_RSP_ERROR, rig.call((fe -> fe.raw(new Blkif.Request(Blkif.BLKIF_OP_READ, 12, DEVID, 3, 0,
                    new Blkif.Segment[0], 0)))), "too many segments");
            assertEquals(Blkif.BLKIF_RSP_ERROR, rig.call((fe -> fe.raw(Blkif.Request.readWrite(Blkif.BLKIF_OP_READ, DEVID, 4, 0,
                    new Blkif.Segment(8, 5, 2))))), "first_sect > last_sect");
            assertEquals(Blkif.BLKIF_RSP_ERROR, rig.call((fe -> fe.raw(Blkif.Request.readWrite(Blkif.BLKIF_OP_READ, DEVID, 5, 0,
                    new Blkif.Segment(8, 0, 8))))), "last_sect past the page");
            assertEquals(Blkif.BLKIF_RSP_ERROR, rig.call((fe -> fe.raw(Blkif.Request.readWrite(Blkif.BLKIF_OP_READ, DEVID, 6, SECTORS - 2,
                    new Blkif.Segment(8, 0, 7))))), "beyond the disk");
            assertEquals(Blkif.BLKIF_RSP_ERROR, rig.call((fe -> fe.raw(Blkif.Request.readWrite(Blkif.BLKIF_OP_READ, DEVID, 7, 0,
                    new Blkif.Segment(400, 0, 7))))), "a ref never granted");
            assertEquals(Blkif.BLKIF_RSP_ERROR, rig.call((fe -> {
                fe.gt.grantAccess(300, 5, 0x300, false); // granted to another domain
                return fe.raw(Blkif.Request.readWrite(Blkif.BLKIF_OP_READ, DEVID, 8, 0, new Blkif.Segment(300, 0, 7)));
            })), "a ref granted to someone else");
            // random garbage requests: each is answered, and nothing but this guest's granted pages is written
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < 100; i++) {
                byte[] junk = new byte[Blkif.REQUEST_SIZE];
                r.nextBytes(junk);
                long id = 10_000 + i;
                int status = rig.call((fe -> {
                    PageBytes p = fe.ring.page();
                    int at = fe.ring.slot(fe.ring.reqProdPvt);
                    p.putBytes(at, junk, 0, junk.length);
                    p.putLong(at + Blkif.REQ_ID, id);
                    CompletableFuture<Integer> done = new CompletableFuture<>();
                    fe.pending.put(id, new Fe.Pending(id, null, new long[0], new int[0], done));
                    fe.ring.reqProdPvt++;
                    if (fe.ring.pushRequestsAndCheckNotify()) fe.hv.evtchnSend(fe.dom, fe.port);
                    return done;
                }));
                assertTrue(status == Blkif.BLKIF_RSP_ERROR || status == Blkif.BLKIF_RSP_EOPNOTSUPP || status == Blkif.BLKIF_RSP_OKAY);
            }
            int dom = rig.on(fe -> fe.dom);
            assertTrue(rig.events.named("FOREIGN_WRITE").stream().allMatch(e -> e.dom() == dom));
            assertEquals("4", rig.on(Fe::backendState), "still connected and serving");
        }
    }

    /**
     * The backend dies right after answering a request out of order: the request it skipped is no
     * longer on the ring (the response overwrote its slot), so only the journal can re-serve it.
     */
    @Test
    void crashAfterAnOutOfOrderResponseReServesTheSkippedRequest(@TempDir Path dir) throws Exception {
        try (Rig rig = rig(dir, 2_000_000, 8)) {
            connect(rig);
            byte[][] data = new byte[16][4096];
            for (int i = 0; i < data.length; i++) new SplittableRandom(100 + i).nextBytes(data[i]);
            CompletableFuture<Long> crashedAfter = new CompletableFuture<>();
            List<CompletableFuture<Integer>> writes = rig.on(fe -> {
                fe.onResponse = id -> {
                    long oldest = fe.pending.keySet().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
                    if (!crashedAfter.isDone() && id > oldest) {
                        crashedAfter.complete(id);
                        fe.backend.tell(new BlkbackActor.Crash());
                    }
                };
                List<CompletableFuture<Integer>> ws = new ArrayList<>();
                for (int i = 0; i < data.length; i++) ws.add(fe.io(Blkif.BLKIF_OP_WRITE, 64L * i, 8, data[i]));
                return ws;
            });
            for (CompletableFuture<Integer> w : writes) assertEquals(Blkif.BLKIF_RSP_OKAY, rig.get(w));
            assertTrue(crashedAfter.isDone(), "some response came out of order, and the backend died right after it");
            assertEquals(1, rig.events.named("BACKEND_CRASH").size());
            for (int i = 0; i < data.length; i++) {
                byte[] back = new byte[4096];
                final int k = i;
                assertEquals(Blkif.BLKIF_RSP_OKAY, rig.call((fe -> fe.io(Blkif.BLKIF_OP_READ, 64L * k, 8, back))));
                assertArrayEquals(data[i], back, "write " + i);
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(BlkbackProfile.class)
    void crashMidIoThenRestartLosesNoAcknowledgedWrite(BlkbackProfile profile, @TempDir Path dir) throws Exception {
        try (Rig rig = rig(dir, 5_000_000, 4, profile)) {
            connect(rig);
            byte[][] data = new byte[6][4096];
            List<CompletableFuture<Integer>> writes = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                new SplittableRandom(i).nextBytes(data[i]);
                final int k = i;
                writes.add(rig.on(fe -> fe.io(Blkif.BLKIF_OP_WRITE, 64L * k, 8, data[k])));
            }
            rig.on(fe -> {
                fe.backend.tell(new BlkbackActor.Crash()); // while the writes are being serviced
                return null;
            });
            for (CompletableFuture<Integer> w : writes) assertEquals(Blkif.BLKIF_RSP_OKAY, rig.get(w), "re-served after the restart");
            for (int i = 0; i < 6; i++) {
                byte[] back = new byte[4096];
                final int k = i;
                assertEquals(Blkif.BLKIF_RSP_OKAY, rig.call((fe -> fe.io(Blkif.BLKIF_OP_READ, 64L * k, 8, back))));
                assertArrayEquals(data[i], back);
            }
            assertEquals(1, rig.events.named("BACKEND_CRASH").size());
            long okMaps = rig.events.named("GRANT_MAP").stream().filter(e -> e.getLong("status") == 0).count();
            assertEquals(okMaps - 1, rig.events.named("GRANT_UNMAP").size(), "the crashed incarnation's mappings were released");
        }
    }

    /**
     * On a busy host the hypervisor answers blkback late: the backend crashes with data-grant maps
     * still unanswered, and its next incarnation asks to map the ring before those answers arrive.
     * They belong to the dead incarnation (it asked first): taking one for the ring's answer maps a
     * data page as the ring (seen in threaded mode). Deterministic here: every hypercall is 3 ms late.
     */
    @Test
    void answersOwedToACrashedIncarnationAreNotTakenForTheNextOnes(@TempDir Path dir) throws Exception {
        int[] dataMaps = {0};
        try (Rig rig = rig(dir, 1_000_000, 4, 3_000_000, c -> c instanceof HypervisorActor.MapGrantRef m && m.ref() != 8
                && ++dataMaps[0] == 2)) { // crash with two data maps in flight
            connect(rig);
            byte[][] data = new byte[6][4096];
            List<CompletableFuture<Integer>> writes = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                new SplittableRandom(40 + i).nextBytes(data[i]);
                final int k = i;
                writes.add(rig.on(fe -> fe.io(Blkif.BLKIF_OP_WRITE, 64L * k, 8, data[k])));
            }
            for (CompletableFuture<Integer> w : writes) assertEquals(Blkif.BLKIF_RSP_OKAY, rig.get(w), "re-served after the restart");
            assertEquals(1, rig.events.named("BACKEND_CRASH").size());
            assertEquals(0, rig.events.named("BACKEND_ERROR").size(), "the new incarnation mapped the real ring");
            for (int i = 0; i < 6; i++) {
                byte[] back = new byte[4096];
                final int k = i;
                assertEquals(Blkif.BLKIF_RSP_OKAY, rig.call((fe -> fe.io(Blkif.BLKIF_OP_READ, 64L * k, 8, back))));
                assertArrayEquals(data[i], back, "write " + i);
            }
            // every mapping the dead incarnation was owed is released when its answer arrives
            rig.on(fe -> {
                fe.setState(5); // Closing: the backend unmaps its ring
                return null;
            });
            rig.awaitBackend("5");
            rig.on(fe -> {
                fe.setState(6);
                return null;
            });
            rig.awaitBackend("6");
            long okMaps = rig.events.named("GRANT_MAP").stream().filter(e -> e.getLong("status") == 0).count();
            for (int i = 0; i < 2000 && rig.events.named("GRANT_UNMAP").size() < okMaps; i++) Thread.sleep(5);
            assertEquals(okMaps, rig.events.named("GRANT_UNMAP").size(), "no mapping leaked across the restart");
        }
    }

    /**
     * Issue 13.1: a restarted incarnation that finds the frontend already Closing must forget the
     * ring it was serving. The journal outlived the ring: when the OS later connected a fresh
     * ring (Linux blkfront grants it from ref 8 again), the backend resumed at the dead ring's
     * consumer index, read zeroed slots as requests and stopped with "bogus ring requests".
     */
    @Test
    void aRestartThatFindsTheFrontendClosingForgetsTheRingItServed(@TempDir Path dir) throws Exception {
        try (Rig rig = rig(dir, 50_000_000, 8)) {
            connect(rig);
            byte[] data = new byte[4096];
            for (int i = 0; i < 6; i++) {
                final int k = i;
                rig.on(fe -> fe.io(Blkif.BLKIF_OP_WRITE, 64L * k, 8, data)); // 50 ms each: still in service
            }
            for (int i = 0; i < 2000 && rig.events.named("RING_REQ").size() < 6; i++) Thread.sleep(5);
            assertEquals(6, rig.events.named("RING_REQ").size(), "the backend consumed every write");
            rig.on(fe -> {
                fe.backend.tell(new BlkbackActor.Crash());
                fe.setState(5); // the frontend gives up on the device while the backend restarts
                return null;
            });
            rig.awaitBackend("5");
            rig.on(fe -> {
                fe.setState(6);
                return null;
            });
            rig.awaitBackend("6");
            rig.on(fe -> {
                fe.setState(1);
                fe.pending.clear(); // the next driver starts afresh: the old ring's requests are abandoned
                return null;
            });
            rig.awaitBackend("2");
            connect(rig); // a fresh ring on the same grant ref, indexes zero
            byte[] fresh = new byte[4096];
            new SplittableRandom(9).nextBytes(fresh);
            assertEquals(Blkif.BLKIF_RSP_OKAY, rig.call(fe -> fe.io(Blkif.BLKIF_OP_WRITE, 512, 8, fresh)));
            byte[] back = new byte[4096];
            assertEquals(Blkif.BLKIF_RSP_OKAY, rig.call(fe -> fe.io(Blkif.BLKIF_OP_READ, 512, 8, back)));
            assertArrayEquals(fresh, back);
            assertEquals(List.of(), rig.events.named("BACKEND_ERROR").stream().map(Event::json).toList());
            assertEquals("4", rig.on(Fe::backendState));
        }
    }

    /**
     * Issue 13.2: the frontend writes Closing while a restarted incarnation is in the middle of
     * connect's chain of xenstore reads. The chain must stop: before, it went on to map the ring
     * and switch to Connected (after Closing), serving a ring the frontend had given up on, and
     * no watch ever fired again.
     */
    @Test
    void aDisconnectDuringARestartedConnectStopsTheConnect(@TempDir Path dir) throws Exception {
        try (Rig rig = rig(dir, 0, 4)) {
            connect(rig);
            int[] crashes = {0};
            rig.on(fe -> {
                fe.xsHook = c -> {
                    if (crashes[0] == 1 && c instanceof XenstoredActor.Request r && r.message().type() == XS_READ
                            && r.message().strings().get(0).endsWith("/ring-ref")) {
                        crashes[0]++;
                        fe.setState(5); // Closing, while the connect waits for ring-ref
                    }
                };
                crashes[0] = 1;
                fe.backend.tell(new BlkbackActor.Crash());
                return null;
            });
            rig.awaitBackend("5");
            Thread.sleep(300); // let anything still queued run (the deterministic executor is idle in microseconds)
            assertEquals(2, crashes[0], "the frontend closed during the restarted connect");
            assertEquals("5", rig.on(Fe::backendState), "the stale connect never switched the backend to Connected");
            long crashSeq = rig.events.named("BACKEND_CRASH").get(0).seq();
            List<String> after = rig.events.named("XENBUS_STATE").stream().filter(e -> e.seq() > crashSeq)
                    .map(e -> e.getString("to")).toList();
            assertEquals(List.of("Closing"), after);
            long ringMaps = rig.events.named("GRANT_MAP").stream().filter(e -> e.seq() > crashSeq && e.getLong("status") == 0).count();
            assertEquals(0, ringMaps, "the ring is not mapped again");
            assertTrue(rig.<Boolean>on(fe -> fe.gt.endAccess(8)), "nothing maps the ring grant");
        }
    }

    /**
     * Issue 13.5c: a backend stall holds back the completion of everything in flight, as a stalled
     * real backend does; before, a request already in service kept its fixed completion time.
     */
    @Test
    void aStallHoldsBackRequestsAlreadyInService(@TempDir Path dir) throws Exception {
        long stall = 500_000_000L;
        try (Rig rig = rig(dir, 1_000_000, 4, 1_000, c -> false)) {
            connect(rig);
            long[] stalledAt = {-1};
            byte[] data = new byte[4096];
            CompletableFuture<Integer> w = rig.on(fe -> {
                fe.hvHook = c -> {
                    if (stalledAt[0] < 0 && c instanceof HypervisorActor.MapGrantRef m && m.ref() != 8) {
                        // just after the data grant's map answer reaches blkback: the request is in service
                        stalledAt[0] = fe.seam.nowNanos() + fe.hvDelayNs + 1;
                        fe.seam.deliverAfter(fe.hvDelayNs + 1, fe.backend, new BlkbackActor.Stall(stall));
                    }
                };
                return fe.io(Blkif.BLKIF_OP_WRITE, 8, 8, data);
            });
            assertEquals(Blkif.BLKIF_RSP_OKAY, rig.get(w));
            assertTrue(stalledAt[0] > 0);
            long answered = rig.events.named("RING_RSP").get(0).t();
            assertTrue(answered >= stalledAt[0] + stall, "answered " + (answered - stalledAt[0]) + " ns after a " + stall + " ns stall");
        }
    }

    /** Issue 14.1: Linux's blkback only switches to Closing on the frontend's Closing and keeps serving. */
    @Test
    void linuxKeepsServingTheRingAfterClosing(@TempDir Path dir) throws Exception {
        try (Rig rig = rig(dir, 100_000, 4, BlkbackProfile.LINUX)) {
            connect(rig);
            rig.on(fe -> {
                fe.setState(5);
                return null;
            });
            rig.awaitBackend("5");
            byte[] data = new byte[4096];
            new SplittableRandom(21).nextBytes(data);
            assertEquals(Blkif.BLKIF_RSP_OKAY, rig.call(fe -> fe.io(Blkif.BLKIF_OP_WRITE, 40, 8, data)), "served while Closing");
            byte[] back = new byte[4096];
            assertEquals(Blkif.BLKIF_RSP_OKAY, rig.call(fe -> fe.io(Blkif.BLKIF_OP_READ, 40, 8, back)));
            assertArrayEquals(data, back);
            assertTrue(!rig.<Boolean>on(fe -> fe.gt.endAccess(8)), "the ring is still mapped");
        }
    }

    /**
     * Issue 14.1: on the frontend's Closed with a read in flight, Linux's xen_blkif_disconnect
     * returns -EBUSY and the backend switches to Closed anyway; the read then completes: its data
     * lands in the granted page and make_response writes the old ring, which stays mapped until
     * the frontend connects again.
     */
    @Test
    void linuxClosedWithIoInFlightAnswersIntoTheOldRingAfterClosed(@TempDir Path dir) throws Exception {
        try (Rig rig = rig(dir, 30_000_000, 4, 1_000, c -> false, BlkbackProfile.LINUX)) {
            connect(rig);
            byte[] back = new byte[4096];
            boolean[] closed = {false};
            CompletableFuture<Integer> read = rig.on(fe -> {
                fe.hvHook = c -> {
                    if (!closed[0] && c instanceof HypervisorActor.MapGrantRef m && m.ref() != 8) {
                        closed[0] = true;
                        fe.setState(5);
                        fe.setState(6); // Closing, Closed: the read is in flight (its data grant being mapped)
                    }
                };
                return fe.io(Blkif.BLKIF_OP_READ, 8, 8, back);
            });
            rig.awaitBackend("6");
            assertEquals(Blkif.BLKIF_RSP_OKAY, rig.get(read), "the in-flight read is answered after Closed");
            List<Event> busy = rig.events.named("BACKEND_DISCONNECT_BUSY");
            assertTrue(busy.size() >= 1 && busy.get(0).getLong("inFlight") == 1, "xen_blkif_disconnect returned -EBUSY");
            long closedSeq = rig.events.named("XENBUS_STATE").stream().filter(e -> e.getString("to").equals("Closed"))
                    .findFirst().orElseThrow().seq();
            Event rsp = rig.events.named("RING_RSP").get(0);
            assertTrue(rsp.seq() > closedSeq, "the response comes after Closed");
            int dom = rig.on(fe -> fe.dom);
            assertTrue(rig.events.named("FOREIGN_WRITE").stream().anyMatch(e -> e.dom() == dom && e.seq() > closedSeq
                    && e.getLong("mapper") == 0 && e.getLong("ref") != 8), "the read's data landed after Closed");
            assertEquals(1, rig.<Integer>on(fe -> fe.ring.page().getIntAcquire(SharedRing.RSP_PROD)), "make_response wrote the old ring");
            assertTrue(!rig.<Boolean>on(fe -> fe.gt.endAccess(8)), "the ring stays mapped after Closed");
            rig.on(fe -> {
                fe.setState(1);
                return null;
            });
            rig.awaitBackend("2");
            connect(rig); // the next Initialised disconnects (nothing in flight now): the old ring is unmapped
            // both watch events read Closed (the frontend wrote Closing and Closed at once), as Linux's would
            assertEquals(List.of("InitWait", "Connected", "Closed", "InitWait", "Connected"),
                    rig.events.named("XENBUS_STATE").stream().map(e -> e.getString("to")).toList());
            long ringUnmaps = rig.events.named("GRANT_UNMAP").stream().filter(e -> e.getLong("ref") == 8).count();
            assertEquals(1, ringUnmaps, "the old ring is unmapped at the next connect");
        }
    }
}
