package xensim.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import xensim.firmware.FirmwareConfig;
import xensim.os.OsConfig;
import xensim.platform.EventSink;
import xensim.platform.Mode;
import xensim.runtime.Host;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;

/**
 * Full guest lifecycles on one host in deterministic mode: N guests, each created by the
 * toolstack, booted through the firmware (GPT, boot loader, boot record, read-ahead: about 64
 * blkif requests), ExitBootServices, the OS's reconnect, 64 verified I/Os and the read-back of every
 * acknowledged write, then destroyed.
 * Every guest shares xenstored, the hypervisor and dom0's backends; the online checker judges the
 * run. Measures wall seconds, peak heap (heap pools, reset before the run) and the per-guest cost.
 */
public final class LifecycleBench {
    private LifecycleBench() {}

    /** Requests the firmware's read-ahead adds to the boot path so the firmware does about 64. */
    public static final int READ_AHEAD = 58;

    /**
     * @param peakHeapBytes     the heap pools' peak use during the run (garbage included: how far the
     *                          collector let the heap grow)
     * @param peakLiveHeapBytes the largest heap use right after a collection during the run (what
     *                          the run really kept alive); 0 when no collection ran
     */
    public record Result(int guests, long nanos, long cpuNanos, long peakHeapBytes, long peakLiveHeapBytes, long events, long requests,
                         long steps, long virtualNanos, String verdict, boolean completed) {
        public double seconds() {
            return nanos / 1e9;
        }

        /** CPU seconds the whole JVM used during the run (every thread: simulation, GC, JIT, the log writer). */
        public double cpuSeconds() {
            return cpuNanos / 1e9;
        }

        public double microsPerGuest() {
            return nanos / 1e3 / guests;
        }
    }

    /**
     * Runs N lifecycles. With {@code eventsDir} the run also writes its events.jsonl there, as
     * {@code ./xensim run} does; without, events go only to the online checker.
     */
    public static Result run(int guests, long seed, Path eventsDir) throws IOException {
        return run(guests, seed, eventsDir, null);
    }

    /** As {@link #run(int, long, Path)}; {@code census}, when not null, is shown every executor step. */
    public static Result run(int guests, long seed, Path eventsDir, StepCensus census) throws IOException {
        Path disks = Files.createTempDirectory("xensim-lifecycle");
        try {
            HostConfig cfg = HostConfig.defaults(disks).withGuests(guests, 64 * 2048, new OsConfig(true, 64, true), disks)
                    .withFirmware(FirmwareConfig.defaults("refcount").withReadAhead(READ_AHEAD));
            AtomicLong requests = new AtomicLong();
            EventSink counter = EventSink.only(java.util.Set.of("RING_REQ"), e -> requests.incrementAndGet());
            System.gc();
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
            AtomicLong live = new AtomicLong();
            List<Runnable> unsubscribe = watchLiveHeap(live);
            long t0 = System.nanoTime();
            long cpu0 = processCpuNanos();
            RunResult r;
            try {
                r = Simulation.run(new RunSpec(seed, Mode.DETERMINISTIC, "refcount", "bench-lifecycle", eventsDir, 1.0, wallLimitMs(guests)),
                        (seam, done) -> {
                            if (census != null && seam instanceof xensim.platform.DeterministicSeam d) d.executor().observeSteps(census);
                            return Host.create(seam, cfg, done);
                        }, counter);
            } finally {
                unsubscribe.forEach(Runnable::run);
            }
            long ns = System.nanoTime() - t0;
            long cpu = processCpuNanos() - cpu0;
            long peak = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) peak += p.getPeakUsage().getUsed();
            }
            boolean completed = r.ending() == RunResult.Ending.COMPLETED && r.hostReport() instanceof Host.Report rep
                    && rep.guests().size() == guests;
            return new Result(guests, ns, cpu, peak, live.get(), r.events(), requests.get(), r.steps(), r.virtualNanos(), r.verdictLine(), completed);
        } finally {
            deleteTree(disks);
        }
    }

    /**
     * The JVM's CPU time so far (all threads), or 0 where the platform does not say: on a shared
     * machine it moves far less with the load than the wall time does.
     */
    static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? Math.max(0, os.getProcessCpuTime()) : 0;
    }

    /**
     * The wall-time guard of a run: 10 minutes, or 200 ms per guest when more (10,000 guests on a
     * shared, loaded machine must not be cut off and judged a HANG).
     */
    static long wallLimitMs(int guests) {
        return Math.max(600_000L, guests * 200L);
    }

    /** Keeps in {@code max} the largest heap use seen right after any collection; returns the unsubscribers. */
    private static List<Runnable> watchLiveHeap(AtomicLong max) {
        List<Runnable> undo = new java.util.ArrayList<>();
        for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (!(gc instanceof javax.management.NotificationEmitter emitter)) continue;
            javax.management.NotificationListener l = (n, hb) -> {
                if (!com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) return;
                var info = com.sun.management.GarbageCollectionNotificationInfo.from((javax.management.openmbean.CompositeData) n.getUserData());
                long used = 0;
                for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                    if (isHeapPool(e.getKey())) used += e.getValue().getUsed();
                }
                max.accumulateAndGet(used, Math::max);
            };
            emitter.addNotificationListener(l, null, null);
            undo.add(() -> {
                try {
                    emitter.removeNotificationListener(l);
                } catch (javax.management.ListenerNotFoundException ignored) {
                    // already gone
                }
            });
        }
        return undo;
    }

    private static boolean isHeapPool(String name) {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getName().equals(name)) return p.getType() == MemoryType.HEAP;
        }
        return false;
    }

    public static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
