package xensim.dom0.blkback;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import xensim.abi.Blkif;
import xensim.abi.GrantTableAbi;
import xensim.abi.PageBytes;
import xensim.abi.SharedRing;
import xensim.abi.XenbusState;
import xensim.platform.EventLog;
import xensim.xen.GrantMapping;
import xensim.xen.GrantMappingFault;
import xensim.xen.Hypervisor;

/**
 * blkback's protocol for one vbd, without Akka: the xenbus state machine (Linux
 * drivers/block/xen-blkback/xenbus.c: {@code frontend_changed}, {@code connect_ring},
 * {@code xen_blkif_disconnect}), the ring consumer ({@code blkback.c}: {@code __do_block_io_op},
 * {@code dispatch_rw_block_io}, {@code make_response}) and the crash journal, which Linux does not
 * have: it models a backend process that dies and is restarted (as a userspace backend would be),
 * re-attaching the ring it was serving.
 *
 * <p>Everything the core does to the world goes through {@link Io}; every answer comes back
 * through a method here ({@link #onGrantMapped}, {@link #onBound}, {@link #onGrantUnmapped}, a
 * xenstore continuation or an {@link Io#after} timer). The core outlives the backend's
 * incarnations: {@link #crashed()} ends one, {@link #attach} begins the next.
 *
 * <p>Every continuation is tagged with what it belongs to, and a stale one stops:
 * <ul>
 *   <li>the <b>incarnation</b> — a hypercall answer, timer or EAGAIN retry of a dead incarnation
 *   only releases what it got (a mapping is unmapped, a port closed);</li>
 *   <li>the <b>connection generation</b> — bumped by every connect attempt and every
 *   disconnect, so a connect still in its chain of xenstore reads when the frontend closes never
 *   maps the ring afterwards.</li>
 * </ul>
 * Hypercall answers come back in issue order (the hypervisor serves one caller in order), so
 * the continuations wait in FIFO queues that survive incarnations: an answer owed to a dead
 * incarnation is taken by that incarnation's continuation, never by the next one's.
 *
 * <p>Not thread-safe: the owning actor calls it from one thread at a time.
 */
public final class BlkbackCore {

    /** What the core asks of the world; the actor implements it with messages. */
    public interface Io {
        /** XS_READ; {@code k} gets null if the node is missing or unreadable. */
        void xsRead(String path, Consumer<String> k);

        void xsWrite(String path, String value);

        /** XS_WATCH; {@code onFire} runs for every watch event. */
        void xsWatch(String path, String token, Runnable onFire);

        /** GNTTABOP_map_grant_ref as dom0; answered through {@link BlkbackCore#onGrantMapped}, in issue order. */
        void mapGrant(int dom, int gref, boolean readonly);

        /** GNTTABOP_unmap_grant_ref; when {@code answer}, answered through {@link BlkbackCore#onGrantUnmapped}. */
        void unmapGrant(int handle, boolean answer);

        /** EVTCHNOP_bind_interdomain; answered through {@link BlkbackCore#onBound}. */
        void bindInterdomain(int remoteDom, int remotePort);

        /** Upcalls on {@code localPort} reach {@link BlkbackCore#kick()}. */
        void bindUpcall(int localPort);

        void evtchnSend(int localPort);

        void evtchnClose(int localPort);

        /** Runs {@code r} on the core's thread after {@code nanos} of simulation time. */
        void after(long nanos, Runnable r);

        /** Closes this incarnation's xenstore connection (its continuations never run). */
        void closeXs();
    }

    /**
     * What survives a crash of the backend: which ring it was attached to, the ring's request
     * consumer index, and a copy of every request consumed but not yet answered. The ring itself
     * cannot tell: responses complete out of order and each one overwrites a request slot, so a
     * request still in flight may no longer be on the ring when its backend dies. The journal
     * belongs to one ring: every disconnect clears it.
     */
    static final class Journal {
        int reqCons;
        final LinkedHashMap<Long, Blkif.Request> unanswered = new LinkedHashMap<>();
        /** The grant ref of the ring the journal was kept for; -1 when not attached. */
        int ringRef = -1;

        boolean attachedTo(int gref) {
            return ringRef >= 0 && ringRef == gref;
        }

        void clear() {
            reqCons = 0;
            unanswered.clear();
            ringRef = -1;
        }
    }

    /** A request being served; it is also the continuation of its data grants' unmaps. */
    private final class InFlight implements Runnable {
        final long key;
        /** {@link #key} boxed once, for the maps keyed by it. */
        final Long boxedKey;
        final int incarnation;
        final Blkif.Request req;
        final GrantMapping[] maps;
        final int[] handles;
        int replies;
        int unmapsPending;
        boolean corrupted;
        boolean failed;
        /** Re-served from the journal by a restarted incarnation. */
        boolean redo;
        /** When the service of this request ends (virtual ns); -1 until it is in service. */
        long dueAt = -1;
        /** The status its response carries once the data grants are unmapped. */
        int status;

        InFlight(long key, int incarnation, Blkif.Request req) {
            this.key = key;
            this.boxedKey = key;
            this.incarnation = incarnation;
            this.req = req;
            this.maps = new GrantMapping[req.segments().length];
            this.handles = new int[req.segments().length];
            Arrays.fill(handles, -1);
        }

        /** One of its data grants' unmaps was answered: respond after the last (xen_blkbk_unmap, then make_response). */
        @Override
        public void run() {
            if (--unmapsPending == 0 && inFlight.get(boxedKey) == this) respond(this, status);
        }
    }

    /** The mapped shared ring and its event channel, for one connection generation. */
    private static final class Xring {
        final int gen;
        final int gref;
        SharedRing.BackRing back;
        int handle = -1;
        int localPort = -1;
        GrantMapping page;

        Xring(int gen, int gref) {
            this.gen = gen;
            this.gref = gref;
        }
    }

    private static final String COMP = "blkback";
    /** As Linux's gnttab_retry_eagain_gop: retry after 1, 2, 3, ... ms while the delay stays under 256 ms. */
    private static final int MAX_EAGAIN_DELAY_MS = 256;

    private final BlkbackConfig cfg;
    private final int dom;
    private final EventLog events;
    private final LongSupplier clock;
    private final LatencyModel latency;
    private final Journal journal = new Journal();
    private final ArrayDeque<Consumer<Hypervisor.GrantMapped>> mapWaiters = new ArrayDeque<>();
    private final ArrayDeque<Consumer<Hypervisor.EvtchnPort>> bindWaiters = new ArrayDeque<>();
    private final ArrayDeque<Runnable> unmapWaiters = new ArrayDeque<>();
    /** Planted defects the nemesis armed (none unless a backend-lost-writes or backend-respond-before-unmap fault fired). */
    private final BackendDefects defects = new BackendDefects();
    /**
     * Where {@link BackendDefect#RESPOND_BEFORE_UNMAP} draws how late each unmap lands: the backend's
     * own stream, used only by the defect (a run without it draws nothing from it).
     */
    private RandomGenerator defectRandom;
    /** Request keys, unique across incarnations. */
    private long nextKey;
    /** Which incarnation is alive (bumped by every crash). */
    private int incarnation;
    /** Bumped by every connect attempt and every disconnect. */
    private int connGen;

    // --- one incarnation's state (reset by crashed()) ------------------------------------------
    private Io io;
    private DiskImage disk;
    private XenbusState state = XenbusState.Unknown;
    /** The dead incarnation was Connected: a connect may resume the ring the journal names. */
    private boolean mayResume;
    private Xring ring;
    /** The ring's worker runs: requests are consumed (Linux: ring->xenblkd is running). */
    private boolean serving;
    private boolean connecting;
    private boolean disconnecting;
    private XenbusState afterDisconnect;
    private RingCorruption corruption;
    private final Map<Long, InFlight> inFlight = new LinkedHashMap<>();
    private final Set<Integer> liveHandles = new HashSet<>();
    /** A page of zeros, never written: what a hole reads as. */
    private static final byte[] ZEROS = new byte[PageBytes.PAGE_SIZE];
    /** The bounce buffer between the image and a granted page, reused by every segment. */
    private final byte[] segmentBuffer = new byte[PageBytes.PAGE_SIZE];
    /** blkback's private copy of a request slot (the memcpy of XSA-155) and of a response, reused. */
    private final byte[] requestSlot = new byte[Blkif.REQUEST_SIZE];
    private final byte[] responseSlot = new byte[Blkif.RESPONSE_SIZE];
    /** The plug of the consume running now (nested: a rejected request's response consumes again). */
    private int plugDepth;
    /** The current back-to-back run of READs under the plug: {@code [plugStart, plugEnd)}, how many requests. */
    private long plugStart;
    private long plugEnd;
    private int plugRequests;

    public BlkbackCore(BlkbackConfig cfg, EventLog events, LongSupplier clock, LatencyModel latency) {
        this.cfg = cfg;
        this.dom = cfg.frontendDom();
        this.events = events;
        this.clock = clock;
        this.latency = latency;
    }

    /** A new incarnation takes over: its world and its open image. Call {@link #start()} once xenstore is open. */
    public void attach(Io io, DiskImage disk) {
        this.io = io;
        this.disk = disk;
    }

    public XenbusState state() {
        return state;
    }

    public int inFlightCount() {
        return inFlight.size();
    }

    public int incarnation() {
        return incarnation;
    }

    /** True while a ring is mapped (or being mapped) for the current connection. */
    public boolean ringAttached() {
        return ring != null;
    }

    // --- xenbus (xenbus.c) ---------------------------------------------------------------------

    /**
     * xen_blkbk_probe (first incarnation: features, InitWait) or, for a restarted incarnation,
     * what the backend's own state node says; then the watch on the frontend's state
     * (frontend_changed).
     */
    public void start() {
        int inc = incarnation;
        io.xsRead(cfg.backendPath() + "/state", s -> {
            if (inc != incarnation) return;
            XenbusState recorded = XenbusState.parse(s);
            if (recorded == null || recorded == XenbusState.Initialising || recorded == XenbusState.Unknown) {
                io.xsWrite(cfg.backendPath() + "/feature-flush-cache", "1");
                io.xsWrite(cfg.backendPath() + "/feature-discard", "1");
                journal.clear();
                switchState(XenbusState.InitWait);
            } else {
                // a restarted incarnation: no ring yet; a Connected one may resume the ring it served
                mayResume = recorded == XenbusState.Connected;
                if (!mayResume) journal.clear();
                state = mayResume ? XenbusState.InitWait : recorded;
            }
            io.xsWatch(cfg.frontendPath() + "/state", "fe", () -> io.xsRead(cfg.frontendPath() + "/state", v -> {
                if (inc == incarnation) onFrontendState(v);
            }));
        });
    }

    /** frontend_changed: the frontend's state node changed to {@code value}; the profile decides. */
    public void onFrontendState(String value) {
        XenbusState fe = XenbusState.parse(value);
        switch (cfg.profile().onFrontendState(fe, state)) {
            case CONNECT -> connect();
            case DISCONNECT_THEN_CONNECT -> {
                if (blkifDisconnect()) fatal("pending I/O");
                else connect();
            }
            case SWITCH_CLOSING -> {
                if (ring == null) { // a restarted incarnation: the frontend gives up the ring it served
                    cancelConnect();
                    journal.clear();
                }
                switchState(XenbusState.Closing);
            }
            case DRAIN_THEN_CLOSING -> drainThenSwitch(XenbusState.Closing);
            case DRAIN_THEN_CLOSED -> drainThenSwitch(XenbusState.Closed);
            case DISCONNECT_THEN_CLOSED -> {
                if (!blkifDisconnect()) {
                    mayResume = false; // the frontend closed: nothing to resume
                    journal.clear();
                }
                switchState(XenbusState.Closed);
            }
            case INIT_WAIT -> switchState(XenbusState.InitWait);
            case FATAL -> fatal("saw state " + value + " at frontend");
            case NONE -> { }
        }
    }

    /** xenbus_dev_fatal: the error is reported and the backend switches to Closing. */
    private void fatal(String why) {
        events.event(dom, COMP, "BACKEND_ERROR").with("devid", cfg.devid()).with("detail", why).emit();
        switchState(XenbusState.Closing);
    }

    private void switchState(XenbusState to) {
        if (to == state) return;
        XenbusState from = state;
        state = to;
        events.event(dom, COMP, "XENBUS_STATE").with("path", cfg.backendPath() + "/state")
                .with("from", from.name()).with("to", to.name()).emit();
        io.xsWrite(cfg.backendPath() + "/state", Integer.toString(to.code()));
    }

    private boolean live(int inc, int gen) {
        return inc == incarnation && gen == connGen;
    }

    /** connect_ring: read ring-ref, event-channel and protocol, map the ring, bind the port. */
    private void connect() {
        if (connecting || ring != null) return;
        connecting = true;
        int inc = incarnation;
        int gen = ++connGen;
        String fe = cfg.frontendPath();
        io.xsRead(fe + "/ring-ref", ref -> {
            if (!live(inc, gen)) return;
            io.xsRead(fe + "/event-channel", port -> {
                if (!live(inc, gen)) return;
                io.xsRead(fe + "/protocol", proto -> {
                    if (!live(inc, gen)) return;
                    Integer gref = parseInt(ref);
                    Integer evt = parseInt(port);
                    if (gref == null || evt == null || (proto != null && !proto.isEmpty() && !proto.equals("x86_64-abi"))) {
                        connecting = false;
                        events.event(dom, COMP, "BACKEND_ERROR").with("devid", cfg.devid())
                                .with("detail", "bad ring-ref/event-channel/protocol: " + ref + "/" + port + "/" + proto).emit();
                        return;
                    }
                    Xring r = new Xring(gen, gref);
                    ring = r;
                    mapGrant(gref, false, g -> onRingMapped(inc, r, g));
                    bindWaiters.add(p -> onBound(inc, r, p));
                    io.bindInterdomain(dom, evt);
                });
            });
        });
    }

    private void onRingMapped(int inc, Xring r, Hypervisor.GrantMapped g) {
        if (!live(inc, r.gen) || ring != r) {
            if (g.ok()) io.unmapGrant(g.handle(), false); // a stale connect: it gets nothing
            return;
        }
        if (!g.ok()) {
            failConnect("ring map " + GrantTableAbi.gntstName(g.status()));
            return;
        }
        r.page = g.mapping();
        r.handle = g.handle();
        liveHandles.add(r.handle);
        // BACK_RING_ATTACH: a restarted backend resumes the ring its journal was kept for at the
        // shared rsp_prod and its journal's request consumer index, and re-serves what its
        // previous incarnation never answered; any other ring starts from zero
        boolean resume = mayResume && journal.attachedTo(r.gref);
        mayResume = false;
        int start = resume ? r.page.getIntAcquire(SharedRing.RSP_PROD) : 0;
        r.back = new SharedRing.BackRing(r.page, Blkif.ENTRY_SIZE, start);
        if (resume) {
            r.back.reqCons = journal.reqCons;
        } else {
            journal.clear();
        }
        journal.ringRef = r.gref;
        maybeConnected();
    }

    private void onBound(int inc, Xring r, Hypervisor.EvtchnPort p) {
        if (!live(inc, r.gen) || ring != r) {
            if (p.ok() && p.port() > 0) io.evtchnClose(p.port());
            return;
        }
        if (!p.ok()) {
            failConnect("bind_interdomain " + p.rc());
            return;
        }
        r.localPort = p.port();
        io.bindUpcall(r.localPort);
        maybeConnected();
    }

    private void failConnect(String why) {
        events.event(dom, COMP, "BACKEND_ERROR").with("devid", cfg.devid()).with("detail", why).emit();
        releaseRing();
        connecting = false;
    }

    /** connect(): the ring is mapped and the port bound: publish the disk, Connected, serve. */
    private void maybeConnected() {
        if (ring == null || ring.back == null || ring.localPort < 0) return;
        connecting = false;
        io.xsWrite(cfg.backendPath() + "/sectors", Long.toString(disk.sectors()));
        io.xsWrite(cfg.backendPath() + "/info", Integer.toString(cfg.readOnly() ? Blkif.VDISK_READONLY : 0));
        io.xsWrite(cfg.backendPath() + "/sector-size", "512");
        switchState(XenbusState.Connected);
        serving = true;
        List<Blkif.Request> redo = new ArrayList<>(journal.unanswered.values());
        journal.unanswered.clear();
        for (Blkif.Request r : redo) begin(r, true);
        consume();
    }

    /** Cancels any connect in progress and forgets what a restart might have resumed. */
    private void cancelConnect() {
        connGen++;
        connecting = false;
        mayResume = false;
    }

    /**
     * The drain profile's disconnect: stop taking requests, finish those in flight, unmap the ring
     * and close its port, then switch to {@code then}. Cancels any connect in progress.
     */
    private void drainThenSwitch(XenbusState then) {
        cancelConnect();
        if (ring == null) {
            journal.clear(); // the ring the journal was kept for is being abandoned
            switchState(then);
            return;
        }
        disconnecting = true;
        afterDisconnect = then;
        if (inFlight.isEmpty()) finishDisconnect();
    }

    /**
     * Linux's xen_blkif_disconnect: the ring's thread stops (nothing more is consumed); with I/O
     * in flight it returns -EBUSY and leaves the ring mapped and its port bound (in-flight
     * requests still complete into the granted pages and make_response still writes the ring);
     * otherwise it unmaps the ring and unbinds the port. Idempotent; with no ring it does nothing
     * but stop a connect in progress (a restarted incarnation keeps what it may resume).
     *
     * @return true for -EBUSY
     */
    private boolean blkifDisconnect() {
        connGen++;
        connecting = false;
        serving = false;
        if (ring == null) return false;
        mayResume = false;
        if (!inFlight.isEmpty()) {
            events.event(dom, COMP, "BACKEND_DISCONNECT_BUSY").with("devid", cfg.devid()).with("inFlight", inFlight.size())
                    .with("rc", "EBUSY").emit();
            return true;
        }
        releaseRing();
        journal.clear();
        return false;
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
            if (ring.localPort > 0) io.evtchnClose(ring.localPort);
        }
        ring = null;
        serving = false;
    }

    private void unmap(int handle) {
        if (liveHandles.remove(handle)) io.unmapGrant(handle, false);
    }

    // --- hypercall answers ----------------------------------------------------------------------

    /**
     * GNTTABOP_map_grant_ref, retried as Linux's gnttab_retry_eagain_gop when answered
     * GNTST_eagain (the page is paged out): after 1, 2, 3, ... ms until the delay would reach 256 ms.
     */
    private void mapGrant(int gref, boolean readonly, Consumer<Hypervisor.GrantMapped> k) {
        mapGrant(gref, readonly, k, 1);
    }

    private void mapGrant(int gref, boolean readonly, Consumer<Hypervisor.GrantMapped> k, int delayMs) {
        int inc = incarnation;
        mapWaiters.add(g -> {
            if (g.status() == GrantTableAbi.GNTST_eagain && delayMs < MAX_EAGAIN_DELAY_MS && inc == incarnation) {
                io.after(delayMs * 1_000_000L, () -> {
                    if (inc == incarnation) mapGrant(gref, readonly, k, delayMs + 1);
                });
            } else {
                k.accept(g);
            }
        });
        io.mapGrant(dom, gref, readonly);
    }

    public void onGrantMapped(Hypervisor.GrantMapped g) {
        Consumer<Hypervisor.GrantMapped> k = mapWaiters.poll();
        if (k != null) k.accept(g);
        else if (g.ok()) io.unmapGrant(g.handle(), false); // nobody asked
    }

    public void onBound(Hypervisor.EvtchnPort p) {
        Consumer<Hypervisor.EvtchnPort> k = bindWaiters.poll();
        if (k != null) k.accept(p);
        else if (p.ok() && p.port() > 0) io.evtchnClose(p.port());
    }

    public void onGrantUnmapped(Hypervisor.GrantUnmapped u) {
        Runnable k = unmapWaiters.poll();
        if (k != null) k.run();
    }

    // --- requests (blkback.c) -------------------------------------------------------------------

    /** An upcall on the ring's port (xen_blkif_be_int): consume what the frontend produced. */
    public void kick() {
        consume();
    }

    /**
     * __do_block_io_op: consume requests up to req_prod while the queue has room, under one plug
     * (blk_start_plug .. blk_finish_plug in dispatch_rw_block_io's caller): the READs consumed
     * back to back are merged into one read of the image ({@link DiskImage#plugRead}).
     */
    private void consume() {
        plugDepth++;
        try {
            consumeRequests();
        } finally {
            if (--plugDepth == 0) finishPlug();
        }
    }

    private void consumeRequests() {
        while (serving && ring != null && ring.back != null && !disconnecting && inFlight.size() < latency.queueDepth()) {
            SharedRing.BackRing b = ring.back;
            int prod = b.sharedReqProd();
            if (b.requestProdOverflow(prod)) { // a hostile frontend: blkback stops serving the ring
                events.event(dom, COMP, "BACKEND_ERROR").with("devid", cfg.devid())
                        .with("detail", "frontend provided bogus ring requests (" + Integer.toUnsignedString(prod - b.rspProdPvt) + ")").emit();
                if (cfg.profile() == BlkbackProfile.LINUX) {
                    // __do_block_io_op returns -EACCES: xen_blkif_schedule halts ring processing and
                    // waits for kthread_stop; the xenbus state does not change
                    serving = false;
                    return;
                }
                connGen++;
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
                r = Blkif.readRequest(ring.page, b.slot(b.reqCons), requestSlot);
            } catch (GrantMappingFault e) {
                releaseRing();
                return;
            }
            b.reqCons++;
            journal.reqCons = b.reqCons;
            begin(r, false);
        }
    }

    /** A READ of {@code [pos, pos + len)} was consumed under the plug: it extends the back-to-back run or starts the next. */
    private void plugRead(long pos, long len) {
        if (plugDepth == 0) return;
        if (plugRequests > 0 && pos == plugEnd && plugEnd - plugStart + len <= DiskImage.MAX_MERGE) {
            plugEnd += len;
            plugRequests++;
            return;
        }
        finishPlug();
        plugStart = pos;
        plugEnd = pos + len;
        plugRequests = 1;
    }

    /** blk_finish_plug: a run of two or more READs becomes one read of the image. */
    private void finishPlug() {
        if (plugRequests >= 2 && disk != null) disk.plugRead(plugStart, plugEnd - plugStart);
        plugRequests = 0;
    }

    /** dispatch_rw_block_io / dispatch_other_io: validate, map the data grants, then service. */
    private void begin(Blkif.Request r, boolean redo) {
        long key = nextKey++;
        InFlight f = new InFlight(key, incarnation, r);
        f.redo = redo;
        inFlight.put(f.boxedKey, f);
        journal.unanswered.put(f.boxedKey, r);
        events.event(dom, COMP, "RING_REQ").with("devid", cfg.devid()).with("id", r.id())
                .with("op", Blkif.opName(r.operation())).with("sector", r.sectorNumber()).with("nr", r.nrSegments()).emit();
        int status = BlkifValidation.check(r, disk.sectors(), cfg.readOnly());
        if (status != Blkif.BLKIF_RSP_OKAY) {
            finish(f, status);
            return;
        }
        if (r.operation() == Blkif.BLKIF_OP_READ || r.operation() == Blkif.BLKIF_OP_WRITE) {
            if (r.operation() == Blkif.BLKIF_OP_READ) {
                long len = 0;
                for (Blkif.Segment s : r.segments()) len += (s.lastSect() - s.firstSect() + 1) * DiskImage.SECTOR_SIZE;
                plugRead(r.sectorNumber() * DiskImage.SECTOR_SIZE, len);
            }
            boolean readonly = r.operation() == Blkif.BLKIF_OP_WRITE; // the backend only reads the guest's data
            for (int i = 0; i < r.segments().length; i++) {
                final int seg = i;
                mapGrant(r.segments()[i].gref(), readonly, g -> onSegMapped(f, seg, g));
            }
        } else {
            startService(f);
        }
    }

    private void onSegMapped(InFlight mapped, int seg, Hypervisor.GrantMapped g) {
        InFlight f = inFlight.get(mapped.boxedKey);
        if (f == null) { // released meanwhile (a disconnect or a crash)
            if (g.ok()) io.unmapGrant(g.handle(), false);
            return;
        }
        f.replies++;
        if (g.ok()) {
            f.maps[seg] = g.mapping();
            f.handles[seg] = g.handle();
            liveHandles.add(g.handle());
        } else {
            f.failed = true;
        }
        if (f.replies == f.maps.length) {
            if (f.failed) finish(f, Blkif.BLKIF_RSP_ERROR);
            else startService(f);
        }
    }

    /** The request goes to the disk: it completes after the latency model's service time. */
    private void startService(InFlight f) {
        long now = clock.getAsLong();
        f.dueAt = saturatedAdd(now, latency.next(now));
        armCompletion(f, now);
    }

    private void armCompletion(InFlight f, long now) {
        io.after(Math.max(0, f.dueAt - now), () -> onDue(f));
    }

    private void onDue(InFlight due) {
        if (due.incarnation != incarnation) return; // a dead incarnation's timer
        InFlight f = inFlight.get(due.boxedKey);
        if (f == null) return;
        long now = clock.getAsLong();
        if (f.dueAt > now) { // a stall or slow-down moved its end
            armCompletion(f, now);
            return;
        }
        complete(f);
    }

    /** nemesis backend-stall: nothing completes for {@code nanos}, including what is in service now. */
    public void stall(long nanos) {
        long now = clock.getAsLong();
        long end = saturatedAdd(now, Math.max(0, nanos));
        long shift = end - Math.max(now, latency.stalledUntil());
        latency.stallUntil(end);
        if (shift <= 0) return;
        for (InFlight f : inFlight.values()) if (f.dueAt >= 0) f.dueAt = saturatedAdd(f.dueAt, shift);
    }

    /** nemesis backend-slow: service takes {@code factor} times as long, for what is in service too. */
    public void slowDown(double factor) {
        double before = latency.slowFactor();
        latency.slowDown(factor);
        long now = clock.getAsLong();
        for (InFlight f : inFlight.values()) {
            if (f.dueAt > now) f.dueAt = saturatedAdd(now, LatencyModel.scale(f.dueAt - now, factor / before));
        }
    }

    /** nemesis backend-lost-writes / backend-respond-before-unmap: arms a planted defect for {@code count} requests. */
    public void plant(BackendDefect d, int count) {
        defects.arm(d, count);
    }

    /**
     * The stream {@link BackendDefect#RESPOND_BEFORE_UNMAP} draws its delays from (the actor gives the
     * seam's {@code blkback/<dom>/<devid>/defects}); without one, every late unmap takes the
     * midpoint of the range.
     */
    public void defectRandom(RandomGenerator random) {
        this.defectRandom = random;
    }

    /** nemesis ring-corrupt. */
    public void corrupt(RingCorruption what) {
        if (what == RingCorruption.REQUEST) {
            if (ring != null && ring.back != null) {
                try {
                    ring.page.putIntRelease(SharedRing.REQ_PROD, ring.back.reqCons + 2 * ring.back.size() + 1);
                } catch (GrantMappingFault e) {
                    return;
                }
                consume();
            }
        } else {
            corruption = what;
        }
    }

    private void complete(InFlight f) {
        Blkif.Request r = f.req;
        int status = Blkif.BLKIF_RSP_OKAY;
        try {
            switch (r.operation()) {
                case Blkif.BLKIF_OP_READ, Blkif.BLKIF_OP_WRITE -> {
                    long pos = r.sectorNumber() * DiskImage.SECTOR_SIZE;
                    // planted: a re-served WRITE acknowledged and never written
                    boolean lost = r.operation() == Blkif.BLKIF_OP_WRITE && f.redo && defects.take(BackendDefect.LOST_WRITES);
                    for (int i = 0; i < r.segments().length; i++) {
                        Blkif.Segment s = r.segments()[i];
                        int off = s.firstSect() * DiskImage.SECTOR_SIZE;
                        int len = (s.lastSect() - s.firstSect() + 1) * DiskImage.SECTOR_SIZE;
                        byte[] buf = segmentBuffer; // len <= one page: blkif_request_segment counts sectors within a page
                        if (r.operation() == Blkif.BLKIF_OP_READ && corruption != RingCorruption.DATA && disk.isHole(pos, len)) {
                            f.maps[i].putBytes(off, ZEROS, 0, len); // what the read would have copied, without filling the bounce buffer first
                        } else if (r.operation() == Blkif.BLKIF_OP_READ) {
                            disk.read(pos, buf, 0, len);
                            if (corruption == RingCorruption.DATA) {
                                for (int k = 0; k < len; k++) buf[k] ^= (byte) 0xA5;
                                corruption = null;
                                f.corrupted = true;
                            }
                            f.maps[i].putBytes(off, buf, 0, len); // the foreign write into the guest's page
                        } else if (!lost) {
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
    }

    /**
     * As Linux blkback (xen_blkbk_unmap before make_response): the data grants are unmapped
     * before the response is published, so a frontend that sees the response can always end its
     * foreign access. The unmap is a hypercall; the response waits for its answers.
     */
    private void finish(InFlight f, int status) {
        if (hasLiveHandle(f) && defects.take(BackendDefect.RESPOND_BEFORE_UNMAP)) {
            respondThenUnmap(f, status);
            return;
        }
        int n = 0;
        for (int i = 0; i < f.handles.length; i++) {
            int h = f.handles[i];
            if (h >= 0 && liveHandles.remove(h)) n++;
            else f.handles[i] = -1; // not ours to unmap (any more)
        }
        if (n == 0) {
            respond(f, status);
            return;
        }
        f.status = status;
        f.unmapsPending = n;
        for (int h : f.handles) {
            if (h < 0) continue;
            unmapWaiters.add(f);
            io.unmapGrant(h, true);
        }
    }

    private boolean hasLiveHandle(InFlight f) {
        for (int h : f.handles) if (h >= 0 && liveHandles.contains(h)) return true;
        return false;
    }

    /**
     * planted {@link BackendDefect#RESPOND_BEFORE_UNMAP}: make_response (push, notify) first; the
     * data grants stay mapped until a separate step {@link #lateUnmapNanos()} later unmaps them
     * (GNTTABOP_unmap_grant_ref, unanswered: nothing waits for it any more). A crash or a device
     * removal meanwhile releases them as it releases every live mapping; the step then finds nothing.
     */
    private void respondThenUnmap(InFlight f, int status) {
        int[] handles = f.handles.clone();
        long late = lateUnmapNanos();
        int inc = incarnation;
        respond(f, status, late);
        io.after(late, () -> {
            if (inc != incarnation) return; // the crash released them
            for (int h : handles) if (h >= 0) unmap(h);
        });
    }

    /** Uniform in [{@link BackendDefect#UNMAP_LATE_MIN_NANOS}, {@link BackendDefect#UNMAP_LATE_MAX_NANOS}]. */
    private long lateUnmapNanos() {
        long lo = BackendDefect.UNMAP_LATE_MIN_NANOS;
        long hi = BackendDefect.UNMAP_LATE_MAX_NANOS;
        return defectRandom == null ? (lo + hi) / 2 : defectRandom.nextLong(lo, hi + 1);
    }

    /** make_response: write the response into the ring, push, notify if asked. */
    private void respond(InFlight f, int status) {
        respond(f, status, -1);
    }

    /** make_response; {@code unmapAfter} >= 0: the planted defect, the data grants are unmapped that long after. */
    private void respond(InFlight f, int status, long unmapAfter) {
        inFlight.remove(f.boxedKey);
        journal.unanswered.remove(f.boxedKey);
        long id = f.req.id();
        String corrupted = f.corrupted ? "data" : null;
        if (corruption == RingCorruption.RESPONSE) {
            id = ~id; // an id no request of this ring has
            corruption = null;
            corrupted = "id";
        }
        var rsp = events.event(dom, COMP, "RING_RSP").with("devid", cfg.devid()).with("id", f.req.id())
                .with("op", Blkif.opName(f.req.operation())).with("status", Blkif.statusName(status));
        if (corrupted != null) rsp.with("corrupted", corrupted);
        if (unmapAfter >= 0) rsp.with("unmapAfter", unmapAfter);
        rsp.emit();
        if (ring != null && ring.back != null) {
            try {
                SharedRing.BackRing b = ring.back;
                Blkif.writeResponse(ring.page, b.slot(b.rspProdPvt), id, f.req.operation(), status, responseSlot);
                b.rspProdPvt++;
                if (b.pushResponsesAndCheckNotify()) io.evtchnSend(ring.localPort);
            } catch (GrantMappingFault e) {
                releaseRing();
            }
        }
        if (disconnecting && inFlight.isEmpty()) finishDisconnect();
        else consume();
    }

    // --- end of an incarnation --------------------------------------------------------------------

    /**
     * The backend process died: its grant mappings and ports go with it, its xenstore connection
     * closes, its timers and owed answers become stale. The journal, the request keys and the
     * latency model stay; the next incarnation {@link #attach}es.
     */
    public void crashed() {
        releaseEverything();
        incarnation++;
        connGen++;
        state = XenbusState.Unknown;
        serving = false;
        mayResume = false;
        connecting = false;
        disconnecting = false;
        afterDisconnect = null;
        corruption = null;
    }

    /** The device is removed (or the actor stops): release every mapping, port and the image. */
    public void releaseEverything() {
        if (io == null) return;
        for (InFlight f : inFlight.values()) for (int h : f.handles) if (h >= 0) unmap(h);
        inFlight.clear();
        releaseRing();
        for (int h : new ArrayList<>(liveHandles)) unmap(h);
        io.closeXs();
        if (disk != null) {
            try {
                disk.close();
            } catch (IOException ignored) {
                // closing a file we only read and wrote
            }
            disk = null;
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
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
