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

        @picocli.CommandLine.Mixin
        BenchJsonOption json = new BenchJsonOption();

        @Option(names = "--guests", split = ",", defaultValue = "10,100,1000", description = "guest counts (default ${DEFAULT-VALUE})")
        List<Integer> guests;

        @Option(names = "--repeat", defaultValue = "3", description = "runs per count; the median is shown (default ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--events", description = "also write events.jsonl, as ./xensim run does (to a temporary folder); "
                + "each count is then run without it too, for the ratio")
        boolean events;

        @Option(names = "--steps", description = "also run the largest count (at most 1,000) once more and print what its executor steps are, by actor")
        boolean steps;

        @Option(names = "--warmup", defaultValue = "300", description = "guests of the warm-up run, not measured (default ${DEFAULT-VALUE})")
        int warmup;

        @Override
        public Integer call() throws Exception {
            for (int n : guests) if (n < 1 || n > 10_000) throw new BadInputException("--guests: each count must be 1..10000");
            if (repeat < 1 || repeat > 20) throw new BadInputException("--repeat must be 1..20");
            if (warmup < 0 || warmup > 10_000) throw new BadInputException("--warmup must be 0..10000");
            json.check();
            PrintWriter out = spec.commandLine().getOut();
            out.println("warming up (" + warmup + " guests), then " + repeat + " run(s) per count; one host, strategy refcount, seed 1, 2 ms stagger");
            out.flush();
            if (warmup > 0) xensim.bench.LifecycleBench.run(warmup, 1, null); // class loading and JIT
            // the fixed cost of a run (actor system up and down, no guest), so the per-guest cost is the guests' own
            double fixed = median(repeat, () -> xensim.bench.LifecycleBench.run(0, 1, null), xensim.bench.LifecycleBench.Result::seconds).seconds();
            BenchTable t = new BenchTable("guests", "seconds", "CPU s", "per guest (ms)", "net per guest (ms)", "vs first", "peak heap (MB)",
                    "live heap after GC (MB)", "requests", "events", "steps per guest", "verdict");
            double first = 0;
            java.util.Map<Integer, xensim.bench.LifecycleBench.Result> byCount = new java.util.LinkedHashMap<>();
            java.util.Map<Integer, Double> netByCount = new java.util.LinkedHashMap<>();
            java.util.Map<Integer, Double> plainSeconds = new java.util.LinkedHashMap<>();
            for (int n : guests) {
                if (events) { // the same count without the log, for the cost of writing it
                    plainSeconds.put(n, median(repeat, () -> xensim.bench.LifecycleBench.run(n, 1, null),
                            xensim.bench.LifecycleBench.Result::seconds).seconds());
                }
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
                t.row(Integer.toString(n), String.format("%.2f", r.seconds()), String.format("%.2f", r.cpuSeconds()),
                        String.format("%.3f", r.microsPerGuest() / 1000),
                        String.format("%.3f", net), String.format("%.2f", net / first), String.format("%,d", r.peakHeapBytes() >> 20),
                        String.format("%,d", r.peakLiveHeapBytes() >> 20), String.format("%,d", r.requests()), String.format("%,d", r.events()),
                        String.format("%,d", r.steps() / n),
                        (r.completed() ? "" : "INCOMPLETE ") + r.verdict().substring("verdict: ".length()));
                byCount.put(n, r);
                netByCount.put(n, net);
            }
            t.print(out);
            json.write(spec, t);
            out.printf("fixed cost of a run (no guest): %.3f s; heap limit -Xmx %,d MB%n", fixed, Runtime.getRuntime().maxMemory() >> 20);
            if (events) {
                BenchTable e = new BenchTable("guests", "without events.jsonl (s)", "with events.jsonl (s)", "ratio");
                boolean ok = true;
                for (int n : guests) {
                    double plain = plainSeconds.get(n);
                    double with = byCount.get(n).seconds();
                    ok &= with <= 1.5 * plain;
                    e.row(Integer.toString(n), String.format("%.2f", plain), String.format("%.2f", with), String.format("%.2f", with / plain));
                }
                e.print(out);
                out.printf("target: with --events at most 1.5x the time without -> %s%n", ok ? "met" : "NOT met");
            }
            if (steps) printSteps(out, Math.min(1000, guests.stream().mapToInt(Integer::intValue).max().orElse(1)));
            printTargets(out, byCount, netByCount);
            out.flush();
            return Main.EXIT_CLEAN;
        }
    }

    /** One more run of {@code n} guests with a {@link xensim.bench.StepCensus}: what its executor steps are. */
    private static void printSteps(PrintWriter out, int n) throws java.io.IOException {
        xensim.bench.StepCensus census = new xensim.bench.StepCensus();
        xensim.bench.LifecycleBench.run(n, 1, null, census);
        BenchTable c = new BenchTable("step (" + n + " guests)", "steps", "per guest", "share");
        for (xensim.bench.StepCensus.Row row : census.rows()) {
            c.row(row.kind(), String.format("%,d", row.steps()), String.format("%,.1f", row.steps() / (double) n),
                    String.format("%.1f %%", 100.0 * row.steps() / Math.max(1, census.total())));
        }
        c.row("all", String.format("%,d", census.total()), String.format("%,.1f", census.total() / (double) n), "100.0 %");
        c.print(out);
    }

    /** The targets for the counts that were run (issue 18). */
    private static void printTargets(PrintWriter out, java.util.Map<Integer, xensim.bench.LifecycleBench.Result> r,
                                     java.util.Map<Integer, Double> net) {
        String all = "(run --guests 10,100,1000,10000 to judge)";
        xensim.bench.LifecycleBench.Result k1 = r.get(1000);
        out.printf("target: 1,000 lifecycles <= 2 s -> %s%n", k1 == null ? all
                : (k1.seconds() <= 2 && k1.completed() ? "met" : "NOT met") + String.format(" (%.2f s)", k1.seconds()));
        xensim.bench.LifecycleBench.Result k10 = r.get(10_000);
        out.printf("target: 10,000 lifecycles <= 20 s with -Xmx4g, live heap after GC <= 2 GiB -> %s%n", k10 == null ? all
                : (k10.seconds() <= 20 && k10.peakLiveHeapBytes() <= (2L << 30) && k10.completed() ? "met" : "NOT met")
                        + String.format(" (%.2f s, live heap %,d MB, -Xmx %,d MB)", k10.seconds(), k10.peakLiveHeapBytes() >> 20,
                                Runtime.getRuntime().maxMemory() >> 20));
        Double n10 = net.get(10);
        Double n10k = net.get(10_000);
        out.printf("target: net cost per guest at 10,000 within 1.2x that at 10 -> %s%n", n10 == null || n10k == null ? all
                : (n10k <= 1.2 * n10 ? "met" : "NOT met") + String.format(" (%.2fx)", n10k / n10));
    }

    @Command(name = "explore", description = "Single-guest deterministic seeds per minute, as explore runs them (all cores, then one).")
    static final class Explore implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        BenchJsonOption json = new BenchJsonOption();

        @Option(names = "--seeds", defaultValue = "300", description = "seeds per measurement (default ${DEFAULT-VALUE})")
        int seeds;

        @Option(names = "--strategy", defaultValue = "refcount", description = "EBS design to run (default ${DEFAULT-VALUE})")
        String strategy;

        @Override
        public Integer call() throws Exception {
            if (seeds < 10 || seeds > 100_000) throw new BadInputException("--seeds must be 10..100000");
            json.check();
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
                json.write(spec, t);
                out.printf("strategy %s, one guest, default scenario; target: >= 10,000 seeds/min on %d cores -> %s%n", strategy, cores,
                        all >= 10_000 ? "met" : "NOT met");
                out.flush();
            } finally {
                ExploreCommand.deleteTree(disks);
            }
            return Main.EXIT_CLEAN;
        }

        /**
         * Runs seeds first..first+n-1 on {@code jobs} threads, as explore's workers do (each thread
         * takes the next seed and runs it in its warm ActorSystem); returns how many had a violation.
         */
        private static int seedsPerMinute(xensim.scenario.Scenario sc, java.nio.file.Path disks, long first, int n, int jobs) throws Exception {
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(jobs);
            try {
                java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong(first);
                List<java.util.concurrent.Callable<Integer>> work = new java.util.ArrayList<>();
                for (int j = 0; j < jobs; j++) {
                    work.add(() -> {
                        int bad = 0;
                        try (xensim.platform.WarmSystems warm = xensim.platform.WarmSystems.open()) {
                            for (long seed = next.getAndIncrement(); seed < first + n; seed = next.getAndIncrement()) {
                                if (!ExploreCommand.runOne(sc, sc.strategy(), seed, null, disks).result().clean()) bad++;
                            }
                        }
                        return bad;
                    });
                }
                int bad = 0;
                for (java.util.concurrent.Future<Integer> f : pool.invokeAll(work)) bad += f.get();
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

        @picocli.CommandLine.Mixin
        BenchJsonOption json = new BenchJsonOption();

        @Option(names = "--requests", defaultValue = "200000", description = "requests per ring measurement (default ${DEFAULT-VALUE})")
        int requests;

        @Override
        public Integer call() throws Exception {
            if (requests < 1000) throw new BadInputException("--requests must be >= 1000");
            json.check();
            PrintWriter out = spec.commandLine().getOut();
            double tell = RawTellBench.messagesPerSecond(Mode.DETERMINISTIC, 1, 1_000_000, 3);
            double ringRead = median(3, () -> xensim.bench.XenstoredBench.ringRequestsPerSecond(xensim.abi.XsWire.XS_READ, requests, 32), x -> x);
            double ringWrite = median(3, () -> xensim.bench.XenstoredBench.ringRequestsPerSecond(xensim.abi.XsWire.XS_WRITE, requests, 32), x -> x);
            double sockRead = median(3, () -> xensim.bench.XenstoredBench.socketRequestsPerSecond(xensim.abi.XsWire.XS_READ, requests / 10), x -> x);
            double sockWrite = median(3, () -> xensim.bench.XenstoredBench.socketRequestsPerSecond(xensim.abi.XsWire.XS_WRITE, requests / 10), x -> x);
            String raw = "raw Akka tell, deterministic";
            BenchTable t = new BenchTable("path", "requests/s", "vs raw tell")
                    .row("raw Akka tell, deterministic (msg/s)", BenchTable.num(tell), "1.00")
                    .row("ring READ (deterministic, 32 in flight)", BenchTable.num(ringRead), String.format("%.3f", ringRead / tell))
                    .baseline(raw, tell, "msg/s")
                    .row("ring WRITE (deterministic, 32 in flight)", BenchTable.num(ringWrite), String.format("%.3f", ringWrite / tell))
                    .baseline(raw, tell, "msg/s")
                    .row("socket READ (threaded, 1 in flight)", BenchTable.num(sockRead), String.format("%.3f", sockRead / tell))
                    .baseline(raw, tell, "msg/s")
                    .row("socket WRITE (threaded, 1 in flight)", BenchTable.num(sockWrite), String.format("%.3f", sockWrite / tell))
                    .baseline(raw, tell, "msg/s");
            t.print(out);
            json.write(spec, t);
            out.printf("target: >= 200,000 ring READs/s on one core -> %s%n", ringRead >= 200_000 ? "met" : "NOT met");
            out.flush();
            return Main.EXIT_CLEAN;
        }
    }

    @Command(name = "blkback", description = "4 KiB READs/s through the full blkif path (zero latency) next to raw Akka tell, on both runtimes.")
    static final class Blkback implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        BenchJsonOption json = new BenchJsonOption();

        @Option(names = "--requests", defaultValue = "100000", description = "requests per measurement (default ${DEFAULT-VALUE})")
        int requests;

        @Option(names = "--window", defaultValue = "32", description = "requests in flight (default ${DEFAULT-VALUE}, the ring size)")
        int window;

        @Option(names = "--mode", defaultValue = "both", description = "deterministic, threaded or both (default ${DEFAULT-VALUE})")
        String mode;

        @Option(names = "--rounds", defaultValue = "5", description = "alternating raw-tell / blkif rounds; medians and the best round shown (default ${DEFAULT-VALUE})")
        int rounds;

        @Option(names = "--profile", description = "also run each measurement under JFR (settings=profile, 1 ms sampling) and print where the time goes, by component")
        boolean profile;

        @Override
        public Integer call() throws Exception {
            if (requests < 1000 || window < 1 || window > 32) throw new BadInputException("--requests >= 1000 and 1 <= --window <= 32");
            if (rounds < 1 || rounds > 20) throw new BadInputException("--rounds must be 1..20");
            json.check();
            List<Mode> modes = switch (mode) {
                case "both" -> List.of(Mode.DETERMINISTIC, Mode.THREADED);
                case "deterministic" -> List.of(Mode.DETERMINISTIC);
                case "threaded" -> List.of(Mode.THREADED);
                default -> throw new BadInputException("--mode must be deterministic, threaded or both");
            };
            PrintWriter out = spec.commandLine().getOut();
            BenchTable t = new BenchTable("runtime", "image", "raw tell (msg/s)", "requests/s", "msgs/request", "bound (req/s)",
                    "share (median, wall)", "share (best, CPU time)", "target 50%");
            List<String> profiles = new java.util.ArrayList<>();
            for (Mode m : modes) {
                // the message count is a property of the protocol: one counting run per image kind
                for (boolean written : new boolean[] {false, true}) {
                    double perRequest = xensim.bench.BlkbackBench.run(m, requests / 10, window, true, written).messagesPerRequest();
                    xensim.bench.BlkbackBench.run(m, requests, window, false, written); // warm-up
                    double[] tells = new double[rounds];
                    double[] rps = new double[rounds];
                    double[] cpuTells = new double[rounds];
                    double[] cpuRps = new double[rounds];
                    for (int r = 0; r < rounds; r++) { // alternate, so a noisy neighbour hits both alike
                        RawTellBench.Rate tr = RawTellBench.measure(m, 1, 1_000_000, 1);
                        tells[r] = tr.perSecond();
                        cpuTells[r] = tr.perCpuSecond();
                        xensim.bench.BlkbackBench.Result br = xensim.bench.BlkbackBench.run(m, requests, window, false, written);
                        rps[r] = br.requestsPerSecond();
                        cpuRps[r] = br.requestsPerCpuSecond();
                    }
                    double tell = medianOf(tells);
                    double req = medianOf(rps);
                    double bound = tell / perRequest;
                    double cpuShare = maxOf(cpuRps) / (maxOf(cpuTells) / perRequest);
                    String image = written ? "written (pread)" : "sparse (holes)";
                    t.row(m.name().toLowerCase(java.util.Locale.ROOT), image, BenchTable.num(tell), BenchTable.num(req),
                            String.format("%.2f", perRequest), BenchTable.num(bound), String.format("%.1f%%", 100 * req / bound),
                            String.format("%.1f%%", 100 * cpuShare), req >= bound / 2 && cpuShare >= 0.5 ? "met" : req >= bound / 2 || cpuShare >= 0.5 ? "met by one measure" : "NOT met");
                    if (profile) profiles.add(profileRun(m, written, perRequest, tell, image));
                }
            }
            out.println("4 KiB READs through the whole blkif path, " + window + " in flight, zero service latency; bound = raw tell / messages per request;");
            out.println("shares: of the medians of " + rounds + " alternating rounds per wall second, and of the best round of each per second of");
            out.println("process CPU time (what a busy neighbour disturbs least)");
            t.print(out);
            json.write(spec, t);
            for (String p : profiles) out.print(p);
            out.flush();
            return Main.EXIT_CLEAN;
        }

        private String profileRun(Mode m, boolean written, double perRequest, double tell, String image) throws Exception {
            var rec = xensim.bench.JfrProfile.record(xensim.bench.BlkbackBench::benchThread, xensim.bench.BlkbackBench::component,
                    () -> xensim.bench.BlkbackBench.run(m, requests * 3, window, false, written));
            double nsPerRequest = 1e9 / rec.result().requestsPerSecond();
            var p = rec.profile();
            BenchTable bt = new BenchTable("component", "samples", "share", "ns/request");
            for (var r : p.rows()) {
                double share = r.samples() / (double) Math.max(1, p.samples());
                bt.row(r.component(), r.samples(), String.format("%.1f%%", 100 * share), String.format("%.0f", share * nsPerRequest));
            }
            java.io.StringWriter sw = new java.io.StringWriter();
            PrintWriter pw = new PrintWriter(sw);
            pw.printf("%nJFR profile, %s, %s image: %s requests/s under the profiler (%.0f ns/request), %d samples of the bench's threads%n",
                    m.name().toLowerCase(java.util.Locale.ROOT), image, BenchTable.num(rec.result().requestsPerSecond()), nsPerRequest, p.samples());
            bt.print(pw);
            double akkaNs = p.share(xensim.bench.BlkbackBench.AKKA) * nsPerRequest / perRequest;
            pw.printf("Akka + executor per message: %.0f ns (raw tell: %.0f ns per message)%n", akkaNs, 1e9 / tell);
            pw.flush();
            return sw.toString();
        }

        private static double maxOf(double[] v) {
            double m = 0;
            for (double x : v) m = Math.max(m, x);
            return m;
        }

        private static double medianOf(double[] v) {
            double[] c = v.clone();
            java.util.Arrays.sort(c);
            return c[c.length / 2];
        }
    }

    @Command(name = "akka", description = "Raw Akka tell throughput on both runtimes (the baseline of every other figure).")
    static final class Akka implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        BenchJsonOption json = new BenchJsonOption();

        @Option(names = "--messages", defaultValue = "2000000", description = "messages per ping-pong pair (default ${DEFAULT-VALUE})")
        long messages;

        @Option(names = "--pairs", defaultValue = "2", description = "concurrent pairs (default ${DEFAULT-VALUE})")
        int pairs;

        @Override
        public Integer call() throws Exception {
            if (messages < 1 || pairs < 1) throw new BadInputException("--messages and --pairs must be >= 1");
            json.check();
            PrintWriter out = spec.commandLine().getOut();
            double threaded = RawTellBench.messagesPerSecond(Mode.THREADED, pairs, messages, 3);
            double det = RawTellBench.messagesPerSecond(Mode.DETERMINISTIC, pairs, messages, 3);
            BenchTable t = new BenchTable("runtime", "msg/s", "ratio")
                    .row("threaded (Akka default dispatcher)", BenchTable.num(threaded), "1.00")
                    .row("deterministic (virtual-time executor)", BenchTable.num(det), String.format("%.2f", det / threaded))
                    .baseline("raw Akka tell, threaded", threaded, "msg/s");
            t.print(out);
            json.write(spec, t);
            return Main.EXIT_CLEAN;
        }
    }

    @Command(name = "timeline", description = "Events/s and peak heap of 'timeline --check' over a generated log (>= 5 M events).")
    static final class Timeline implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        BenchJsonOption json = new BenchJsonOption();

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
            json.check();
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
                // the baseline, in the same run: the file read and its lines counted, nothing parsed
                xensim.bench.TimelineBench.Measurement raw = null;
                for (int run = 0; run < 2; run++) {
                    xensim.bench.TimelineBench.Measurement m = xensim.bench.TimelineBench.rawRead(file);
                    if (raw == null || m.eventsPerSecond() > raw.eventsPerSecond()) raw = m;
                }
                t.row("read the log, lines counted, no parse (lines/s)", rate(raw.eventsPerSecond(), "lines/s"));
                xensim.bench.TimelineBench.Measurement best = null;
                for (int run = 1; run <= 2; run++) {
                    xensim.bench.TimelineBench.Measurement m = xensim.bench.TimelineBench.check(file);
                    t.row("timeline --check, in-process run " + run + " (events/s)", rate(m.eventsPerSecond(), "events/s"))
                            .baseline("read the log, lines counted", raw.eventsPerSecond(), "lines/s")
                            .bound(raw.eventsPerSecond(), "lines/s", m.eventsPerSecond() / raw.eventsPerSecond());
                    t.row("  run " + run + " per CPU-second of the checking thread (events/s)", rate(m.eventsPerCpuSecond(), "events/s"));
                    t.row("  run " + run + " peak heap (heap pools)",
                            BenchTable.v(m.peakHeapBytes() >> 20, "MB", String.format("%,d MB", m.peakHeapBytes() >> 20)));
                    if (best == null || m.eventsPerSecond() > best.eventsPerSecond()) best = m;
                }
                xensim.bench.TimelineBench.Measurement child = null;
                if (!childHeap.equals("none")) {
                    child = xensim.bench.TimelineBench.checkInChildJvm(file, childHeap);
                    t.row("timeline --check, fresh JVM -Xmx" + childHeap + " (events/s)", rate(child.eventsPerSecond(), "events/s"))
                            .baseline("read the log, lines counted", raw.eventsPerSecond(), "lines/s")
                            .bound(raw.eventsPerSecond(), "lines/s", child.eventsPerSecond() / raw.eventsPerSecond());
                    t.row("  fresh JVM per CPU-second of the checking thread (events/s)", rate(child.eventsPerCpuSecond(), "events/s"));
                    t.row("  fresh JVM peak heap (heap pools)",
                            BenchTable.v(child.peakHeapBytes() >> 20, "MB", String.format("%,d MB", child.peakHeapBytes() >> 20)));
                }
                t.row("in-process heap limit (-Xmx)", BenchTable.v(Runtime.getRuntime().maxMemory() >> 20, "MB",
                        String.format("%,d MB", Runtime.getRuntime().maxMemory() >> 20)));
                t.row("events checked", String.format("%,d (%d reader warnings)", best.events(), best.warnings()));
                t.row("offline verdict", best.verdict());
                // the target holds with bounded memory: judged on the fresh -Xmx JVM when there is one
                xensim.bench.TimelineBench.Measurement judged = child != null ? child : best;
                t.target(String.format("timeline --check >= 1,000,000 events/s%s", child != null ? " at -Xmx" + childHeap : " (in-process)"),
                        judged.eventsPerSecond() >= 1_000_000);
                t.print(out);
                json.write(spec, t);
                out.flush();
            } finally {
                if (tmp != null) java.nio.file.Files.deleteIfExists(tmp);
            }
            return Main.EXIT_CLEAN;
        }
    }

    /** A rate cell: "1,234,568" with its unit. */
    static BenchTable.Value rate(double v, String unit) {
        return BenchTable.v(v, unit, Double.isFinite(v) ? BenchTable.num(v) : "n/a");
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
