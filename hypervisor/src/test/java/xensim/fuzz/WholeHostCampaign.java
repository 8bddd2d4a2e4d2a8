package xensim.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import xensim.abi.Blkif;
import xensim.abi.GrantTableAbi;
import xensim.abi.HvmParams;
import xensim.abi.PageBytes;
import xensim.abi.SharedRing;
import xensim.abi.XenstoreRing;
import xensim.abi.XsFramer;
import xensim.abi.XsMessage;
import xensim.dom0.blkback.BlkbackActor;
import xensim.dom0.blkback.BlkbackConfig;
import xensim.dom0.blkback.BlkbackProfile;
import xensim.dom0.blkback.DiskImage;
import xensim.dom0.xenstored.Connection;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.dom0.xenstored.XenstoredTiming;
import xensim.dom0.xenstored.XenstoredCore;
import xensim.platform.EventLog;
import xensim.platform.Mode;
import xensim.platform.Seam;
import xensim.platform.SimSystem;
import xensim.xen.DomainConfig;
import xensim.xen.GrantTableGuest;
import xensim.xen.GuestMemory;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * A hostile guest inside a whole host of actors (deterministic mode): the hypervisor, xenstored
 * serving both guests' xenstore rings, a blkback per guest on its own disk image. The hostile
 * guest A writes xs_wire frames on its ring and plays index games on the shared page, asks for
 * ring reconnection, storms event channels, sends hostile blkif requests (grant refs it never
 * gave dom0, read-only grants for reads, refs of the victim's numbers, bad ranges, bad ops),
 * corrupts its blkif ring indexes, rewrites its xenbus nodes (ring-ref, event-channel, state),
 * writes the victim's nodes and makes hypercalls through the hypervisor actor with the victim's
 * numbers. The victim B meanwhile does verified I/O without pause: xenstore writes read back
 * over its ring, disk writes read back and compared.
 *
 * <p>Asserted for every try: no actor stops, no blkback restarts (one incarnation each), nothing
 * is logged at WARN or above, no seam task fails; A's well-formed requests get the answers of the
 * pure-core areas (C xenstored's errors, Linux blkback's statuses, with the grants deciding
 * BLKIF_RSP_ERROR) while its rings are sane; A's error field says RINGIDX/PROTO once xenstored
 * stopped serving it (C's ignore_connection); with ring reconnection (oxenstored) a reconnect
 * request is honoured, without it the page is left alone; nothing of B's (its xenstore values and
 * node names, its disk data) ever appears in A's memory, nothing of A's in B's; and B's verified
 * I/O keeps succeeding to the end, after A's last input too.
 */
abstract class WholeHostCampaign {
    static final String AREA = "whole host (actors)";
    static final int DEVID = 51712;
    static final long SECTORS = 2048;
    static final long STORE_GFN = 0x10;
    static final long RING_GFN = 0x20;
    static final int RING_REF = 8;
    /** A's data grants: rw to dom0, ro to dom0, to B (not dom0), never granted. */
    static final int REF_RW = 100;
    static final int REF_RO = 110;
    static final int REF_TO_B = 120;
    static final int REF_NONE = 130;
    static final long DATA_GFN = 0x200;
    static final String SECRET = "zqVICTIMzq";
    static final byte[] SECRET_BYTES = SECRET.getBytes(StandardCharsets.US_ASCII);
    static final String A_MARK = "zqHOSTILEzq";
    static final byte[] A_MARK_BYTES = A_MARK.getBytes(StandardCharsets.US_ASCII);
    /** Virtual time between two hostile inputs. */
    static final long GAP_NS = 20_000;

    /** One hostile input: a kind and numbers whose meaning depends on it. */
    record In(int kind, int a, int b, int c, long d) {}

    @Provide
    Arbitrary<List<In>> inputs() {
        Arbitrary<Integer> kind = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.integers().between(0, 3)), // xs frames
                Tuple.of(10, Arbitraries.integers().between(7, 10)), // blkif requests
                Tuple.of(3, Arbitraries.of(6, 12, 14)), // kicks, hypercalls, grant games
                Tuple.of(1, Arbitraries.of(4, 5, 11, 13))); // ring and xenbus games
        Arbitrary<Integer> any = Arbitraries.integers();
        return Combinators.combine(kind, any, any, any, Arbitraries.longs()).as(In::new).list().ofMinSize(300).ofMaxSize(900);
    }

    @Property(tries = 24)
    void aHostileGuestCannotCrashTheHostOrReachTheVictim(@ForAll("inputs") List<In> inputs, @ForAll long seed,
                                                         @ForAll boolean oxenstored, @ForAll BlkbackProfile profile) throws Exception {
        long[] t0 = Campaign.start();
        Path dir = Files.createTempDirectory("xensim-hostile");
        Logger root = (Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        try {
            Outcome o = runHost(inputs, seed, oxenstored, profile, dir);
            List<String> warnings = new ArrayList<>();
            for (ILoggingEvent e : logs.list) {
                if (e.getLevel().isGreaterOrEqual(Level.WARN)) warnings.add(e.getLoggerName() + ": " + e.getFormattedMessage());
            }
            assertEquals(List.of(), warnings, "nothing in the host logs a warning or an error");
            assertEquals(List.of(), o.failures(), "failures (first of " + o.failures().size() + ")");
            Campaign.inputs(AREA, o.applied());
            Campaign.checked("whole-host victim blkif verified I/Os", o.victimBlk());
            Campaign.checked("whole-host victim xenstore round trips", o.victimXs());
        } finally {
            root.detachAppender(logs);
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            Campaign.time(AREA, t0);
        }
    }

    record Outcome(List<String> failures, int applied, int victimBlk, int victimXs, int checked) {}

    record Do(Consumer<HostWorld> action) {}

    static Outcome runHost(List<In> inputs, long seed, boolean oxenstored, BlkbackProfile profile, Path dir) throws Exception {
        Path imgA = dir.resolve("a.img");
        Path imgB = dir.resolve("b.img");
        DiskImage.create(imgA, SECTORS).close();
        DiskImage.create(imgB, SECTORS).close();
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        SimSystem<Object> sim = SimSystem.start("hostile", Mode.DETERMINISTIC, seed, new EventLog(), 1.0,
                seam -> Behaviors.<Object>setup(ctx -> {
                    HostWorld w = new HostWorld(ctx, seam, seed, oxenstored, profile, imgA, imgB, inputs, result);
                    return Behaviors.receive(Object.class)
                            .onMessage(Do.class, d -> {
                                w.run(d.action());
                                return Behaviors.same();
                            })
                            .onSignal(Terminated.class, t -> {
                                w.fail("actor stopped: " + t.getRef().path());
                                return Behaviors.same();
                            })
                            .build();
                }));
        try {
            Outcome o = result.get(120, TimeUnit.SECONDS);
            Throwable seamFailure = sim.executor().lastFailure();
            if (seamFailure != null) {
                List<String> f = new ArrayList<>(o.failures());
                f.add("a seam task failed: " + seamFailure);
                o = new Outcome(f, o.applied(), o.victimBlk(), o.victimXs(), o.checked());
            }
            return o;
        } finally {
            sim.close();
        }
    }

    /** One guest's kernel as the harness plays it: memory, grants, its xenstore ring, its blkfront. */
    static final class Guest {
        final int dom;
        final GuestMemory mem;
        final GrantTableGuest gt;
        final PageBytes store;
        int storePort;
        final XsFramer rsp = new XsFramer();
        final ArrayDeque<byte[]> outgoing = new ArrayDeque<>();
        int outOffset;
        SharedRing.FrontRing ring;
        int blkPort;
        /** A direct connection with the guest's domid for its xenbus writes (its control plane). */
        Connection xenbus;
        int incarnations;

        Guest(int dom, GuestMemory mem, GrantTableGuest gt) {
            this.dom = dom;
            this.mem = mem;
            this.gt = gt;
            this.store = mem.page(STORE_GFN);
        }

        String fe() {
            return "/local/domain/" + dom + "/device/vbd/" + DEVID;
        }

        String be() {
            return "/local/domain/0/backend/vbd/" + dom + "/" + DEVID;
        }
    }

    /** The host and both guests; every method runs on the simulation's thread. */
    static final class HostWorld {
        final ActorContext<Object> ctx;
        final Seam seam;
        final Hypervisor hv;
        final XenstoredCore core;
        final ActorRef<HypervisorActor.Command> hyp;
        final Guest a;
        final Guest b;
        final SplittableRandom random;
        final boolean oxenstored;
        final List<In> inputs;
        final CompletableFuture<Outcome> result;
        final List<String> failures = new ArrayList<>();
        int applied;
        int checked;
        // A's expectations while its rings are sane
        boolean aXsSane = true;
        boolean aXsDead;
        boolean aXsInsane;
        final ArrayDeque<XsMessage> aSent = new ArrayDeque<>();
        final Set<Integer> aOpenTx = new LinkedHashSet<>();
        boolean aBlkSane = true;
        final Map<Long, Integer> aExpected = new HashMap<>();
        long aNextId = 1_000_000;
        boolean aReconnectAsked;
        // B's verified I/O
        int bBlkDone;
        int bXsDone;
        long bLastBlkAt;
        long bLastXsAt;
        long lastInputAt;
        boolean finishing;
        final byte[] bShadow = new byte[(int) (SECTORS * 512)];
        final Map<Long, Consumer<Integer>> bPending = new HashMap<>();
        long bNextId = 1;
        int bXsReq = 1;
        Consumer<XsMessage> bXsWaiting;

        HostWorld(ActorContext<Object> ctx, Seam seam, long seed, boolean oxenstored, BlkbackProfile profile, Path imgA, Path imgB,
                  List<In> inputs, CompletableFuture<Outcome> result) {
            this.ctx = ctx;
            this.seam = seam;
            this.random = new SplittableRandom(seed);
            this.oxenstored = oxenstored;
            this.inputs = inputs;
            this.result = result;
            hv = new Hypervisor(seam.events());
            hyp = ctx.spawn(HypervisorActor.create(seam, hv, 1000), "hypervisor");
            core = new XenstoredCore(oxenstored ? XenstoredCore.Flavour.OCAML : XenstoredCore.Flavour.DEFAULT, seam.events());
            core.initDom0("Domain-0");
            ActorRef<XenstoredActor.Command> xsd = ctx.spawn(XenstoredActor.create(seam, core, hyp, XenstoredTiming.INSTANT), "xenstored");
            ctx.watch(hyp);
            ctx.watch(xsd);
            // INTRODUCE goes through xenstored's own connection API: its actor attaches the guest's ring
            ActorRef<XsMessage> ignore = ctx.messageAdapter(XsMessage.class, m -> new Do(w -> { }));
            xsd.tell(new XenstoredActor.OpenLocal(0, ignore, ctx.messageAdapter(XenstoredActor.Opened.class, o -> new Do(w -> {
                for (Guest g : new Guest[] {w.a, w.b}) {
                    xsd.tell(new XenstoredActor.Request(o.connId(),
                            XsMessage.of(XS_INTRODUCE, 1, 0, "" + g.dom, "" + STORE_GFN, "" + g.storePort)));
                }
            }))));
            a = guest();
            b = guest();
            Connection dom0 = core.connect(0, "toolstack", m -> { });
            for (Guest g : new Guest[] {a, b}) {
                toolstack(dom0, g);
                // what each blkback incarnation opens first: one xenstored connection (counted by a proxy)
                ActorRef<XenstoredActor.Command> counting = ctx.spawn(Behaviors.receive(XenstoredActor.Command.class).onAnyMessage(c -> {
                    if (c instanceof XenstoredActor.OpenLocal) g.incarnations++;
                    xsd.tell(c);
                    return Behaviors.same();
                }).build(), "xs-proxy-" + g.dom);
                ActorRef<BlkbackActor.Command> be = ctx.spawn(BlkbackActor.create(seam, new BlkbackConfig(g.dom, DEVID, g.be(), g.fe(),
                        g == a ? imgA : imgB, false, 50_000, 0.1, 5, 8, profile), hyp, counting), "blkback-" + g.dom);
                ctx.watch(be);
                g.xenbus = core.connect(g.dom, "ring", m -> { });
            }
            // B's secret nodes, readable by nobody else
            xs(b.xenbus, new XsMessage(XS_WRITE, 1, 0, bytes("/local/domain/" + b.dom + "/data/priv-" + SECRET + "\0" + SECRET)));
            xs(b.xenbus, new XsMessage(XS_WRITE, 1, 0, bytes("/local/domain/" + b.dom + "/shared\0public")));
            xs(dom0, XsMessage.of(XS_SET_PERMS, 1, 0, "/local/domain/" + b.dom + "/shared", "n" + b.dom, "r" + a.dom));
            // both kernels: blkfront rings, upcalls; then the attack and the victim's loops begin
            for (Guest g : new Guest[] {a, b}) {
                blkConnect(g);
                hv.bindUpcall(g.dom, g.storePort, (d, p) -> self(w -> w.onStoreUpcall(g)));
                hv.bindUpcall(g.dom, g.blkPort, (d, p) -> self(w -> w.onBlkUpcall(g)));
            }
            // A's data pages and grants
            for (int i = 0; i < 8; i++) {
                byte[] page = new byte[4096];
                random.nextBytes(page);
                System.arraycopy(A_MARK_BYTES, 0, page, 64, A_MARK_BYTES.length);
                a.mem.page(DATA_GFN + i).putBytes(0, page, 0, page.length);
                a.gt.grantAccess(REF_RW + i, 0, DATA_GFN + i, false);
                if (i < 4) a.gt.grantAccess(REF_RO + i, 0, DATA_GFN + 8 + i, true);
                if (i < 4) a.gt.grantAccess(REF_TO_B + i, b.dom, DATA_GFN + 12 + i, false);
            }
            seam.deliverAfter(2_000_000, ctx.getSelf(), new Do(HostWorld::start));
        }

        void run(Consumer<HostWorld> action) {
            try {
                action.accept(this);
            } catch (Throwable t) {
                fail("harness step threw " + t);
            }
        }

        void fail(String why) {
            if (failures.size() < 20) failures.add(String.format("t=%.3fms %s", seam.nowNanos() / 1e6, why));
        }

        void self(Consumer<HostWorld> action) {
            ctx.getSelf().tell(new Do(action));
        }

        Guest guest() {
            DomainConfig cfg = DomainConfig.ofRamPages(1024);
            Hypervisor.DomainCreated dc = hv.createDomain(0, cfg);
            hv.addToPhysmap(dc.domid(), dc.domid(), HvmParams.XENMAPSPACE_grant_table, 0, cfg.firstHoleGfn());
            GrantTableGuest gt = new GrantTableGuest(dc.memory(), null, "guest");
            gt.setFrameGfn(0, cfg.firstHoleGfn());
            Guest g = new Guest(dc.domid(), dc.memory(), gt);
            hv.seedGrantEntry(0, g.dom, GrantTableAbi.GNTTAB_RESERVED_XENSTORE, 0, STORE_GFN, false);
            g.storePort = hv.evtchnAllocUnbound(0, g.dom, 0).port();
            return g;
        }

        void toolstack(Connection dom0, Guest g) {
            String home = "/local/domain/" + g.dom;
            xs(dom0, XsMessage.of(XS_MKDIR, 1, 0, home));
            xs(dom0, XsMessage.of(XS_SET_PERMS, 1, 0, home, "n" + g.dom));
            xs(dom0, XsMessage.of(XS_MKDIR, 1, 0, g.fe()));
            xs(dom0, XsMessage.of(XS_SET_PERMS, 1, 0, g.fe(), "n" + g.dom, "r0"));
            xs(dom0, XsMessage.of(XS_MKDIR, 1, 0, g.be()));
            xs(dom0, XsMessage.of(XS_SET_PERMS, 1, 0, g.be(), "n0", "r" + g.dom));
            for (String[] kv : new String[][] {{g.fe() + "/backend", g.be()}, {g.fe() + "/backend-id", "0"}, {g.fe() + "/state", "1"},
                {g.fe() + "/virtual-device", "" + DEVID}, {g.be() + "/frontend", g.fe()}, {g.be() + "/frontend-id", "" + g.dom},
                {g.be() + "/state", "1"}, {g.be() + "/mode", "w"}}) {
                xs(dom0, new XsMessage(XS_WRITE, 1, 0, bytes(kv[0] + "\0" + kv[1])));
            }
        }

        /** A request on a fresh direct connection of {@code c}'s domain; "OK" or the errno name of the reply. */
        String xs(Connection c, XsMessage m) {
            List<XsMessage> out = new ArrayList<>();
            Connection tmp = core.connect(c.domid(), c.domid() == 0 ? "setup" : "ring", out::add);
            core.handle(tmp, m);
            core.disconnect(tmp);
            for (XsMessage r : out) if (r.type() != XS_WATCH_EVENT) return r.type() == XS_ERROR ? r.strings().get(0) : "OK";
            return null;
        }

        /** blkfront's talk_to_blkback for the ring at RING_GFN, ref 8. */
        void blkConnect(Guest g) {
            PageBytes page = g.mem.page(RING_GFN);
            SharedRing.init(page);
            g.ring = new SharedRing.FrontRing(page, Blkif.ENTRY_SIZE);
            g.gt.grantAccess(RING_REF, 0, RING_GFN, false);
            g.blkPort = hv.evtchnAllocUnbound(g.dom, g.dom, 0).port();
            xs(g.xenbus, new XsMessage(XS_WRITE, 1, 0, bytes(g.fe() + "/ring-ref\0" + RING_REF)));
            xs(g.xenbus, new XsMessage(XS_WRITE, 1, 0, bytes(g.fe() + "/event-channel\0" + g.blkPort)));
            xs(g.xenbus, new XsMessage(XS_WRITE, 1, 0, bytes(g.fe() + "/protocol\0x86_64-abi")));
            xs(g.xenbus, new XsMessage(XS_WRITE, 1, 0, bytes(g.fe() + "/state\0" + "3")));
        }

        void start() {
            if (!"4".equals(core.readDirect(a.be() + "/state")) || !"4".equals(core.readDirect(b.be() + "/state"))) {
                fail("the backends did not connect: A " + core.readDirect(a.be() + "/state") + ", B " + core.readDirect(b.be() + "/state"));
                finish();
                return;
            }
            victimBlk();
            victimXs();
            step(0);
        }

        // ----------------------------------------------------------------------------- the attack

        void step(int i) {
            if (i >= inputs.size()) {
                lastInputAt = seam.nowNanos();
                finishing = true;
                seam.deliverAfter(30_000_000, ctx.getSelf(), new Do(HostWorld::finish));
                return;
            }
            checkAPage();
            In in = inputs.get(i);
            // the games that make A's own answers unpredictable come in the last third, so that the
            // first two thirds check A's answers too
            if (i < inputs.size() * 2 / 3 && (in.kind() == 4 || in.kind() == 5 || in.kind() == 11 || in.kind() == 13)) {
                in = new In(in.kind() % 4, in.a(), in.b(), in.c(), in.d());
            }
            if (hostile(in)) applied++;
            seam.deliverAfter(GAP_NS, ctx.getSelf(), new Do(w -> w.step(i + 1)));
        }

        /** Applies one hostile input; false if it could not be applied (a full ring). */
        boolean hostile(In in) {
            switch (in.kind()) {
                case 0, 1, 2, 3 -> { return xsFrame(in); }
                case 4 -> { // index games on the xenstore page
                    int which = Math.floorMod(in.a(), 4);
                    int off = new int[] {XenstoreRing.REQ_PROD, XenstoreRing.REQ_CONS, XenstoreRing.RSP_CONS, XenstoreRing.RSP_PROD}[which];
                    int old = a.store.getInt(off);
                    int v = switch (Math.floorMod(in.b(), 3)) {
                        case 0 -> old + Math.floorMod(in.c(), 40) - 20;
                        case 1 -> old + 1025 + Math.floorMod(in.c(), 5000);
                        default -> in.c();
                    };
                    a.store.putIntRelease(off, v);
                    aXsSane = false;
                    // insane request indexes end the service at the next read (C's readchn: check_indexes);
                    // response indexes are looked at only when xenstored has something to write
                    int req = a.store.getInt(XenstoreRing.REQ_PROD) - a.store.getInt(XenstoreRing.REQ_CONS);
                    if (Integer.compareUnsigned(req, XENSTORE_RING_SIZE) > 0) aXsInsane = true;
                    hv.evtchnSend(a.dom, a.storePort);
                    return true;
                }
                case 5 -> { // reconnection requests and junk in the connection field
                    int v = Math.floorMod(in.a(), 4) == 0 ? in.b() : XENSTORE_RECONNECT;
                    a.store.putIntRelease(XenstoreRing.CONNECTION, v);
                    if (asksReconnection(v, oxenstored)) aReconnectAsked = true;
                    if (Math.floorMod(in.c(), 3) == 0) a.store.putIntRelease(XenstoreRing.SERVER_FEATURES, in.c());
                    hv.evtchnSend(a.dom, a.storePort);
                    return true;
                }
                case 6 -> { // event storms
                    int n = 1 + Math.floorMod(in.a(), 40);
                    for (int k = 0; k < n; k++) hv.evtchnSend(a.dom, k % 2 == 0 ? a.storePort : a.blkPort);
                    return true;
                }
                case 7, 8, 9, 10 -> { return blkRequest(in); }
                case 11 -> { // blkif ring index games
                    int v = switch (Math.floorMod(in.a(), 3)) {
                        case 0 -> a.ring.reqProdPvt + 2 * a.ring.size() + 1;
                        case 1 -> a.ring.reqProdPvt + Math.floorMod(in.b(), 8);
                        default -> in.b();
                    };
                    if (Math.floorMod(in.c(), 2) == 0) a.ring.page().putIntRelease(SharedRing.REQ_PROD, v);
                    else a.ring.page().putIntRelease(SharedRing.RSP_EVENT, v);
                    aBlkSane = false;
                    hv.evtchnSend(a.dom, a.blkPort);
                    return true;
                }
                case 12 -> { hypercall(in); return true; }
                case 13 -> { xenbusGame(in); return true; }
                default -> { grantGame(in); return true; }
            }
        }

        boolean xsFrame(In in) {
            XsWireCampaign.Frame f = new XsWireCampaign.Frame(
                    new int[] {XS_READ, XS_WRITE, XS_DIRECTORY, XS_MKDIR, XS_RM, XS_GET_PERMS, XS_WATCH, XS_UNWATCH,
                        XS_TRANSACTION_START, XS_TRANSACTION_END, XS_SET_PERMS, XS_DIRECTORY_PART, XS_INTRODUCE, XS_RESET_WATCHES,
                        XS_GET_DOMAIN_PATH, 15, 16, 20, 40, XS_CONTROL}[Math.floorMod(in.a(), 20)],
                    in.b(), 0, Math.floorMod(in.c(), 64), Math.floorMod((int) in.d(), 64), Math.floorMod(in.c() >> 8, 16) < 13 ? 0 : 1 + Math.floorMod(in.c() >> 12, 3),
                    0, 0);
            int tx = switch (Math.floorMod((int) (in.d() >> 32), 4)) {
                case 0, 1 -> 0;
                case 2 -> aOpenTx.isEmpty() ? 0 : aOpenTx.iterator().next();
                default -> 1 + Math.floorMod((int) (in.d() >> 40), 6);
            };
            byte[] payload = XsWireCampaign.payload(f, f.type());
            if (payload.length > 2000) payload = java.util.Arrays.copyOf(payload, 2000); // the ring takes 1 KiB at a time anyway
            XsMessage m = new XsMessage(f.type(), f.reqId(), tx, payload);
            byte[] wire = m.encode();
            boolean lie = Math.floorMod((int) in.d(), 97) == 0;
            if (lie) {
                java.nio.ByteBuffer.wrap(wire).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(HDR_LEN,
                        Math.floorMod((int) in.d(), 2) == 0 ? XENSTORE_PAYLOAD_MAX + 1 : payload.length + 3);
                aXsSane = false;
            }
            if (aXsSane) aSent.add(m);
            a.outgoing.add(wire);
            pushStore(a);
            return true;
        }

        boolean blkRequest(In in) {
            if (a.ring.full()) {
                if (aBlkSane && a.ring.freeRequests() == 0) return false;
            }
            SplittableRandom r = new SplittableRandom(in.d());
            int op = Math.floorMod(in.a(), 10) < 7 ? Math.floorMod(in.a(), 2) : new int[] {2, 3, 4, 5, 6, 7, 200}[Math.floorMod(in.a() >> 4, 7)];
            int nr = Math.floorMod(in.b(), 8) < 6 ? 1 + Math.floorMod(in.b() >> 3, 3) : new int[] {0, 12, 255, 11}[Math.floorMod(in.b() >> 3, 4)];
            long sector = Math.floorMod(in.c(), 6) < 4 ? Math.floorMod(in.c() >> 3, (int) SECTORS)
                    : new long[] {SECTORS - 1, SECTORS, -1, Long.MAX_VALUE - 3, SECTORS + 100}[Math.floorMod(in.c() >> 3, 5)];
            long id = aNextId++;
            byte[] raw = new byte[Blkif.REQUEST_SIZE];
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            bb.put(Blkif.REQ_OPERATION, (byte) op);
            bb.put(Blkif.REQ_NR_SEGMENTS, (byte) nr);
            bb.putShort(Blkif.REQ_HANDLE, (short) DEVID);
            bb.putLong(Blkif.REQ_ID, id);
            bb.putLong(Blkif.REQ_SECTOR_NUMBER, sector);
            boolean grantsOk = true;
            if (op == Blkif.BLKIF_OP_DISCARD) bb.putLong(Blkif.DISCARD_NR_SECTORS, r.nextInt(4) == 0 ? r.nextLong() : r.nextInt(64));
            else {
                for (int i = 0; i < Math.min(nr, 11); i++) {
                    int at = Blkif.REQ_SEG + i * Blkif.SEGMENT_SIZE;
                    int kind = r.nextInt(20);
                    int ref;
                    boolean ok;
                    if (kind < 14) { ref = REF_RW + r.nextInt(8); ok = true; }
                    else if (kind == 14) { ref = REF_RO + r.nextInt(4); ok = op == Blkif.BLKIF_OP_WRITE; } // blkback maps writable for a READ
                    else if (kind == 15) { ref = REF_TO_B + r.nextInt(4); ok = false; }
                    else if (kind == 16) { ref = REF_NONE + r.nextInt(4); ok = false; }
                    else if (kind == 17) { ref = 9 + r.nextInt(12); ok = false; } // numbers B uses for its own data
                    else if (kind == 18) { ref = 512 + r.nextInt(100000); ok = false; }
                    else { ref = -1 - r.nextInt(100); ok = false; }
                    grantsOk &= ok;
                    int first = r.nextInt(12) == 0 ? r.nextInt(12) : r.nextInt(8);
                    int last = r.nextInt(12) == 0 ? r.nextInt(12) : first + r.nextInt(8 - Math.min(first, 7));
                    bb.putInt(at + Blkif.SEG_GREF, ref);
                    bb.put(at + Blkif.SEG_FIRST_SECT, (byte) first);
                    bb.put(at + Blkif.SEG_LAST_SECT, (byte) last);
                }
            }
            int status = BlkifCampaign.linux(raw, SECTORS, false);
            if (status == Blkif.BLKIF_RSP_OKAY && (op == Blkif.BLKIF_OP_READ || op == Blkif.BLKIF_OP_WRITE) && !grantsOk) {
                status = Blkif.BLKIF_RSP_ERROR; // a segment's grant is not dom0's to map so: GNTST_general_error/bad_gntref
            }
            if (status != BlkifCampaign.UNSPECIFIED) aExpected.put(id, status);
            a.ring.page().putBytes(a.ring.slot(a.ring.reqProdPvt), raw, 0, raw.length);
            a.ring.reqProdPvt++;
            if (a.ring.pushRequestsAndCheckNotify() || Math.floorMod(in.c(), 5) == 0) hv.evtchnSend(a.dom, a.blkPort);
            return true;
        }

        void hypercall(In in) {
            int ref = 8 + Math.floorMod(in.a(), 20);
            boolean ro = Math.floorMod(in.c(), 2) == 0;
            int port = Math.floorMod(in.c(), 64);
            switch (Math.floorMod(in.b(), 3)) {
                case 0 -> ask(Hypervisor.GrantMapped.class, to -> new HypervisorActor.MapGrantRef(a.dom, b.dom, ref, ro, to),
                        g -> expect("map of B's ref " + ref, GrantTableAbi.gntstName(GrantTableAbi.GNTST_general_error), GrantTableAbi.gntstName(g.status())));
                case 1 -> ask(Hypervisor.EvtchnPort.class, to -> new HypervisorActor.EvtchnBindInterdomain(a.dom, b.dom, port % 8, to),
                        p -> expect("bind to B's port " + port % 8, -xensim.abi.XenErrno.EINVAL, p.rc()));
                default -> ask(Hypervisor.EvtchnStatus.class, to -> new HypervisorActor.EvtchnGetStatus(a.dom, b.dom, port, to),
                        st -> expect("status of B's port " + port, -xensim.abi.XenErrno.EPERM, st.rc()));
            }
        }

        /** A hypercall through the hypervisor actor, as a guest's kernel makes it; the answer is checked on arrival. */
        <R> void ask(Class<R> reply, java.util.function.Function<ActorRef<R>, HypervisorActor.Command> call, Consumer<R> check) {
            ActorRef<R> to = ctx.spawnAnonymous(Behaviors.receive(reply).onAnyMessage(r -> {
                self(w -> check.accept(r));
                return Behaviors.stopped();
            }).build());
            hyp.tell(call.apply(to));
        }

        void expect(String what, Object want, Object got) {
            checked++;
            Campaign.checked("whole-host A's " + (what.startsWith("blkback") ? "blkif statuses" : what.startsWith("A writes") ? "xenstore writes (EACCES)"
                    : "hypercalls via the actor"));
            if (!want.equals(got)) fail(what + ": expected " + want + ", got " + got);
        }

        void xenbusGame(In in) {
            String[] keys = {"ring-ref", "event-channel", "state", "protocol"};
            String key = keys[Math.floorMod(in.a(), keys.length)];
            String[] values = {"" + in.b(), "garbage", "", "" + (9 + Math.floorMod(in.b(), 12)), "" + b.blkPort, "99999999999",
                "" + Math.floorMod(in.b(), 9), "x86_32-abi"};
            String v = values[Math.floorMod(in.c(), values.length)];
            xs(a.xenbus, new XsMessage(XS_WRITE, 1, 0, bytes(a.fe() + "/" + key + "\0" + v)));
            aBlkSane = false; // blkback may now disconnect, reconnect, or refuse: none of it is a crash
            // and the victim's nodes: refused
            String target = Math.floorMod(in.c(), 2) == 0 ? b.fe() + "/state" : b.be() + "/state";
            expect("A writes " + target, "EACCES", xs(a.xenbus, new XsMessage(XS_WRITE, 1, 0, bytes(target + "\0" + "5"))));
        }

        void grantGame(In in) {
            int ref = REF_NONE + Math.floorMod(in.a(), 4);
            switch (Math.floorMod(in.b(), 3)) {
                case 0 -> a.gt.grantAccess(ref, b.dom, DATA_GFN + Math.floorMod(in.c(), 16), false); // to B, not dom0: still not dom0's
                case 1 -> a.gt.endAccess(ref);
                default -> a.gt.grantAccess(ref, Math.floorMod(in.c(), 0x7FF0) == 0 ? 1 : Math.floorMod(in.c(), 0x7FF0), DATA_GFN, true);
            }
        }

        // ------------------------------------------------------------------- A's kernel, receiving

        void pushStore(Guest g) {
            boolean wrote = false;
            while (!g.outgoing.isEmpty()) {
                byte[] head = g.outgoing.peek();
                int n = XenstoreRing.writeRequest(g.store, head, g.outOffset, head.length - g.outOffset);
                if (n <= 0) break;
                wrote = true;
                g.outOffset += n;
                if (g.outOffset == head.length) {
                    g.outgoing.poll();
                    g.outOffset = 0;
                }
            }
            if (wrote) hv.evtchnSend(g.dom, g.storePort);
        }

        void onStoreUpcall(Guest g) {
            byte[] buf = new byte[XENSTORE_RING_SIZE];
            while (true) {
                int n = XenstoreRing.readResponse(g.store, buf, 0, buf.length);
                if (n <= 0) break;
                if (g == a) {
                    if (contains(buf, 0, n, SECRET_BYTES)) fail("A's xenstore ring received the victim's data");
                    if (!aXsSane) continue;
                }
                for (XsMessage m : g.rsp.feed(buf, 0, n)) {
                    if (g == b) onVictimXs(m);
                    else onHostileXs(m);
                }
                if (g.rsp.broken()) {
                    if (g == b) fail("B's response stream broke");
                    aXsSane = false;
                }
            }
            pushStore(g);
        }

        void onHostileXs(XsMessage m) {
            if (m.type() == XS_WATCH_EVENT) return;
            XsMessage req = aSent.poll();
            if (req == null) {
                fail("a reply A never asked for: " + XsWireCampaign.brief(m));
                return;
            }
            try {
                checkHostileReply(req, m);
            } catch (AssertionError e) {
                fail(e.getMessage());
            }
        }

        void checkHostileReply(XsMessage req, XsMessage reply) {
            checked++;
            Campaign.checked("whole-host A's xs_wire replies");
            assertEquals(req.reqId(), reply.reqId(), "the reply echoes req_id");
            assertEquals(req.txId(), reply.txId(), "the reply echoes tx_id");
            String err = null;
            if (reply.type() == XS_ERROR) {
                err = reply.strings().get(0);
                assertTrue(XSD_ERRORS.contains(err), "an xsd_errors name: " + XsWireCampaign.brief(reply));
            } else {
                assertEquals(req.type(), reply.type(), "a reply has the request's type or XS_ERROR");
            }
            // the expectation is judged by the transactions A had when it sent the request
            java.util.Set<Integer> openBefore = new java.util.LinkedHashSet<>(aOpenTx);
            if (req.type() == XS_TRANSACTION_START && err == null) aOpenTx.add(Integer.parseUnsignedInt(reply.strings().get(0)));
            if (req.type() == XS_TRANSACTION_END && !"EINVAL".equals(err)) aOpenTx.remove(req.txId());
            if (req.type() == XS_RESET_WATCHES && err == null) aOpenTx.clear();
            String expect = CXenstored.expected(req, openBefore, err, XsWireCampaign.Rules.C_XENSTORED, oxenstored);
            if (expect == null) return;
            if (expect.equals("OK")) assertEquals(null, err, "C xenstored accepts " + XsWireCampaign.brief(req));
            else assertEquals(expect, err, "C xenstored's answer to " + XsWireCampaign.brief(req));
        }

        void onBlkUpcall(Guest g) {
            SharedRing.FrontRing ring = g.ring;
            do {
                int prod = ring.sharedRspProd();
                if (ring.responseProdOverflow(prod)) {
                    if (g == b) fail("B's backend produced more responses than requests");
                    return;
                }
                while (ring.rspCons != prod) {
                    Blkif.Response r = Blkif.readResponse(ring.page(), ring.slot(ring.rspCons));
                    ring.rspCons++;
                    if (g == b) {
                        Consumer<Integer> k = bPending.remove(r.id());
                        if (k == null) fail("B got a response it never asked for: " + r);
                        else k.accept(r.status());
                    } else {
                        Integer want = aExpected.remove(r.id());
                        if (want != null && aBlkSane) expect("blkback's answer to A's request " + r.id(), Blkif.statusName(want),
                                Blkif.statusName(r.status()));
                    }
                }
            } while (ring.finalCheckForResponses());
        }

        /** A's memory never holds the victim's bytes; its page fields say what xenstored did. */
        void checkAPage() {
            if (oxenstored && core.ringIgnored(a.dom)) { // a bad client: oxenstored writes no error field
                aXsDead = true;
                aXsSane = false;
            }
            int err = a.store.getInt(XenstoreRing.ERROR);
            if (err != XENSTORE_ERROR_NONE) {
                aXsDead = true;
                aXsSane = false;
                if (err != XENSTORE_ERROR_RINGIDX && err != XENSTORE_ERROR_PROTO) fail("A's ring error field: " + err);
            }
            if (aReconnectAsked && !aXsDead) {
                int conn = a.store.getInt(XenstoreRing.CONNECTION);
                if (oxenstored && conn != XENSTORE_CONNECTED) fail("oxenstored left A's reconnection request unanswered");
                // only the guest sets 1, only the server sets 0 (xenstore-ring.txt): C xenstored has no reconnection
                if (!oxenstored && conn != XENSTORE_RECONNECT) fail("C xenstored wrote the connection field: " + conn);
                if (oxenstored) { // a fresh connection: indexes reset, nothing in flight, no transactions
                    aSent.clear();
                    aOpenTx.clear();
                    a.outgoing.clear();
                    a.outOffset = 0;
                    a.rsp.reset();
                    aXsInsane = false;
                    aXsSane = true;
                }
                aReconnectAsked = false;
            }
        }

        // -------------------------------------------------------------------- the victim's own I/O

        void victimBlk() {
            if (finishing && seam.nowNanos() > lastInputAt + 20_000_000) return;
            int count = 1 + random.nextInt(16);
            long sector = random.nextLong(SECTORS - count);
            byte[] data = new byte[count * 512];
            random.nextBytes(data);
            for (int i = 0; i + SECRET_BYTES.length <= data.length; i += 512) System.arraycopy(SECRET_BYTES, 0, data, i, SECRET_BYTES.length);
            bIo(Blkif.BLKIF_OP_WRITE, sector, count, data, st -> {
                if (st != Blkif.BLKIF_RSP_OKAY) {
                    fail("B's write failed: " + Blkif.statusName(st));
                    return;
                }
                System.arraycopy(data, 0, bShadow, (int) (sector * 512), data.length);
                byte[] got = new byte[count * 512];
                bIo(Blkif.BLKIF_OP_READ, sector, count, got, st2 -> {
                    if (st2 != Blkif.BLKIF_RSP_OKAY) fail("B's read failed: " + Blkif.statusName(st2));
                    else if (!java.util.Arrays.equals(got, java.util.Arrays.copyOfRange(bShadow, (int) (sector * 512), (int) ((sector + count) * 512)))) {
                        fail("B read back something else at sector " + sector);
                    } else {
                        bBlkDone++;
                        bLastBlkAt = seam.nowNanos();
                    }
                    seam.deliverAfter(30_000, ctx.getSelf(), new Do(HostWorld::victimBlk));
                });
            });
        }

        void bIo(int op, long sector, int count, byte[] data, Consumer<Integer> done) {
            int pages = (count + 7) / 8;
            Blkif.Segment[] segs = new Blkif.Segment[pages];
            long[] gfns = new long[pages];
            int[] refs = new int[pages];
            for (int i = 0; i < pages; i++) {
                gfns[i] = 0x100 + i;
                refs[i] = 9 + i;
                int n = Math.min(8, count - i * 8);
                if (op == Blkif.BLKIF_OP_WRITE) b.mem.page(gfns[i]).putBytes(0, data, i * 4096, n * 512);
                b.gt.grantAccess(refs[i], 0, gfns[i], op == Blkif.BLKIF_OP_WRITE);
                segs[i] = new Blkif.Segment(refs[i], 0, n - 1);
            }
            long id = bNextId++;
            bPending.put(id, st -> {
                for (int ref : refs) if (!b.gt.endAccess(ref)) fail("B's grant " + ref + " still mapped after its response");
                if (op == Blkif.BLKIF_OP_READ) {
                    for (int i = 0; i < pages; i++) b.mem.page(gfns[i]).getBytes(0, data, i * 4096, Math.min(8, count - i * 8) * 512);
                }
                done.accept(st);
            });
            if (b.ring.full()) {
                fail("B's ring is full");
                return;
            }
            Blkif.writeRequest(b.ring.page(), b.ring.slot(b.ring.reqProdPvt), Blkif.Request.readWrite(op, DEVID, id, sector, segs));
            b.ring.reqProdPvt++;
            if (b.ring.pushRequestsAndCheckNotify()) hv.evtchnSend(b.dom, b.blkPort);
        }

        void victimXs() {
            if (finishing && seam.nowNanos() > lastInputAt + 20_000_000) return;
            String path = "/local/domain/" + b.dom + "/data/priv-" + SECRET + "-k" + random.nextInt(8);
            String value = SECRET + random.nextInt(1_000_000);
            bXs(new XsMessage(XS_WRITE, bXsReq++, 0, bytes(path + "\0" + value)), w1 -> {
                if (w1.type() != XS_WRITE) {
                    fail("B's write over its ring: " + XsWireCampaign.brief(w1));
                    return;
                }
                bXs(XsMessage.of(XS_READ, bXsReq++, 0, path), r1 -> {
                    if (r1.type() != XS_READ || !new String(r1.payload(), StandardCharsets.UTF_8).equals(value)) {
                        fail("B read back over its ring " + XsWireCampaign.brief(r1) + " for " + value);
                        return;
                    }
                    bXsDone++;
                    bLastXsAt = seam.nowNanos();
                    seam.deliverAfter(40_000, ctx.getSelf(), new Do(HostWorld::victimXs));
                });
            });
        }

        void bXs(XsMessage m, Consumer<XsMessage> k) {
            bXsWaiting = k;
            b.outgoing.add(m.encode());
            pushStore(b);
        }

        void onVictimXs(XsMessage m) {
            if (m.type() == XS_WATCH_EVENT) return;
            Consumer<XsMessage> k = bXsWaiting;
            bXsWaiting = null;
            if (k == null) fail("B got a reply it never asked for: " + XsWireCampaign.brief(m));
            else k.accept(m);
        }

        // ------------------------------------------------------------------------------ the end

        void finish() {
            checkAPage();
            if (aXsInsane && !aXsDead && !oxenstored) {
                // xenstored reads the indexes on the next kick; insane ones end A's service (C: ignore_connection)
                fail("A's ring indexes were insane but xenstored did not set the error field");
            }
            if (a.incarnations != 1 || b.incarnations != 1) fail("blkback restarted: A " + a.incarnations + ", B " + b.incarnations + " incarnations");
            if (bBlkDone < 3 || bXsDone < 3) fail("B's I/O stalled: " + bBlkDone + " disk, " + bXsDone + " xenstore round trips");
            if (bLastBlkAt <= lastInputAt || bLastXsAt <= lastInputAt) fail("B's I/O did not go on after A's last input");
            for (GuestMemory mem : new GuestMemory[] {a.mem, b.mem}) {
                byte[] page = new byte[4096];
                byte[] forbidden = mem == a.mem ? SECRET_BYTES : A_MARK_BYTES;
                for (long g = 0; g < 1024; g++) {
                    if (!mem.isPopulated(g)) continue;
                    mem.page(g).getBytes(0, page, 0, page.length);
                    if (contains(page, 0, page.length, forbidden)) fail((mem == a.mem ? "A" : "B") + "'s page " + g + " holds the other guest's bytes");
                }
            }
            result.complete(new Outcome(List.copyOf(failures), applied, bBlkDone, bXsDone, checked));
        }
    }

    /**
     * Whether a guest's write of {@code connection} to its xenstore page makes xenstored reconnect
     * its ring (dropping its transactions and watches). oxenstored's xs_ring_stubs.c
     * (ml_interface_read/ml_interface_write) raises Xb.Reconnect for any value but
     * XENSTORE_CONNECTED, junk included; C xenstored only answers XENSTORE_RECONNECT, at introduce.
     */
    static boolean asksReconnection(int connection, boolean oxenstored) {
        return oxenstored ? connection != XENSTORE_CONNECTED : connection == XENSTORE_RECONNECT;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static boolean contains(byte[] hay, int off, int len, byte[] needle) {
        outer:
        for (int i = off; i + needle.length <= off + len; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }
}
