package xensim.os;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import xensim.abi.Blkif;
import xensim.abi.HvmParams;
import xensim.abi.PageBytes;
import xensim.abi.SharedRing;
import xensim.abi.XenbusState;
import xensim.firmware.GuestMsg;
import xensim.firmware.Handoff;
import xensim.firmware.uefi.Cpu;
import xensim.firmware.uefi.EfiMemoryType;
import xensim.firmware.uefi.MemoryMap;
import xensim.firmware.xenbus.EventChannel;
import xensim.firmware.xenbus.Hypercalls;
import xensim.platform.EventLog;
import xensim.platform.Seam;
import xensim.xen.GrantTableGuest;
import xensim.xen.GuestMemory;

/**
 * The OS that takes over at ExitBootServices, modelled on Linux: it takes the memory map,
 * reclaims boot-services memory (PAGE_RECLAIMED) and poisons what it does not use yet, maps its
 * own grant frames, reconnects to xenstore (coping with what the firmware left), re-probes
 * {@code device/vbd/*} with xenbus_reset_state for devices left Connected or Closed, runs the
 * blkfront handshake, does verified I/O against a shadow copy (the firmware's acknowledged
 * writes included) and at the end of each disk's workload reads back every acknowledged sector
 * (OS_WORKLOAD_END), defers ending access to a still-mapped grant, then shuts down cleanly.
 */
public final class GuestOs {
    public static final String COMP = "os";
    public static final byte POISON = (byte) 0xA5;
    public static final long WAIT_POLL_NANOS = 100_000;
    public static final long STATE_TIMEOUT_NANOS = 5_000_000_000L;
    /**
     * The OS hands out grant refs from here, as Linux's grant-table driver does (drivers/xen/grant-table.c:
     * the free list starts after GNTTAB_NR_RESERVED_ENTRIES): blkfront's first grants reuse — overwrite —
     * the entries the firmware left at 8 and up; the ones it does not reach stay as the firmware left them.
     */
    public static final int FIRST_OS_REF = 8;
    /** The token of the OS's control/shutdown watch (Linux: its struct xenbus_watch shutdown_watch). */
    public static final String SHUTDOWN_WATCH_TOKEN = "shutdown_watch";
    /** The random part of the workload needs a disk of at least this many sectors (2 MiB). */
    public static final long MIN_WORKLOAD_SECTORS = 4096;

    private GuestOs() {}

    public static Behavior<GuestMsg> create(Seam seam, Handoff h, OsConfig cfg, ActorRef<OsDone> done) {
        Os os = new Os(seam, h, cfg, done);
        os.start();
        return Behaviors.receive(GuestMsg.class)
                .onMessage(GuestMsg.Upcall.class, m -> {
                    os.evtchn.onUpcall(m.port());
                    os.cpu.poll();
                    return Behaviors.same();
                })
                .onMessage(GuestMsg.Alarm.class, m -> {
                    os.cpu.onAlarm(m.token());
                    return Behaviors.same();
                })
                .onMessage(GuestMsg.HvReply.class, m -> {
                    os.hc.onReply(m.reply());
                    return Behaviors.same();
                })
                .onMessage(GuestMsg.TimerTick.class, m -> Behaviors.same()) // firmware timers are gone
                .onAnyMessage(m -> Behaviors.same())
                .build();
    }

    private static final class Os {
        final Seam seam;
        final Handoff h;
        final OsConfig cfg;
        final ActorRef<OsDone> done;
        final int dom;
        final GuestMemory mem;
        final Cpu cpu;
        final Hypercalls hc;
        final EventChannel evtchn;
        final EventLog log;
        final RandomGenerator random;
        final ArrayDeque<Long> freePages = new ArrayDeque<>();
        final List<Long> poisoned = new ArrayList<>();
        final List<Integer> deferredRefs = new ArrayList<>();
        final Map<Integer, Map<Long, byte[]>> shadow = new HashMap<>();
        GrantTableGuest gnt;
        int nextRef = FIRST_OS_REF;
        OsXenStore xs;
        String xsMethod = "none";
        int devices;
        int connected;
        long ios;
        long verifyFailures;
        int deferred;
        final long handoffAt;

        Os(Seam seam, Handoff h, OsConfig cfg, ActorRef<OsDone> done) {
            this.seam = seam;
            this.h = h;
            this.cfg = cfg;
            this.done = done;
            this.dom = h.domid();
            this.mem = h.memory();
            this.cpu = h.cpu();
            this.hc = h.hypercalls();
            this.evtchn = new EventChannel(hc);
            this.log = seam.events();
            this.random = seam.random("os/" + dom);
            this.handoffAt = seam.nowNanos();
            h.ackedWrites().forEach((dev, m) -> shadow.computeIfAbsent(dev, k -> new HashMap<>()).putAll(m));
        }

        void event(String ev, Object... kv) {
            var b = log.event(dom, COMP, ev);
            for (int i = 0; i + 1 < kv.length; i += 2) b.with((String) kv[i], kv[i + 1]);
            b.emit();
        }

        void start() {
            event("OS_HANDOFF", "memoryMapEntries", h.memoryMap().size(), "strategy", h.strategy(), "ioOps", cfg.ioOps());
            reclaim();
            cpu.run(this::setupGrantTable);
        }

        /** Takes every reclaimable range; boot-services pages get the poison until used. */
        void reclaim() {
            List<Long> conventional = new ArrayList<>();
            for (MemoryMap.Descriptor d : h.memoryMap()) {
                if (!d.type().reclaimableByOs()) continue;
                event("PAGE_RECLAIMED", "gfn", d.gfn(), "count", d.count(), "type", d.type().name());
                mem.setType(d.gfn(), d.count(), "OsData");
                for (long g = d.gfn(); g < d.end(); g++) {
                    if (g < 0x10) continue;
                    if (d.type() == EfiMemoryType.EfiConventionalMemory) {
                        conventional.add(g);
                    } else {
                        mem.page(g).fill(0, PageBytes.PAGE_SIZE, POISON);
                        poisoned.add(g);
                        freePages.add(g);
                    }
                }
            }
            // the OS uses boot-services pages first (they are warm), then the rest, top-down
            for (int i = conventional.size() - 1; i >= 0; i--) freePages.add(conventional.get(i));
        }

        long takePage() {
            Long g = freePages.poll();
            if (g == null) throw new IllegalStateException("dom" + dom + ": OS out of memory");
            poisoned.remove(g);
            mem.page(g).fill(0, PageBytes.PAGE_SIZE, (byte) 0);
            return g;
        }

        void setupGrantTable() {
            gnt = new GrantTableGuest(mem, log, COMP);
            long base = mem.ramPages() + 64;
            mapFrame(0, base, () -> hc.hvmGetParam(HvmParams.HVM_PARAM_STORE_EVTCHN, port ->
                hc.hvmGetParam(HvmParams.HVM_PARAM_STORE_PFN, pfn -> hc.bindUpcall((int) port.value(), r -> {
                    xs = new OsXenStore(dom, log, cpu, evtchn, mem.page(pfn.value()), (int) port.value());
                    xs.connect(STATE_TIMEOUT_NANOS, method -> {
                        xsMethod = method;
                        event("OS_XS_CONNECTED", "method", method);
                        probe();
                    });
                }))));
        }

        void mapFrame(int i, long base, Runnable then) {
            if (i == 4) {
                then.run();
                return;
            }
            hc.addToPhysmap(HvmParams.XENMAPSPACE_grant_table, i, base + i, r -> {
                if (r.rc() == 0) gnt.setFrameGfn(i, base + i);
                mapFrame(i + 1, base, then);
            });
        }

        int grant(long gfn, boolean readonly) {
            int ref = nextRef++;
            gnt.grantAccess(ref, 0, gfn, readonly);
            return ref;
        }

        /** gnttab_end_foreign_access: if still mapped, deferred and retried (Linux's deferred list). */
        void endAccess(int ref) {
            retryDeferred();
            if (gnt.endAccess(ref)) return;
            deferred++;
            deferredRefs.add(ref);
            event("OS_GRANT_DEFERRED", "ref", ref);
        }

        /** Retries every deferred end-access (Linux retries them from a timer; we at each grant operation). */
        void retryDeferred() {
            deferredRefs.removeIf(r -> gnt.endAccess(r));
        }

        String home() {
            return "/local/domain/" + dom;
        }

        void probe() {
            xs.directory(home() + "/device/vbd", (ids, err) -> {
                devices = ids.size();
                probeEach(ids, 0);
            });
        }

        void probeEach(List<String> ids, int i) {
            if (i == ids.size()) {
                finish();
                return;
            }
            int devid = Integer.parseInt(ids.get(i));
            new Blkfront(this, devid).probe(() -> cpu.run(() -> probeEach(ids, i + 1)));
        }

        /**
         * The workload is over: the OS idles as a Linux guest does, with the watch on its
         * control/shutdown node that drivers/xen/manage.c (setup_shutdown_watcher) keeps all its
         * life, then reports done. Linux registers the watch at boot; the model does it here so
         * the workload's timing — and every seed's run up to OS_DONE — is what it was without it.
         * The model does not act on a shutdown request (the watch is what a held host's tools see).
         */
        void finish() {
            xs.watch("control/shutdown", SHUTDOWN_WATCH_TOKEN, err -> reportDone());
        }

        void reportDone() {
            retryDeferred();
            if (!deferredRefs.isEmpty()) event("OS_GRANT_STILL_DEFERRED", "refs", deferredRefs.toString());
            int corrupted = 0;
            byte[] page = new byte[PageBytes.PAGE_SIZE];
            byte[] poison = new byte[PageBytes.PAGE_SIZE];
            Arrays.fill(poison, POISON);
            for (long g : poisoned) {
                mem.page(g).getBytes(0, page, 0, page.length);
                if (!Arrays.equals(page, poison)) {
                    corrupted++;
                    event("OS_POISON_CORRUPT", "gfn", g);
                }
            }
            event("OS_DONE", "devices", devices, "connected", connected, "ios", ios, "verifyFailures", verifyFailures,
                    "xenstore", xsMethod, "deferredGrants", deferred, "poisonCorrupted", corrupted);
            if (done != null) {
                done.tell(new OsDone(dom, devices, connected, ios, verifyFailures, xsMethod, handoffAt, seam.nowNanos(), deferred, corrupted));
            }
        }
    }

    /** Linux blkfront for one vbd (with xenbus_reset_state in front of it). */
    private static final class Blkfront {
        final Os os;
        final int devid;
        final String fe;
        String be;
        SharedRing.FrontRing ring;
        int ringRef = -1;
        int port = -1;
        long sectors;

        Blkfront(Os os, int devid) {
            this.os = os;
            this.devid = devid;
            this.fe = os.home() + "/device/vbd/" + devid;
        }

        void setState(XenbusState from, XenbusState to, Runnable then) {
            os.xs.write(fe + "/state", Integer.toString(to.code()), err -> {
                os.event("XENBUS_STATE", "path", fe + "/state", "from", from == null ? "Unknown" : from.name(), "to", to.name());
                then.run();
            });
        }

        /** Polls the backend's state until {@code test} holds or the timeout passes. */
        void waitBackend(java.util.function.Predicate<XenbusState> test, long deadline, Consumer<XenbusState> k) {
            os.xs.read(be + "/state", (v, err) -> {
                XenbusState st = XenbusState.parse(v);
                if (st != null && test.test(st) || os.seam.nowNanos() >= deadline) {
                    k.accept(st);
                } else {
                    os.cpu.stall(WAIT_POLL_NANOS, () -> waitBackend(test, deadline, k));
                }
            });
        }

        long deadline() {
            return os.seam.nowNanos() + STATE_TIMEOUT_NANOS;
        }

        void probe(Runnable then) {
            os.xs.read(fe + "/backend", (b, e1) -> {
                if (b == null) {
                    then.run();
                    return;
                }
                be = b;
                os.xs.read(fe + "/state", (fv, e2) -> os.xs.read(be + "/state", (bv, e3) -> {
                    XenbusState feState = XenbusState.parse(fv);
                    XenbusState beState = XenbusState.parse(bv);
                    os.event("OS_DEVICE_PROBE", "devid", devid, "frontend", String.valueOf(feState), "backend", String.valueOf(beState));
                    if (os.cfg.resetState() && (feState == XenbusState.Connected || feState == XenbusState.Closed)) {
                        resetFrontend(feState, beState, () -> handshake(then));
                    } else {
                        handshake(then);
                    }
                }));
            });
        }

        /** xenbus_reset_frontend: Closing → Closed → Initialising, waiting for the backend each time. */
        void resetFrontend(XenbusState feState, XenbusState beState, Runnable then) {
            os.event("OS_XENBUS_RESET_STATE", "devid", devid, "backend", String.valueOf(beState));
            Runnable toInitialising = () -> setState(XenbusState.Closed, XenbusState.Initialising, () ->
                    waitBackend(s -> s == XenbusState.InitWait, deadline(), s -> then.run()));
            Runnable toClosed = () -> setState(XenbusState.Closing, XenbusState.Closed, () ->
                    waitBackend(s -> s == XenbusState.Closed, deadline(), s -> toInitialising.run()));
            if (beState == XenbusState.Connected) {
                setState(feState, XenbusState.Closing, () -> waitBackend(s -> s.code() >= XenbusState.Closing.code(), deadline(), s -> toClosed.run()));
            } else if (beState == XenbusState.Closing) {
                toClosed.run();
            } else if (beState == XenbusState.Closed) {
                toInitialising.run();
            } else {
                then.run();
            }
        }

        void handshake(Runnable then) {
            long ringGfn = os.takePage();
            PageBytes page = os.mem.page(ringGfn);
            SharedRing.init(page);
            ring = new SharedRing.FrontRing(page, Blkif.ENTRY_SIZE);
            ringRef = os.grant(ringGfn, false);
            os.evtchn.allocate(0, p -> {
                port = p;
                os.xs.write(fe + "/ring-ref", Integer.toString(ringRef), e1 -> os.xs.write(fe + "/event-channel", Integer.toString(port), e2 ->
                    os.xs.write(fe + "/protocol", "x86_64-abi", e3 -> setState(null, XenbusState.Initialised, () ->
                        waitBackend(s -> s == XenbusState.Connected, deadline(), st -> {
                            if (st != XenbusState.Connected) {
                                os.event("OS_DEVICE_FAILED", "devid", devid, "backend", String.valueOf(st));
                                then.run();
                                return;
                            }
                            os.xs.read(be + "/sectors", (sv, e4) -> {
                                sectors = sv == null ? 0 : Long.parseLong(sv.trim());
                                setState(XenbusState.Initialised, XenbusState.Connected, () -> {
                                    os.connected++;
                                    os.event("OS_DEVICE_CONNECTED", "devid", devid, "sectors", sectors);
                                    workload(() -> shutdown(then));
                                });
                            });
                        })))));
            });
        }

        // --- verified I/O ------------------------------------------------------------------------

        /** The sectors the shadow holds, in the order they became known (a random pick needs an index). */
        List<Long> known = new ArrayList<>();
        /** Workload I/Os answered BLKIF_RSP_OKAY (of the {@code ioOps} asked), and requests answered otherwise. */
        long done;
        long errors;
        /** The read-back: its requests, the sectors it covered, and those it could not verify (error answers). */
        long readBackRequests;
        long readBackSectors;
        long unverified;

        /**
         * Reads back the firmware's acknowledged writes, then {@code ioOps} random reads and writes,
         * then reads back every sector acknowledged so far, then OS_WORKLOAD_END.
         */
        void workload(Runnable then) {
            Map<Long, byte[]> shadow = os.shadow.computeIfAbsent(devid, k -> new HashMap<>());
            List<Long> checks = new ArrayList<>(shadow.keySet());
            java.util.Collections.sort(checks);
            known = new ArrayList<>(checks);
            op(0, checks, shadow, () -> readBack(shadow, () -> {
                os.event("OS_WORKLOAD_END", "devid", devid, "ios", done, "errors", errors, "readBack", readBackRequests,
                        "readBackSectors", readBackSectors, "unverified", unverified);
                then.run();
            }));
        }

        void op(int i, List<Long> checks, Map<Long, byte[]> shadow, Runnable then) {
            // a disk too small for the random part gets none (OS_WORKLOAD_END then says so: ios 0)
            int total = checks.size() + (sectors < MIN_WORKLOAD_SECTORS ? 0 : os.cfg.ioOps());
            if (i >= total) {
                then.run();
                return;
            }
            Runnable next = () -> os.cpu.run(() -> op(i + 1, checks, shadow, then));
            if (i < checks.size()) {
                read(checks.get(i), 1, shadow, false, st -> {
                    if (st != Blkif.BLKIF_RSP_OKAY) errors++;
                    next.run();
                });
                return;
            }
            boolean write = shadow.isEmpty() || os.random.nextInt(100) < 50;
            long lba;
            if (!write && !known.isEmpty() && os.random.nextInt(100) < 70) {
                lba = known.get(os.random.nextInt(known.size()));
            } else {
                lba = 2048 + os.random.nextLong(sectors - 2048 - 16);
            }
            int count = 1 + os.random.nextInt(8);
            if (write) {
                byte[] data = new byte[count * 512];
                os.random.nextBytes(data);
                io(Blkif.BLKIF_OP_WRITE, lba, count, data, (st, x) -> {
                    if (st == Blkif.BLKIF_RSP_OKAY) {
                        done++;
                        for (int s = 0; s < count; s++) {
                            if (shadow.put(lba + s, Arrays.copyOfRange(data, s * 512, (s + 1) * 512)) == null) known.add(lba + s);
                        }
                    } else {
                        // a failed write leaves its sectors undefined: nothing acknowledged to verify there any more
                        errors++;
                        for (int s = 0; s < count; s++) shadow.remove(lba + s);
                    }
                    next.run();
                });
            } else {
                read(lba, count, shadow, false, st -> {
                    if (st == Blkif.BLKIF_RSP_OKAY) done++;
                    else errors++;
                    next.run();
                });
            }
        }

        /**
         * Reads back every sector the shadow holds — each acknowledged write, the firmware's and
         * across backend restarts included — once, in windows of up to 8 sectors from the first
         * unread one (one page, one request; sectors in between that hold no acknowledged write are
         * read and not judged), so a lost acknowledged write is always seen, not only when sampled.
         */
        void readBack(Map<Long, byte[]> shadow, Runnable then) {
            List<Long> all = new ArrayList<>(shadow.keySet());
            java.util.Collections.sort(all);
            List<long[]> runs = new ArrayList<>(); // {first sector, count}
            for (long s : all) {
                long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
                if (last != null && s < last[0] + 8) last[1] = s - last[0] + 1; // same page-sized window: one request
                else runs.add(new long[] {s, 1});
            }
            readBackSectors = all.size();
            readBackRun(runs, 0, shadow, then);
        }

        void readBackRun(List<long[]> runs, int i, Map<Long, byte[]> shadow, Runnable then) {
            if (i == runs.size()) {
                then.run();
                return;
            }
            long[] run = runs.get(i);
            readBackRequests++;
            read(run[0], (int) run[1], shadow, true, st -> {
                if (st != Blkif.BLKIF_RSP_OKAY) {
                    errors++;
                    unverified += run[1];
                }
                os.cpu.run(() -> readBackRun(runs, i + 1, shadow, then));
            });
        }

        void read(long lba, int count, Map<Long, byte[]> shadow, boolean readBack, java.util.function.IntConsumer k) {
            io(Blkif.BLKIF_OP_READ, lba, count, null, (st, data) -> {
                int status = st;
                if (st == Blkif.BLKIF_RSP_OKAY && data != null) {
                    boolean checked = false;
                    boolean ok = true;
                    for (int s = 0; s < count; s++) {
                        byte[] want = shadow.get(lba + s);
                        if (want == null) continue;
                        checked = true;
                        if (!Arrays.equals(want, Arrays.copyOfRange(data, s * 512, (s + 1) * 512))) ok = false;
                    }
                    if (checked) {
                        if (!ok) os.verifyFailures++;
                        if (readBack) os.event("IO_VERIFY", "devid", devid, "sector", lba, "count", count, "ok", ok, "readBack", true);
                        else os.event("IO_VERIFY", "devid", devid, "sector", lba, "count", count, "ok", ok);
                    }
                } else if (st == Blkif.BLKIF_RSP_OKAY) {
                    status = Blkif.BLKIF_RSP_ERROR; // no data: nothing was read
                }
                k.accept(status);
            });
        }

        /** One request of up to 8 sectors in one OS page; waits for its response. */
        void io(int op, long lba, int count, byte[] data, java.util.function.BiConsumer<Integer, byte[]> k) {
            long gfn = os.takePage();
            PageBytes page = os.mem.page(gfn);
            boolean write = op == Blkif.BLKIF_OP_WRITE;
            if (write) page.putBytes(0, data, 0, data.length);
            int ref = os.grant(gfn, write);
            long id = ++os.ios;
            Blkif.writeRequest(ring.page(), ring.slot(ring.reqProdPvt),
                    Blkif.Request.readWrite(op, devid, id, lba, new Blkif.Segment(ref, 0, count - 1)));
            ring.reqProdPvt++;
            if (ring.pushRequestsAndCheckNotify()) os.evtchn.notify(port, () -> { });
            Blkif.Response[] got = new Blkif.Response[1];
            long deadline = os.seam.nowNanos() + 30_000_000_000L;
            os.cpu.waitUntil("os blkfront response", () -> {
                do {
                    while (ring.unconsumedResponses() > 0) {
                        Blkif.Response r = Blkif.readResponse(ring.page(), ring.slot(ring.rspCons));
                        ring.rspCons++;
                        if (r.id() == id) got[0] = r;
                    }
                } while (ring.finalCheckForResponses());
                return got[0] != null;
            }, () -> {
                byte[] out = null;
                if (!write && got[0].status() == Blkif.BLKIF_RSP_OKAY) {
                    out = new byte[count * 512];
                    page.getBytes(0, out, 0, out.length);
                }
                os.endAccess(ref);
                os.freePages.addFirst(gfn);
                k.accept(got[0].status(), out);
            });
        }

        void shutdown(Runnable then) {
            if (!os.cfg.shutdown()) {
                then.run();
                return;
            }
            setState(XenbusState.Connected, XenbusState.Closing, () ->
                waitBackend(s -> s.code() >= XenbusState.Closing.code(), deadline(), s1 ->
                    setState(XenbusState.Closing, XenbusState.Closed, () ->
                        waitBackend(s -> s == XenbusState.Closed, deadline(), s2 -> {
                            os.endAccess(ringRef);
                            os.evtchn.close(port, then);
                        }))));
        }
    }
}
