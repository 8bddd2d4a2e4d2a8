package xensim.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import xensim.bench.BenchTable;
import xensim.bench.RawTellBench;
import xensim.platform.Mode;

/** {@code xensim bench}: performance figures as ratios measured in one run. */
@Command(name = "bench", description = "Measure performance (figures are ratios within one run).",
        subcommands = {BenchCommand.Lifecycle.class, BenchCommand.Explore.class, BenchCommand.Akka.class, BenchCommand.Xenstored.class, BenchCommand.Blkback.class, BenchCommand.Timeline.class, ClusterBench.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "lifecycle", description = "Full guest lifecycles (boot, ~64 I/Os, EBS, OS reconnect, 64 I/Os) for N guests on one host.")
    static final class Lifecycle implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--guests", split = ",", defaultValue = "10,100,1000", description = "guest counts (default ${DEFAULT-VALUE})")
        List<Integer> guests;

        @Option(names = "--repeat", defaultValue = "3", description = "runs per count; the median is shown (default ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--events", description = "also write events.jsonl, as ./xensim run does (to a temporary folder)")
        boolean events;

        @Option(names = "--warmup", defaultValue = "300", description = "guests of the warm-up run, not measured (default ${DEFAULT-VALUE})")
        int warmup;

        @Override
        public Integer call() throws Exception {
            for (int n : guests) if (n < 1 || n > 10_000) throw new BadInputException("--guests: each count must be 1..10000");
            if (repeat < 1 || repeat > 20) throw new BadInputException("--repeat must be 1..20");
            if (warmup < 0 || warmup > 10_000) throw new BadInputException("--warmup must be 0..10000");
            PrintWriter out = spec.commandLine().getOut();
            out.println("warming up (" + warmup + " guests), then " + repeat + " run(s) per count; one host, strategy refcount, seed 1, 2 ms stagger");
            out.flush();
            if (warmup > 0) xensim.bench.LifecycleBench.run(warmup, 1, null); // class loading and JIT
            // the fixed cost of a run (actor system up and down, no guest), so the per-guest cost is the guests' own
            double fixed = median(repeat, () -> xensim.bench.LifecycleBench.run(0, 1, null), xensim.bench.LifecycleBench.Result::seconds).seconds();
            BenchTable t = new BenchTable("guests", "seconds", "per guest (ms)", "net per guest (ms)", "vs first", "peak heap (MB)",
                    "live heap after GC (MB)", "requests", "events", "verdict");
            double first = 0;
            boolean met = true;
            for (int n : guests) {
                xensim.bench.LifecycleBench.Result r = median(repeat, () -> {
                    java.nio.file.Path dir = events ? java.nio.file.Files.createTempDirectory("xensim-lifecycle-log") : null;
                    try {
                        return xensim.bench.LifecycleBench.run(n, 1, dir);
                    } finally {
                        if (dir != null) xensim.bench.LifecycleBench.deleteTree(dir);
                    }
                }, xensim.bench.LifecycleBench.Result::seconds);
                double net = Math.max(0, r.seconds() - fixed) * 1000 / n;
                if (first == 0) first = net;
                t.row(Integer.toString(n), String.format("%.2f", r.seconds()), String.format("%.3f", r.microsPerGuest() / 1000),
                        String.format("%.3f", net), String.format("%.2f", net / first), String.format("%,d", r.peakHeapBytes() >> 20),
                        String.format("%,d", r.peakLiveHeapBytes() >> 20), String.format("%,d", r.requests()), String.format("%,d", r.events()),
                        (r.completed() ? "" : "INCOMPLETE ") + r.verdict().substring("verdict: ".length()));
                if (n == 1000) met = r.seconds() <= 5 && r.peakHeapBytes() <= (2L << 30) && r.completed();
            }
            t.print(out);
            out.printf("fixed cost of a run (no guest): %.3f s; heap limit -Xmx %,d MB%n", fixed, Runtime.getRuntime().maxMemory() >> 20);
            if (guests.contains(1000)) out.printf("target: 1,000 lifecycles <= 5 s with heap <= 2 GiB -> %s%n", met ? "met" : "NOT met");
            out.flush();
            return Main.EXIT_CLEAN;
        }
    }

    @Command(name = "explore", description = "Single-guest deterministic seeds per minute, as explore runs them (all cores, then one).")
    static final class Explore implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seeds", defaultValue = "300", description = "seeds per measurement (default ${DEFAULT-VALUE})")
        int seeds;

        @Option(names = "--strategy", defaultValue = "refcount", description = "EBS design to run (default ${DEFAULT-VALUE})")
        String strategy;

        @Override
        public Integer call() throws Exception {
            if (seeds < 10 || seeds > 100_000) throw new BadInputException("--seeds must be 10..100000");
            PrintWriter out = spec.commandLine().getOut();
            xensim.scenario.Scenario sc = RunCommand.scenario(null, strategy, null, null, null, null, List.of());
            int cores = Runtime.getRuntime().availableProcessors();
            java.nio.file.Path disks = java.nio.file.Files.createTempDirectory("xensim-bench-explore");
            try {
                seedsPerMinute(sc, disks, 1, Math.min(seeds, 60), 1); // warm-up
                BenchTable t = new BenchTable("jobs", "seeds", "seconds", "seeds/min", "violations");
                double all = 0;
                for (int jobs : cores > 1 ? new int[] {cores, 1} : new int[] {1}) {
                    long t0 = System.nanoTime();
                    int bad = seedsPerMinute(sc, disks, 1_000, seeds, jobs);
                    double sec = (System.nanoTime() - t0) / 1e9;
                    double rate = seeds / sec * 60;
                    if (jobs == cores) all = rate;
                    t.row(Integer.toString(jobs), Integer.toString(seeds), String.format("%.2f", sec), BenchTable.num(rate), Integer.toString(bad));
                }
                t.print(out);
                out.printf("strategy %s, one guest, default scenario; target: >= 1,000 seeds/min on %d cores -> %s%n", strategy, cores,
                        all >= 1000 ? "met" : "NOT met");
                out.flush();
            } finally {
                ExploreCommand.deleteTree(disks);
            }
            return Main.EXIT_CLEAN;
        }

        /** Runs seeds first..first+n-1 on {@code jobs} threads; returns how many had a violation. */
        private static int seedsPerMinute(xensim.scenario.Scenario sc, java.nio.file.Path disks, long first, int n, int jobs) throws Exception {
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(jobs);
            try {
                List<java.util.concurrent.Callable<ExploreCommand.Outcome>> work = new java.util.ArrayList<>();
                for (long s = first; s < first + n; s++) {
                    long seed = s;
                    work.add(() -> ExploreCommand.runOne(sc, sc.strategy(), seed, null, disks));
                }
                int bad = 0;
                for (java.util.concurrent.Future<ExploreCommand.Outcome> f : pool.invokeAll(work)) if (!f.get().result().clean()) bad++;
                return bad;
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Command(name = "xenstored", description = "xenstored READ/WRITE requests per second through a guest ring and the unix socket.")
    static final class Xenstored implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--requests", defaultValue = "200000", description = "requests per ring measurement (default ${DEFAULT-VALUE})")
        int requests;

        @Override
        public Integer call() throws Exception {
            if (requests < 1000) throw new BadInputException("--requests must be >= 1000");
            PrintWriter out = spec.commandLine().getOut();
            double tell = RawTellBench.messagesPerSecond(Mode.DETERMINISTIC, 1, 1_000_000, 3);
            double ringRead = median(3, () -> xensim.bench.XenstoredBench.ringRequestsPerSecond(xensim.abi.XsWire.XS_READ, requests, 32), x -> x);
            double ringWrite = median(3, () -> xensim.bench.XenstoredBench.ringRequestsPerSecond(xensim.abi.XsWire.XS_WRITE, requests, 32), x -> x);
            double sockRead = median(3, () -> xensim.bench.XenstoredBench.socketRequestsPerSecond(xensim.abi.XsWire.XS_READ, requests / 10), x -> x);
            double sockWrite = median(3, () -> xensim.bench.XenstoredBench.socketRequestsPerSecond(xensim.abi.XsWire.XS_WRITE, requests / 10), x -> x);
            new BenchTable("path", "requests/s", "vs raw tell")
                    .row("raw Akka tell, deterministic (msg/s)", BenchTable.num(tell), "1.00")
                    .row("ring READ (deterministic, 32 in flight)", BenchTable.num(ringRead), String.format("%.3f", ringRead / tell))
                    .row("ring WRITE (deterministic, 32 in flight)", BenchTable.num(ringWrite), String.format("%.3f", ringWrite / tell))
                    .row("socket READ (threaded, 1 in flight)", BenchTable.num(sockRead), String.format("%.3f", sockRead / tell))
                    .row("socket WRITE (threaded, 1 in flight)", BenchTable.num(sockWrite), String.format("%.3f", sockWrite / tell))
                    .print(out);
            out.printf("target: >= 200,000 ring READs/s on one core -> %s%n", ringRead >= 200_000 ? "met" : "NOT met");
            out.flush();
            return Main.EXIT_CLEAN;
        }
    }

    @Command(name = "blkback", description = "4 KiB READs/s through the full blkif path (zero latency) next to raw Akka tell.")
    static final class Blkback implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--requests", defaultValue = "100000", description = "requests per measurement (default ${DEFAULT-VALUE})")
        int requests;

        @Option(names = "--window", defaultValue = "32", description = "requests in flight (default ${DEFAULT-VALUE}, the ring size)")
        int window;

        @Override
        public Integer call() throws Exception {
            if (requests < 1000 || window < 1 || window > 32) throw new BadInputException("--requests >= 1000 and 1 <= --window <= 32");
            PrintWriter out = spec.commandLine().getOut();
            double tell = RawTellBench.messagesPerSecond(Mode.DETERMINISTIC, 1, 1_000_000, 3);
            double perRequest = xensim.bench.BlkbackBench.run(requests / 10, window, true).messagesPerRequest();
            xensim.bench.BlkbackBench.Result med = median(3, () -> xensim.bench.BlkbackBench.run(requests, window, false),
                    xensim.bench.BlkbackBench.Result::requestsPerSecond);
            double bound = tell / perRequest;
            new BenchTable("measure", "value")
                    .row("raw Akka tell, deterministic (msg/s)", BenchTable.num(tell))
                    .row("blkif 4 KiB READ requests/s (" + window + " in flight)", BenchTable.num(med.requestsPerSecond()))
                    .row("actor messages per request", String.format("%.2f", perRequest))
                    .row("raw tell / messages-per-request (upper bound)", BenchTable.num(bound))
                    .row("requests/s as a share of that bound", String.format("%.1f%%", 100 * med.requestsPerSecond() / bound))
                    .print(out);
            out.printf("target: >= 50%% of the bound -> %s%n", med.requestsPerSecond() >= bound / 2 ? "met" : "NOT met");
            out.flush();
            return Main.EXIT_CLEAN;
        }
    }

    @Command(name = "akka", description = "Raw Akka tell throughput on both runtimes (the baseline of every other figure).")
    static final class Akka implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--messages", defaultValue = "2000000", description = "messages per ping-pong pair (default ${DEFAULT-VALUE})")
        long messages;

        @Option(names = "--pairs", defaultValue = "2", description = "concurrent pairs (default ${DEFAULT-VALUE})")
        int pairs;

        @Override
        public Integer call() throws Exception {
            if (messages < 1 || pairs < 1) throw new BadInputException("--messages and --pairs must be >= 1");
            PrintWriter out = spec.commandLine().getOut();
            double threaded = RawTellBench.messagesPerSecond(Mode.THREADED, pairs, messages, 3);
            double det = RawTellBench.messagesPerSecond(Mode.DETERMINISTIC, pairs, messages, 3);
            new BenchTable("runtime", "msg/s", "ratio")
                    .row("threaded (Akka default dispatcher)", BenchTable.num(threaded), "1.00")
                    .row("deterministic (virtual-time executor)", BenchTable.num(det), String.format("%.2f", det / threaded))
                    .print(out);
            return Main.EXIT_CLEAN;
        }
    }

    @Command(name = "timeline", description = "Events/s and peak heap of 'timeline --check' over a generated log (>= 5 M events).")
    static final class Timeline implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--events", defaultValue = "5000000", description = "events in the generated log (default ${DEFAULT-VALUE})")
        long events;

        @Option(names = "--guests", defaultValue = "8", description = "guests in the generated log (default ${DEFAULT-VALUE})")
        int guests;

        @Option(names = "--log", paramLabel = "F", description = "measure this existing events.jsonl instead of generating one")
        java.nio.file.Path log;

        @Option(names = "--child-heap", defaultValue = "256m",
                description = "also run the check in a fresh JVM with this -Xmx (default ${DEFAULT-VALUE}; 'none' to skip)")
        String childHeap;

        @Override
        public Integer call() throws Exception {
            if (log == null && (events < 10_000 || guests < 1 || guests > 1000)) {
                throw new BadInputException("--events >= 10000 and 1 <= --guests <= 1000");
            }
            if (log != null) UserPaths.inputFile(log, "--log");
            if (!childHeap.equals("none") && !childHeap.matches("[0-9]+[kKmMgG]?")) throw new BadInputException("--child-heap: e.g. 256m or none");
            PrintWriter out = spec.commandLine().getOut();
            java.nio.file.Path file = log;
            java.nio.file.Path tmp = null;
            try {
                BenchTable t = new BenchTable("measure", "value");
                if (file == null) {
                    tmp = java.nio.file.Files.createTempFile("xensim-bench-timeline", ".jsonl");
                    file = tmp;
                    out.printf("generating %,d events over %d guests into %s ...%n", events, guests, file);
                    out.flush();
                    long t0 = System.nanoTime();
                    long n = xensim.bench.TimelineBench.generate(file, events, guests);
                    double s = (System.nanoTime() - t0) / 1e9;
                    t.row("generated log", String.format("%,d events, %,.0f MB, %.1f s", n, java.nio.file.Files.size(file) / 1e6, s));
                }
                xensim.bench.TimelineBench.Measurement best = null;
                for (int run = 1; run <= 2; run++) {
                    xensim.bench.TimelineBench.Measurement m = xensim.bench.TimelineBench.check(file);
                    t.row("timeline --check, in-process run " + run, String.format("%s events/s (%,.0f MB/s, %.2f s)",
                            BenchTable.num(m.eventsPerSecond()), m.megabytesPerSecond(), m.nanos() / 1e9));
                    t.row("  peak heap (heap pools, -Xmx " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB)",
                            String.format("%,d MB", m.peakHeapBytes() >> 20));
                    if (best == null || m.eventsPerSecond() > best.eventsPerSecond()) best = m;
                }
                if (!childHeap.equals("none")) {
                    xensim.bench.TimelineBench.Measurement c = xensim.bench.TimelineBench.checkInChildJvm(file, childHeap);
                    t.row("timeline --check, fresh JVM -Xmx" + childHeap, String.format("%s events/s (%.2f s), peak heap %,d MB",
                            BenchTable.num(c.eventsPerSecond()), c.nanos() / 1e9, c.peakHeapBytes() >> 20));
                }
                t.row("events checked", String.format("%,d (%d reader warnings)", best.events(), best.warnings()));
                t.row("offline verdict", best.verdict());
                t.print(out);
                out.printf("target: >= 500,000 events/s on 2 cores -> %s%n", best.eventsPerSecond() >= 500_000 ? "met" : "NOT met");
                out.flush();
            } finally {
                if (tmp != null) java.nio.file.Files.deleteIfExists(tmp);
            }
            return Main.EXIT_CLEAN;
        }
    }

    /** One measurement that may throw. */
    interface Measure<T> {
        T run() throws Exception;
    }

    /** Runs {@code m} {@code n} times and returns the run with the median {@code by}. */
    static <T> T median(int n, Measure<T> m, java.util.function.ToDoubleFunction<T> by) throws Exception {
        List<T> rs = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) rs.add(m.run());
        rs.sort(java.util.Comparator.comparingDouble(by));
        return rs.get(rs.size() / 2);
    }
}
