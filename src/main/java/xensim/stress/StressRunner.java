package xensim.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;
import xensim.check.Invariant;
import xensim.platform.Mode;
import xensim.runtime.Host;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;
import xensim.scenario.Scenario;

/**
 * Many runs of one scenario, threaded by default, to shake out races the deterministic executor
 * cannot produce: {@code runs} simulations with seeds {@code firstSeed..}, {@code jobs} at a time,
 * optionally with {@code hogs} threads burning CPU meanwhile (the interleavings a loaded machine
 * gives). A run fails when its verdict is not clean, when it did not complete, or when the host
 * failed; each failure keeps its verdict, how it ended and the command that replays it (in
 * threaded mode the replay runs the same configuration; the interleaving is the machine's).
 *
 * <p>Harness code: it reads the wall clock (run times, the wall limit) and starts real threads.
 */
public final class StressRunner {
    private StressRunner() {}

    /**
     * @param scenario   the scenario every run uses (its mode is replaced by {@code mode})
     * @param mode       threaded or deterministic
     * @param runs       how many runs (seeds firstSeed, firstSeed + 1, ...)
     * @param jobs       runs at a time
     * @param hogs       CPU hog threads while the runs go
     * @param wallLimitMs a run still busy after this much wall time is stopped and judged
     * @param replay     the replay command of the run with a given seed
     * @param keepFailed where each failed run's events.jsonl is kept (as {@code seed-N/events.jsonl}), or null
     */
    public record Options(Scenario scenario, Mode mode, int runs, long firstSeed, int jobs, int hogs, long wallLimitMs,
                          LongFunction<String> replay, Path keepFailed) {
        public Options {
            if (runs < 1) throw new IllegalArgumentException("runs must be >= 1");
            if (jobs < 1) throw new IllegalArgumentException("jobs must be >= 1");
            if (hogs < 0) throw new IllegalArgumentException("hogs must be >= 0");
            if (wallLimitMs <= 0) throw new IllegalArgumentException("wall limit must be > 0");
        }
    }

    /** A failed run: its seed, what it violated (or why it is not clean), how it ended, its replay, its log (or null). */
    public record Failure(long seed, List<String> verdicts, String ending, String replay, Path events) {}

    /** What the runs gave: counts, failures by verdict (a run may count under several), each failure. */
    public record Report(int runs, int clean, Map<String, Integer> byVerdict, List<Failure> failures, double seconds) {
        public boolean failed() {
            return !failures.isEmpty();
        }
    }

    /** Told after every run (from the worker threads). */
    public interface Progress {
        void done(int finished, int failed);
    }

    /** A verdict for a run that is clean but did not complete: the harness stopped it or it went quiet. */
    public static final String NOT_COMPLETED = "NOT_COMPLETED";
    /** A verdict for a run whose host failed (an exception instead of a result). */
    public static final String HOST_FAILED = "HOST_FAILED";

    public static Report run(Options o, Progress progress) throws IOException, InterruptedException {
        // bind SLF4J to Logback before runs start logging (and opening their event files) concurrently:
        // during initialisation SLF4J hands out substitute loggers, which the file sink cannot use
        org.slf4j.LoggerFactory.getILoggerFactory();
        Path disks = Files.createTempDirectory("xensim-stress");
        List<Thread> hogs = startHogs(o.hogs());
        ExecutorService pool = Executors.newFixedThreadPool(o.jobs());
        AtomicInteger finished = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        long t0 = System.nanoTime();
        try {
            List<Future<Failure>> futures = new ArrayList<>();
            for (int i = 0; i < o.runs(); i++) {
                long seed = o.firstSeed() + i;
                futures.add(pool.submit(() -> {
                    Failure f = runOne(o, seed, disks);
                    if (f != null) failed.incrementAndGet();
                    if (progress != null) progress.done(finished.incrementAndGet(), failed.get());
                    return f;
                }));
            }
            List<Failure> failures = new ArrayList<>();
            for (Future<Failure> f : futures) {
                try {
                    Failure x = f.get();
                    if (x != null) failures.add(x);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("a stress worker failed", e.getCause());
                }
            }
            failures.sort(Comparator.comparingLong(Failure::seed));
            Map<String, Integer> byVerdict = new TreeMap<>();
            for (Failure f : failures) for (String v : f.verdicts()) byVerdict.merge(v, 1, Integer::sum);
            return new Report(o.runs(), o.runs() - failures.size(), byVerdict, failures, (System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
            stopHogs(hogs);
            deleteTree(disks);
        }
    }

    /** One run; null when it was clean and completed. */
    static Failure runOne(Options o, long seed, Path disks) throws IOException {
        Scenario sc = o.scenario();
        Path d = Files.createTempDirectory(disks, "run-" + seed + "-");
        Path logDir = o.keepFailed() == null ? null : o.keepFailed().resolve("seed-" + seed);
        boolean keep = false;
        try {
            HostConfig cfg = sc.hostConfig(d);
            RunResult r;
            try {
                r = Simulation.run(new RunSpec(seed, o.mode(), sc.strategy(), sc.name(), logDir, 1.0, o.wallLimitMs()),
                        (seam, done) -> Host.create(seam, cfg, done));
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                keep = logDir != null;
                return new Failure(seed, List.of(HOST_FAILED), e.getMessage() + ": " + cause, o.replay().apply(seed), events(logDir));
            }
            if (r.clean() && r.ending() == RunResult.Ending.COMPLETED) return null;
            List<String> verdicts = new ArrayList<>();
            for (Invariant i : r.verdict()) verdicts.add(i.name());
            if (verdicts.isEmpty()) verdicts.add(NOT_COMPLETED);
            keep = logDir != null;
            return new Failure(seed, verdicts, r.ending().name(), o.replay().apply(seed), events(logDir));
        } finally {
            deleteTree(d);
            if (logDir != null && !keep) deleteTree(logDir);
        }
    }

    private static Path events(Path logDir) {
        return logDir == null ? null : logDir.resolve("events.jsonl");
    }

    /** Threads that keep every core busy with arithmetic until stopped. */
    static List<Thread> startHogs(int n) {
        List<Thread> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                long x = Thread.currentThread().getId();
                while (!Thread.currentThread().isInterrupted()) {
                    for (int k = 0; k < 100_000; k++) x = x * 6364136223846793005L + 1442695040888963407L;
                    if (x == 42) System.out.print(""); // keep the loop from being optimised away
                }
            }, "xensim-stress-hog-" + i);
            t.setDaemon(true);
            t.setPriority(Thread.NORM_PRIORITY);
            t.start();
            out.add(t);
        }
        return out;
    }

    static void stopHogs(List<Thread> hogs) throws InterruptedException {
        for (Thread t : hogs) t.interrupt();
        for (Thread t : hogs) t.join(5_000);
    }

    static void deleteTree(Path p) {
        try (var s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is harmless
        }
    }
}
