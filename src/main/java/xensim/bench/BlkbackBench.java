package xensim.bench;

import static xensim.abi.XsWire.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import xensim.abi.Blkif;
import xensim.abi.HvmParams;
import xensim.abi.SharedRing;
import xensim.abi.XsMessage;
import xensim.dom0.blkback.BlkbackActor;
import xensim.dom0.blkback.DiskImage;
import xensim.dom0.xenstored.Connection;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.dom0.xenstored.XenstoredCore;
import xensim.platform.EventLog;
import xensim.platform.Mode;
import xensim.platform.SimSystem;
import xensim.xen.DomainConfig;
import xensim.xen.GrantTableGuest;
import xensim.xen.GuestMemory;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * 4 KiB READs through the whole blkif path with zero service latency, on either runtime: a
 * frontend keeps {@code window} requests in flight (each a granted page); blkback maps, reads
 * the image file, unmaps and answers. Every message to the hypervisor, blkback and the frontend
 * is counted, so the figure comes with its messages-per-request cost. The image is a sparse raw
 * file; {@code written} fills the sectors the bench reads with data first, so every READ is a
 * positional read of the file rather than a never-written hole.
 */
public final class BlkbackBench {
    private BlkbackBench() {}

    /** Requests per wall second and per second of the process's CPU time, messages per request (counting runs only). */
    public record Result(double requestsPerSecond, double requestsPerCpuSecond, double messagesPerRequest) {}

    private sealed interface F permits Go, Up {}

    private record Go(int count) implements F {}

    private record Up() implements F {}

    /**
     * @param counting wrap every actor in a {@link CountingInterceptor} to count messages (the
     *                 interceptor costs time itself, so timed runs leave it out and take the
     *                 count from a counting run: the count is the same, the run is deterministic)
     */
    public static Result run(Mode mode, int count, int window, boolean counting, boolean written) throws Exception {
        Path dir = Files.createTempDirectory("blkbench");
        Path img = dir.resolve("d.img");
        try (DiskImage d = DiskImage.create(img, 8192)) {
            if (written) {
                byte[] data = new byte[1 << 16];
                for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31 + 7);
                for (long pos = 0; pos < 8000L * DiskImage.SECTOR_SIZE; pos += data.length) {
                    d.write(pos, data, 0, (int) Math.min(data.length, 8000L * DiskImage.SECTOR_SIZE - pos));
                }
            }
        }
        AtomicLong messages = new AtomicLong();
        CompletableFuture<Long> done = new CompletableFuture<>();
        CompletableFuture<Void> connected = new CompletableFuture<>();
        long[] start = new long[2];
        long[] msgStart = new long[1];
        try (SimSystem<F> sim = SimSystem.start("bench-blk", mode, 1, new EventLog(), 1.0, seam -> Behaviors.setup(ctx -> {
            Hypervisor hv = new Hypervisor(seam.events());
            ActorRef<HypervisorActor.Command> hyp = ctx.spawn(counted(counting, HypervisorActor.Command.class, messages,
                    HypervisorActor.create(seam, hv, 0)), "hypervisor");
            XenstoredCore core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, seam.events());
            ActorRef<XenstoredActor.Command> xs = ctx.spawn(XenstoredActor.create(seam, core, hyp), "xenstored");
            DomainConfig cfg = DomainConfig.ofRamPages(2048);
            Hypervisor.DomainCreated dc = hv.createDomain(0, cfg);
            int d = dc.domid();
            GuestMemory mem = dc.memory();
            hv.addToPhysmap(d, d, HvmParams.XENMAPSPACE_grant_table, 0, cfg.firstHoleGfn());
            GrantTableGuest gt = new GrantTableGuest(mem, seam.events(), "os");
            gt.setFrameGfn(0, cfg.firstHoleGfn());
            String fe = "/local/domain/" + d + "/device/vbd/51712";
            String be = "/local/domain/0/backend/vbd/" + d + "/51712";
            Connection t = core.connect(0, "toolstack", m -> { });
            core.handle(t, XsMessage.of(XS_MKDIR, 1, 0, fe));
            core.handle(t, XsMessage.of(XS_SET_PERMS, 2, 0, fe, "n" + d, "r0"));
            for (String[] kv : new String[][] {{be + "/frontend", fe}, {be + "/state", "1"}, {fe + "/state", "1"}}) {
                core.handle(t, new XsMessage(XS_WRITE, 3, 0, (kv[0] + "\0" + kv[1]).getBytes(StandardCharsets.UTF_8)));
            }
            ActorRef<BlkbackActor.Command> blk = ctx.spawn(counted(counting, BlkbackActor.Command.class, messages,
                    BlkbackActor.create(seam, new xensim.dom0.blkback.BlkbackConfig(d, 51712, be, fe, img, false, 0, 0, 1, window,
                            xensim.dom0.blkback.BlkbackProfile.LINUX), hyp, xs)), "blkback");
            // the frontend: ring at gfn 0x10 (ref 8), data pages 0x100.. (refs 9..)
            SharedRing.init(mem.page(0x10));
            SharedRing.FrontRing ring = new SharedRing.FrontRing(mem.page(0x10), Blkif.ENTRY_SIZE);
            gt.grantAccess(8, 0, 0x10, false);
            for (int i = 0; i < window; i++) gt.grantAccess(9 + i, 0, 0x100 + i, false);
            int port = hv.evtchnAllocUnbound(d, d, 0).port();
            Connection g = core.connect(d, "ring", m -> { });
            for (String[] kv : new String[][] {{fe + "/ring-ref", "8"}, {fe + "/event-channel", "" + port},
                {fe + "/protocol", "x86_64-abi"}, {fe + "/state", "3"}}) {
                core.handle(g, new XsMessage(XS_WRITE, 4, 0, (kv[0] + "\0" + kv[1]).getBytes(StandardCharsets.UTF_8)));
            }
            ActorRef<F> self = ctx.getSelf();
            hv.bindUpcall(d, port, (x, p) -> self.tell(new Up()));
            int[] st = new int[3]; // sent, received, total
            long[] ids = new long[1];
            return counted(counting, F.class, messages, Behaviors.<F>receiveMessage(f -> {
                if (f instanceof Go go) {
                    if (go.count() == 0) { // connection probe
                        if ("4".equals(core.readDirect(be + "/state"))) connected.complete(null);
                        return Behaviors.same();
                    }
                    st[2] = go.count();
                    start[1] = RawTellBench.processCpuNanos();
                    start[0] = System.nanoTime();
                    msgStart[0] = messages.get();
                }
                do {
                    while (ring.unconsumedResponses() > 0) {
                        ring.rspCons++;
                        st[1]++;
                    }
                } while (ring.finalCheckForResponses());
                if (st[2] > 0 && st[1] >= st[2]) {
                    long wall = System.nanoTime() - start[0];
                    start[1] = RawTellBench.processCpuNanos() - start[1];
                    done.complete(wall);
                    st[2] = 0;
                    return Behaviors.same();
                }
                boolean pushed = false;
                while (st[2] > 0 && st[0] < st[2] && st[0] - st[1] < window && !ring.full()) {
                    int slot = st[0] % window;
                    Blkif.writeRequest(ring.page(), ring.slot(ring.reqProdPvt), Blkif.Request.readWrite(Blkif.BLKIF_OP_READ,
                            51712, ids[0]++, (st[0] * 8L) % 8000, new Blkif.Segment(9 + slot, 0, 7)));
                    ring.reqProdPvt++;
                    st[0]++;
                    pushed = true;
                }
                if (pushed && ring.pushRequestsAndCheckNotify()) hv.evtchnSend(d, port);
                return Behaviors.same();
            }));
        }))) {
            for (int i = 0; i < 200 && !connected.isDone(); i++) {
                sim.system().tell(new Go(0));
                Thread.sleep(10);
            }
            connected.get(5, TimeUnit.SECONDS);
            sim.system().tell(new Go(count));
            long ns = done.get(5, TimeUnit.MINUTES);
            long cpu = start[1]; // completing the future orders the write before this read
            long msgs = messages.get() - msgStart[0];
            return new Result(count / (ns / 1e9), count / (cpu / 1e9), counting ? msgs / (double) count : Double.NaN);
        } finally {
            Files.deleteIfExists(img);
            Files.deleteIfExists(dir);
        }
    }

    /** The profiler's components (see {@link #component}). */
    public static final String EVENTS = "events";
    public static final String IMAGE_IO = "image I/O (DiskImage: pread, hole zero-fill)";
    public static final String PAGE = "guest page access via grant mappings (data copy, ring slots)";
    public static final String RING = "ring protocol (request/response marshalling)";
    public static final String HV = "hypervisor core: grant map/unmap, event channels";
    public static final String HV_ACTOR = "hypervisor actor shell";
    public static final String BLK_CORE = "blkback core (request bookkeeping)";
    public static final String BLK_ACTOR = "blkback actor shell";
    public static final String FRONTEND = "frontend (the bench's blkfront)";
    public static final String AKKA = "Akka + executor (mailbox, dispatch, behaviours, adapters, supervision)";
    public static final String COUNTING = "message counting";
    public static final String OTHER = "JDK/JVM only (no simulator or Akka frame)";

    /** The threads of this bench's actor system (either runtime). */
    public static boolean benchThread(String name) {
        return name.startsWith("bench-blk") || name.startsWith("xensim-sim-bench-blk");
    }

    /**
     * The component a sampled stack (innermost frame first) belongs to: its innermost frame in
     * simulator or Akka code decides (JDK frames count for their caller: a HashMap lookup in
     * blkback's core is blkback's, FileChannel's pread is the image's). An event being built or
     * published is "events", named after the component that emits it.
     */
    public static String component(java.util.List<jdk.jfr.consumer.RecordedFrame> frames) {
        boolean inEvents = false;
        for (jdk.jfr.consumer.RecordedFrame f : frames) {
            String c = componentOf(JfrProfile.className(f));
            if (c == null) continue;
            if (c.equals(EVENTS)) {
                inEvents = true;
                continue;
            }
            if (!inEvents) return c;
            return switch (c) {
                case PAGE -> "events: FOREIGN_WRITE (writes through grant mappings)";
                case HV -> "events: GRANT_MAP/GRANT_UNMAP/EVTCHN (hypervisor)";
                case BLK_CORE -> "events: RING_REQ/RING_RSP (blkback)";
                default -> "events: from " + c;
            };
        }
        return inEvents ? EVENTS : OTHER;
    }

    private static String componentOf(String cls) {
        if (cls.startsWith("xensim.platform.Event")) return EVENTS;
        if (cls.startsWith("xensim.dom0.blkback.DiskImage")) return IMAGE_IO;
        if (cls.startsWith("xensim.xen.GrantMapping") || cls.startsWith("xensim.xen.Page") || cls.startsWith("xensim.xen.GuestPage")
                || cls.startsWith("xensim.abi.ByteArrayPage")) return PAGE;
        if (cls.startsWith("xensim.abi.SharedRing") || cls.startsWith("xensim.abi.Blkif")) return RING;
        if (cls.startsWith("xensim.xen.HypervisorActor")) return HV_ACTOR;
        if (cls.startsWith("xensim.xen.")) return HV;
        if (cls.startsWith("xensim.dom0.blkback.BlkbackActor")) return BLK_ACTOR;
        if (cls.startsWith("xensim.dom0.blkback.")) return BLK_CORE;
        if (cls.startsWith("xensim.bench.BlkbackBench")) return FRONTEND;
        if (cls.startsWith("xensim.bench.CountingInterceptor")) return COUNTING;
        if (cls.startsWith("akka.") || cls.startsWith("scala.") || cls.startsWith("xensim.platform.")) return AKKA;
        if (cls.startsWith("xensim.")) return "other simulator code (" + cls + ")";
        return null;
    }

    private static <T> akka.actor.typed.Behavior<T> counted(boolean counting, Class<T> type, AtomicLong counter,
                                                            akka.actor.typed.Behavior<T> behavior) {
        return counting ? CountingInterceptor.count(type, counter, behavior) : behavior;
    }
}
