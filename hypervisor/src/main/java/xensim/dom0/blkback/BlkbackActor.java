package xensim.dom0.blkback;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PreRestart;
import akka.actor.typed.PostStop;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import xensim.abi.Blkif;
import xensim.abi.GrantTableAbi;
import xensim.abi.XenbusState;
import xensim.abi.XsMessage;
import xensim.dom0.Dom0XsClient;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.platform.Seam;
import xensim.xen.GrantMapping;
import xensim.xen.GrantMappingFault;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * blkback: one actor per vbd, serving a frontend's blkif ring from a raw image file. The xenbus
 * handshake follows {@link BlkbackXenbus}; requests are validated ({@link BlkifValidation}), their
 * segments mapped through the hypervisor (GRANT_MAP / FOREIGN_WRITE / GRANT_UNMAP happen there),
 * serviced after a seeded latency ({@link LatencyModel}, at most queue-depth at once) and
 * acknowledged only once the data is in the file. Fault hooks: {@link Crash} (the supervisor
 * restarts it; every mapping of the dead incarnation is dropped; the new one rebuilds from
 * xenstore and the disk, re-attaches the ring and re-serves what was consumed but not answered,
 * from its {@link Journal}), {@link Stall}, {@link SlowDown}.
 */
public final class BlkbackActor extends AbstractBehavior<BlkbackActor.Command> {

    public sealed interface Command {}

    /** The vbd: frontend domain and device id, xenstore paths, image and latency. */
    public record Config(int frontendDom, int devid, String backendPath, String frontendPath, Path image,
                         boolean readOnly, long latencyMeanNanos, double tailProbability, double tailFactor,
                         int queueDepth) {}

    /** nemesis backend-crash: the actor fails; its supervisor restarts it. */
    public record Crash() implements Command {}

    /** nemesis backend-stall: nothing completes for {@code nanos}. */
    public record Stall(long nanos) implements Command {}

    /** nemesis backend-slow: latencies multiplied by {@code factor}. */
    public record SlowDown(double factor) implements Command {}

    /** What {@link CorruptRing} damages. */
    public enum Corruption {
        /** A hostile frontend: the shared req_prod jumps a ring's worth ahead (Linux: "bogus ring requests"). */
        REQUEST,
        /** The next response carries an id no request has. */
        RESPONSE,
        /** The next READ's data reaches the guest with its bytes flipped (a corrupted response). */
        DATA
    }

    /** nemesis ring-corrupt. */
    public record CorruptRing(Corruption what) implements Command {}

    /** Toolstack: the device is being removed. */
    public record Shutdown() implements Command {}

    private record XsIn(XsMessage m) implements Command {}

    private record XsOpened(int connId) implements Command {}

    /** Every GNTTABOP_map_grant_ref reply (one adapter: Akka keeps one per class). */
    private record MapReply(Hypervisor.GrantMapped g) implements Command {}

    private record BindReply(Hypervisor.EvtchnPort p) implements Command {}

    private record UnmapReply(Hypervisor.GrantUnmapped u) implements Command {}

    private record Kick() implements Command {}

    private record RetryMap(int generation, int gref, boolean readonly, java.util.function.Consumer<Hypervisor.GrantMapped> k, int delayMs)
            implements Command {}


    private record Complete(int generation, long key) implements Command {}

    private static final class InFlight {
        final long key;
        final Blkif.Request req;
        final GrantMapping[] maps;
        final int[] handles;
        int replies;
        int unmapsPending;
        boolean corrupted;
        boolean failed;

        InFlight(long key, Blkif.Request req) {
            this.key = key;
            this.req = req;
            this.maps = new GrantMapping[req.segments().length];
            this.handles = new int[req.segments().length];
            java.util.Arrays.fill(handles, -1);
        }
    }

    private static final String COMP = "blkback";

    /**
     * What survives a crash of the backend: the ring's request consumer index and a copy of every
     * request consumed but not yet answered. The ring itself cannot tell: responses complete out
     * of order and each one overwrites a request slot, so a request still in flight may no longer
     * be on the ring when its backend dies.
     */
    static final class Journal {
        int reqCons;
        final LinkedHashMap<Long, Blkif.Request> unanswered = new LinkedHashMap<>();
        boolean attached;
        /** Which incarnation is alive; a timer or retry a dead one armed carries its own and is dropped. */
        int generation;
        /** Request keys, unique across incarnations. */
        long nextKey;
        /**
         * Hypercall answers still owed to dead incarnations. The hypervisor answers one caller in
         * issue order, so the next this-many answers of each kind are theirs, however late they
         * come (on real threads, after the new incarnation has asked its own questions).
         */
        int staleMapReplies;
        int staleBindReplies;
        int staleUnmapReplies;

        void clear() {
            reqCons = 0;
            unanswered.clear();
            attached = false;
        }
    }

    public static Behavior<Command> create(Seam seam, Config cfg, ActorRef<HypervisorActor.Command> hypervisor,
                                           ActorRef<XenstoredActor.Command> xenstored) {
        Journal journal = new Journal(); // outlives an incarnation
        return Behaviors.supervise(Behaviors.<Command>setup(ctx -> new BlkbackActor(ctx, seam, cfg, hypervisor, xenstored, journal)))
                .onFailure(IllegalStateException.class, SupervisorStrategy.restart().withLoggingEnabled(false)); // the crash is a BACKEND_CRASH event
    }

    private final Seam seam;
    private final Journal journal;
    private final Config cfg;
    private final ActorRef<HypervisorActor.Command> hv;
    private final Dom0XsClient xs;
    private final DiskImage disk;
    private final LatencyModel latency;
    private final int dom;
    private XenbusState state = XenbusState.Unknown;
    private Xring ring;
    private final Map<Long, InFlight> inFlight = new LinkedHashMap<>();
    private final Set<Integer> liveHandles = new HashSet<>();
    private final int generation;
    private boolean disconnecting;
    /** An armed ring-corrupt fault (RESPONSE or DATA) waiting for its request. */
    private Corruption corruption;
    private XenbusState afterDisconnect;
    private boolean connecting;
    private int incarnation;
    /**
     * Continuations of outstanding hypercalls, in issue order: the hypervisor answers one
     * caller's requests in order, so the head of the queue owns the next reply.
     */
    private final java.util.ArrayDeque<java.util.function.Consumer<Hypervisor.GrantMapped>> mapWaiters = new java.util.ArrayDeque<>();
    private final java.util.ArrayDeque<java.util.function.Consumer<Hypervisor.EvtchnPort>> bindWaiters = new java.util.ArrayDeque<>();
    private final ActorRef<Hypervisor.GrantMapped> mapAdapter;
    private final ActorRef<Hypervisor.EvtchnPort> bindAdapter;
    /** Completions of a request's data-grant unmaps, in issue order (the answers come in that order). */
    private final java.util.ArrayDeque<Runnable> unmapWaiters = new java.util.ArrayDeque<>();
    private final ActorRef<Hypervisor.GrantUnmapped> unmapAdapter;

    /** The mapped shared ring and its event channel. */
    private static final class Xring {
        xensim.abi.SharedRing.BackRing back;
        int handle = -1;
        int localPort = -1;
        GrantMapping page;
    }

    private BlkbackActor(ActorContext<Command> ctx, Seam seam, Config cfg, ActorRef<HypervisorActor.Command> hv,
                         ActorRef<XenstoredActor.Command> xenstored, Journal journal) throws IOException {
        super(ctx);
        this.journal = journal;
        this.generation = ++journal.generation;
        this.seam = seam;
        this.cfg = cfg;
        this.hv = hv;
        this.dom = cfg.frontendDom();
        this.xs = new Dom0XsClient(xenstored);
        this.disk = DiskImage.open(cfg.image(), cfg.readOnly());
        this.latency = new LatencyModel(cfg.latencyMeanNanos(), cfg.tailProbability(), cfg.tailFactor(), cfg.queueDepth(),
                seam.random("blkback/" + dom + "/" + cfg.devid()));
        this.mapAdapter = ctx.messageAdapter(Hypervisor.GrantMapped.class, MapReply::new);
        this.bindAdapter = ctx.messageAdapter(Hypervisor.EvtchnPort.class, BindReply::new);
        this.unmapAdapter = ctx.messageAdapter(Hypervisor.GrantUnmapped.class, UnmapReply::new);
        xenstored.tell(new XenstoredActor.OpenLocal(0, ctx.messageAdapter(XsMessage.class, XsIn::new),
                ctx.messageAdapter(XenstoredActor.Opened.class, o -> new XsOpened(o.connId()))));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(XsOpened.class, m -> {
                    xs.opened(m.connId());
                    start();
                    return this;
                })
                .onMessage(XsIn.class, m -> {
                    xs.onMessage(m.m());
                    return this;
                })
                .onMessage(MapReply.class, m -> {
                    java.util.function.Consumer<Hypervisor.GrantMapped> k = null;
                    if (journal.staleMapReplies > 0) journal.staleMapReplies--; // a dead incarnation asked
                    else k = mapWaiters.poll();
                    if (k != null) k.accept(m.g());
                    else if (m.g().status() == GrantTableAbi.GNTST_okay) hv.tell(new HypervisorActor.UnmapGrantRef(0, m.g().handle(), null));
                    return this;
                })
                .onMessage(BindReply.class, m -> {
                    java.util.function.Consumer<Hypervisor.EvtchnPort> k = null;
                    if (journal.staleBindReplies > 0) journal.staleBindReplies--;
                    else k = bindWaiters.poll();
                    if (k != null) k.accept(m.p());
                    else if (m.p().rc() == 0 && m.p().port() > 0) hv.tell(new HypervisorActor.EvtchnClose(0, m.p().port(), null));
                    return this;
                })
                .onMessage(RetryMap.class, m -> {
                    if (m.generation() == generation) mapGrant(m.gref(), m.readonly(), m.k(), m.delayMs());
                    return this;
                })
                .onMessage(UnmapReply.class, m -> {
                    Runnable k = null;
                    if (journal.staleUnmapReplies > 0) journal.staleUnmapReplies--;
                    else k = unmapWaiters.poll();
                    if (k != null) k.run();
                    return this;
                })
                .onMessage(Kick.class, m -> {
                    consume();
                    return this;
                })
                .onMessage(Complete.class, this::onComplete)
                .onMessage(Crash.class, m -> {
                    seam.events().event(dom, COMP, "BACKEND_CRASH").with("devid", cfg.devid()).with("inFlight", inFlight.size()).emit();
                    throw new IllegalStateException("blkback " + dom + "/" + cfg.devid() + " crashed (injected)");
                })
                .onMessage(Stall.class, m -> {
                    latency.stallUntil(seam.nowNanos() + m.nanos());
                    return this;
                })
                .onMessage(CorruptRing.class, m -> {
                    if (m.what() == Corruption.REQUEST) {
                        if (ring != null && ring.back != null) {
                            try {
                                ring.page.putIntRelease(xensim.abi.SharedRing.REQ_PROD, ring.back.reqCons + 2 * ring.back.size() + 1);
                            } catch (GrantMappingFault e) {
                                return this;
                            }
                            consume();
                        }
                    } else {
                        corruption = m.what();
                    }
                    return this;
                })
                .onMessage(SlowDown.class, m -> {
                    latency.slowDown(m.factor());
                    return this;
                })
                .onMessage(Shutdown.class, m -> {
                    releaseEverything();
                    return Behaviors.stopped();
                })
                .onSignal(PreRestart.class, s -> {
                    // answers to the questions this incarnation asked will reach the next one
                    journal.staleMapReplies += mapWaiters.size();
                    journal.staleBindReplies += bindWaiters.size();
                    journal.staleUnmapReplies += unmapWaiters.size();
                    releaseEverything(); // the process died: its grant mappings and ports go with it
                    return this;
                })
                .onSignal(PostStop.class, s -> {
                    releaseEverything();
                    return this;
                })
                .build();
    }

    // --- xenbus ------------------------------------------------------------------------------

    private void start() {
        xs.read(cfg.backendPath() + "/state", s -> {
            XenbusState recorded = XenbusState.parse(s);
            if (recorded == null || recorded == XenbusState.Initialising || recorded == XenbusState.Unknown) {
                xs.write(cfg.backendPath() + "/feature-flush-cache", "1", null);
                xs.write(cfg.backendPath() + "/feature-discard", "1", null);
                switchState(XenbusState.InitWait);
            } else {
                // a restarted incarnation: what the node says, but no ring yet (reconnect if needed)
                incarnation++;
                state = recorded == XenbusState.Connected ? XenbusState.InitWait : recorded;
            }
            xs.watch(cfg.frontendPath() + "/state", "fe", p -> xs.read(cfg.frontendPath() + "/state", this::onFrontendState));
        });
    }

    private void onFrontendState(String value) {
        XenbusState fe = XenbusState.parse(value);
        switch (BlkbackXenbus.onFrontendState(fe, state)) {
            case CONNECT -> connect();
            case DISCONNECT_THEN_CLOSING -> disconnect(XenbusState.Closing);
            case CLOSED -> disconnect(XenbusState.Closed);
            case INIT_WAIT -> switchState(XenbusState.InitWait);
            case NONE -> { }
        }
    }

    private void switchState(XenbusState to) {
        if (to == state) return;
        XenbusState from = state;
        state = to;
        seam.events().event(dom, COMP, "XENBUS_STATE").with("path", cfg.backendPath() + "/state")
                .with("from", from.name()).with("to", to.name()).emit();
        xs.write(cfg.backendPath() + "/state", Integer.toString(to.code()), null);
    }

    private void connect() {
        if (connecting || ring != null) return;
        connecting = true;
        String fe = cfg.frontendPath();
        xs.read(fe + "/ring-ref", ref -> xs.read(fe + "/event-channel", port -> xs.read(fe + "/protocol", proto -> {
            Integer gref = parseInt(ref);
            Integer evt = parseInt(port);
            if (gref == null || evt == null || (proto != null && !proto.isEmpty() && !proto.equals("x86_64-abi"))) {
                connecting = false;
                seam.events().event(dom, COMP, "BACKEND_ERROR").with("devid", cfg.devid())
                        .with("detail", "bad ring-ref/event-channel/protocol: " + ref + "/" + port + "/" + proto).emit();
                return;
            }
            Xring r = new Xring();
            ring = r;
            r.localPort = -1;
            mapGrant(gref, false, this::onRingMapped);
            bindWaiters.add(this::onBound);
            hv.tell(new HypervisorActor.EvtchnBindInterdomain(0, dom, evt, bindAdapter));
        })));
    }

    private void mapGrant(int gref, boolean readonly, java.util.function.Consumer<Hypervisor.GrantMapped> k) {
        mapGrant(gref, readonly, k, 1);
    }

    /**
     * As Linux's gnttab_retry_eagain_gop: a map answered GNTST_eagain (the page is paged out) is
     * retried after 1, 2, 3, ... ms until the delay would reach 256 ms; then the error stands.
     */
    private void mapGrant(int gref, boolean readonly, java.util.function.Consumer<Hypervisor.GrantMapped> k, int delayMs) {
        mapWaiters.add(g -> {
            if (g.status() == GrantTableAbi.GNTST_eagain && delayMs < MAX_EAGAIN_DELAY_MS) {
                seam.deliverAfter(delayMs * 1_000_000L, getContext().getSelf(), new RetryMap(generation, gref, readonly, k, delayMs + 1));
            } else {
                k.accept(g);
            }
        });
        hv.tell(new HypervisorActor.MapGrantRef(0, dom, gref, readonly, mapAdapter));
    }

    private static final int MAX_EAGAIN_DELAY_MS = 256;

    private void onRingMapped(Hypervisor.GrantMapped g) {
        if (ring == null || g.status() != GrantTableAbi.GNTST_okay) {
            if (g.status() == GrantTableAbi.GNTST_okay) hv.tell(new HypervisorActor.UnmapGrantRef(0, g.handle(), null));
            else failConnect("ring map " + GrantTableAbi.gntstName(g.status()));
            return;
        }
        ring.page = g.mapping();
        ring.handle = g.handle();
        liveHandles.add(ring.handle);
        // BACK_RING_ATTACH: a restarted backend resumes at the shared rsp_prod and its journal's
        // request consumer index, and re-serves what its previous incarnation never answered
        boolean resume = incarnation > 0 && journal.attached;
        int start = resume ? ring.page.getIntAcquire(xensim.abi.SharedRing.RSP_PROD) : 0;
        ring.back = new xensim.abi.SharedRing.BackRing(ring.page, Blkif.ENTRY_SIZE, start);
        if (resume) ring.back.reqCons = journal.reqCons;
        else journal.clear();
        journal.attached = true;
        maybeConnected();
    }

    private void onBound(Hypervisor.EvtchnPort p) {
        if (ring == null) {
            if (p.rc() == 0) hv.tell(new HypervisorActor.EvtchnClose(0, p.port(), null));
            return;
        }
        if (p.rc() != 0) {
            failConnect("bind_interdomain " + p.rc());
            return;
        }
        ring.localPort = p.port();
        hv.tell(new HypervisorActor.BindUpcall(0, ring.localPort,
                getContext().messageAdapter(HypervisorActor.EvtchnUpcall.class, u -> new Kick()), null));
        maybeConnected();
    }

    private void failConnect(String why) {
        seam.events().event(dom, COMP, "BACKEND_ERROR").with("devid", cfg.devid()).with("detail", why).emit();
        releaseRing();
        connecting = false;
    }

    private void maybeConnected() {
        if (ring == null || ring.back == null || ring.localPort < 0) return;
        connecting = false;
        xs.write(cfg.backendPath() + "/sectors", Long.toString(disk.sectors()), null);
        xs.write(cfg.backendPath() + "/info", Integer.toString(cfg.readOnly() ? Blkif.VDISK_READONLY : 0), null);
        xs.write(cfg.backendPath() + "/sector-size", "512", null);
        switchState(XenbusState.Connected);
        List<Blkif.Request> redo = new ArrayList<>(journal.unanswered.values());
        journal.unanswered.clear();
        for (Blkif.Request r : redo) begin(r);
        consume();
    }

    private void disconnect(XenbusState then) {
        if (ring == null && !connecting) {
            switchState(then);
            return;
        }
        disconnecting = true;
        afterDisconnect = then;
        if (inFlight.isEmpty()) finishDisconnect();
    }

    private void finishDisconnect() {
        releaseRing();
        journal.clear();
        disconnecting = false;
        switchState(afterDisconnect);
    }

    private void releaseRing() {
        if (ring != null) {
            if (ring.handle >= 0) unmap(ring.handle);
            if (ring.localPort > 0) hv.tell(new HypervisorActor.EvtchnClose(0, ring.localPort, null));
        }
        ring = null;
    }

    private void releaseEverything() {
        for (InFlight f : inFlight.values()) for (int h : f.handles) if (h >= 0) unmap(h);
        inFlight.clear();
        releaseRing();
        for (int h : new ArrayList<>(liveHandles)) unmap(h);
        xs.close();
        try {
            disk.close();
        } catch (IOException ignored) {
            // closing a file we only read and wrote
        }
    }

    private void unmap(int handle) {
        if (liveHandles.remove(handle)) hv.tell(new HypervisorActor.UnmapGrantRef(0, handle, null));
    }

    // --- requests ----------------------------------------------------------------------------

    private void consume() {
        while (ring != null && ring.back != null && !disconnecting && inFlight.size() < latency.queueDepth()) {
            xensim.abi.SharedRing.BackRing b = ring.back;
            int prod = b.sharedReqProd();
            if (b.requestProdOverflow(prod)) { // a hostile frontend: Linux stops serving the ring
                seam.events().event(dom, COMP, "BACKEND_ERROR").with("devid", cfg.devid())
                        .with("detail", "frontend provided bogus ring requests (" + Integer.toUnsignedString(prod - b.rspProdPvt) + ")").emit();
                disconnecting = true;
                afterDisconnect = XenbusState.Closing;
                if (inFlight.isEmpty()) finishDisconnect();
                return;
            }
            if (b.unconsumedRequests() == 0) {
                if (!b.finalCheckForRequests()) return;
                continue;
            }
            Blkif.Request r;
            try {
                r = Blkif.readRequest(ring.page, b.slot(b.reqCons));
            } catch (GrantMappingFault e) {
                releaseRing();
                return;
            }
            b.reqCons++;
            journal.reqCons = b.reqCons;
            begin(r);
        }
    }

    private void begin(Blkif.Request r) {
        long key = journal.nextKey++;
        InFlight f = new InFlight(key, r);
        inFlight.put(key, f);
        journal.unanswered.put(key, r);
        seam.events().event(dom, COMP, "RING_REQ").with("devid", cfg.devid()).with("id", r.id())
                .with("op", Blkif.opName(r.operation())).with("sector", r.sectorNumber()).with("nr", r.nrSegments()).emit();
        int status = BlkifValidation.check(r, disk.sectors(), cfg.readOnly());
        if (status != Blkif.BLKIF_RSP_OKAY) {
            finish(f, status);
            return;
        }
        if (r.operation() == Blkif.BLKIF_OP_READ || r.operation() == Blkif.BLKIF_OP_WRITE) {
            boolean readonly = r.operation() == Blkif.BLKIF_OP_WRITE; // the backend only reads the guest's data
            for (int i = 0; i < r.segments().length; i++) {
                final int seg = i;
                mapGrant(r.segments()[i].gref(), readonly, g -> onSegMapped(key, seg, g));
            }
        } else {
            seam.deliverAfter(latency.next(seam.nowNanos()), getContext().getSelf(), new Complete(generation, key));
        }
    }

    private void onSegMapped(long key, int seg, Hypervisor.GrantMapped g) {
        InFlight f = inFlight.get(key);
        if (f == null) { // released meanwhile
            if (g.status() == GrantTableAbi.GNTST_okay) hv.tell(new HypervisorActor.UnmapGrantRef(0, g.handle(), null));
            return;
        }
        f.replies++;
        if (g.status() == GrantTableAbi.GNTST_okay) {
            f.maps[seg] = g.mapping();
            f.handles[seg] = g.handle();
            liveHandles.add(g.handle());
        } else {
            f.failed = true;
        }
        if (f.replies == f.maps.length) {
            if (f.failed) finish(f, Blkif.BLKIF_RSP_ERROR);
            else seam.deliverAfter(latency.next(seam.nowNanos()), getContext().getSelf(), new Complete(generation, f.key));
        }
    }

    /** The bounce buffer between the image and a granted page, reused by every segment. */
    private final byte[] segmentBuffer = new byte[xensim.abi.PageBytes.PAGE_SIZE];

    private Behavior<Command> onComplete(Complete c) {
        if (c.generation() != generation) return this; // a dead incarnation's timer
        InFlight f = inFlight.get(c.key());
        if (f == null) return this;
        Blkif.Request r = f.req;
        int status = Blkif.BLKIF_RSP_OKAY;
        try {
            switch (r.operation()) {
                case Blkif.BLKIF_OP_READ, Blkif.BLKIF_OP_WRITE -> {
                    long pos = r.sectorNumber() * DiskImage.SECTOR_SIZE;
                    for (int i = 0; i < r.segments().length; i++) {
                        Blkif.Segment s = r.segments()[i];
                        int off = s.firstSect() * DiskImage.SECTOR_SIZE;
                        int len = (s.lastSect() - s.firstSect() + 1) * DiskImage.SECTOR_SIZE;
                        byte[] buf = segmentBuffer; // len <= one page: blkif_request_segment counts sectors within a page
                        if (r.operation() == Blkif.BLKIF_OP_READ) {
                            disk.read(pos, buf, 0, len);
                            if (corruption == Corruption.DATA) {
                                for (int k = 0; k < len; k++) buf[k] ^= (byte) 0xA5;
                                corruption = null;
                                f.corrupted = true;
                            }
                            f.maps[i].putBytes(off, buf, 0, len); // the foreign write into the guest's page
                        } else {
                            f.maps[i].getBytes(off, buf, 0, len);
                            disk.write(pos, buf, 0, len);
                        }
                        pos += len;
                    }
                }
                case Blkif.BLKIF_OP_FLUSH_DISKCACHE -> disk.flush();
                case Blkif.BLKIF_OP_DISCARD -> disk.discard(r.sectorNumber(), r.discardSectors());
                default -> status = Blkif.BLKIF_RSP_EOPNOTSUPP;
            }
        } catch (GrantMappingFault | java.io.UncheckedIOException | IndexOutOfBoundsException e) {
            status = Blkif.BLKIF_RSP_ERROR;
        }
        finish(f, status);
        return this;
    }

    /**
     * As Linux blkback: the data grants are unmapped (a synchronous GNTTABOP_unmap_grant_ref)
     * before the response is published, so a frontend that sees the response can always end
     * its foreign access. Here the unmap is a hypercall answered by the hypervisor actor; the
     * response waits for the answers.
     */
    private void finish(InFlight f, int status) {
        List<Integer> handles = new ArrayList<>();
        for (int h : f.handles) if (h >= 0 && liveHandles.remove(h)) handles.add(h);
        if (handles.isEmpty()) {
            respond(f, status);
            return;
        }
        f.unmapsPending = handles.size();
        for (int h : handles) {
            hv.tell(new HypervisorActor.UnmapGrantRef(0, h, unmapAdapter));
            unmapWaiters.add(() -> {
                if (--f.unmapsPending == 0 && inFlight.get(f.key) == f) respond(f, status);
            });
        }
    }

    private void respond(InFlight f, int status) {
        inFlight.remove(f.key);
        journal.unanswered.remove(f.key);
        long id = f.req.id();
        String corrupted = f.corrupted ? "data" : null;
        if (corruption == Corruption.RESPONSE) {
            id = ~id; // an id no request of this ring has
            corruption = null;
            corrupted = "id";
        }
        var rsp = seam.events().event(dom, COMP, "RING_RSP").with("devid", cfg.devid()).with("id", f.req.id())
                .with("op", Blkif.opName(f.req.operation())).with("status", Blkif.statusName(status));
        if (corrupted != null) rsp.with("corrupted", corrupted);
        rsp.emit();
        if (ring != null && ring.back != null) {
            try {
                xensim.abi.SharedRing.BackRing b = ring.back;
                Blkif.writeResponse(ring.page, b.slot(b.rspProdPvt), new Blkif.Response(id, f.req.operation(), status));
                b.rspProdPvt++;
                if (b.pushResponsesAndCheckNotify()) hv.tell(new HypervisorActor.EvtchnSend(0, ring.localPort, null));
            } catch (GrantMappingFault e) {
                releaseRing();
            }
        }
        if (disconnecting && inFlight.isEmpty()) finishDisconnect();
        else consume();
    }

    private static Integer parseInt(String s) {
        if (s == null) return null;
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
