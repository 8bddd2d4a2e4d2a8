package xensim.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import xensim.platform.Mode;
import xensim.scenario.Scenario;
import xensim.stress.StressRunner;

/**
 * {@code xensim stress}: N runs of a scenario, threaded by default, optionally with CPU hogs; the
 * runs, the failures by verdict and the replay line of each failure. Exit 0 all clean, 1 any
 * failed, 2 bad input. The runs themselves are {@link StressRunner}'s; this only parses and prints.
 */
@Command(name = "stress",
        description = "Run a scenario N times (threaded by default, optionally with CPU hogs); print failures by verdict and their replay lines.")
public final class StressCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--runs", required = true, description = "number of runs (seeds --seed, --seed + 1, ...)")
    int runs;

    @Option(names = "--scenario", description = "a HOCON scenario file (defaults: reference.conf)")
    Path scenario;

    @Option(names = "--mode", description = "threaded (default) or deterministic")
    String mode = "threaded";

    @picocli.CommandLine.Mixin
    DesignOptions designs = new DesignOptions();

    @Option(names = "--strategy", description = "EBS design, built in or of --design-jar (default: the scenario's)")
    String strategy;

    @Option(names = "--fault", description = "a fault every run injects, kind@trigger[:key=value,...] (repeatable); " + xensim.nemesis.Fault.KINDS_HELP)
    List<String> faults = new ArrayList<>();

    @Option(names = "--seed", description = "seed of the first run (default 1)")
    long seed = 1;

    @Option(names = "--jobs", description = "runs at a time (default: the number of cores)")
    Integer jobs;

    @Option(names = "--hogs", description = "threads burning CPU while the runs go (default 0)")
    int hogs;

    @Option(names = "--keep-failed", description = "keep each failed run's event log as DIR/seed-N/events.jsonl")
    Path keepFailed;

    @Option(names = "--wall-limit", description = "seconds a run may take before it is stopped and judged (default 120)")
    int wallLimitSeconds = 120;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || runs > 1_000_000) throw new BadInputException("--runs must be between 1 and 1000000");
        int parallel = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        if (parallel < 1 || parallel > 256) throw new BadInputException("--jobs must be between 1 and 256");
        if (hogs < 0 || hogs > 256) throw new BadInputException("--hogs must be between 0 and 256");
        if (wallLimitSeconds < 1 || wallLimitSeconds > 86_400) throw new BadInputException("--wall-limit must be between 1 and 86400 seconds");
        if (seed < 0 || seed > Long.MAX_VALUE - runs) throw new BadInputException("--seed must be >= 0 and leave room for --runs seeds");
        Mode m;
        try {
            m = Mode.parse(mode);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--mode: " + e.getMessage());
        }
        Scenario sc = RunCommand.scenario(scenario, strategy, null, m.cliName(), null, null, faults, designs.keys());
        if (keepFailed != null) {
            try {
                java.nio.file.Files.createDirectories(keepFailed);
            } catch (java.io.IOException | RuntimeException e) {
                throw new BadInputException("--keep-failed " + keepFailed + ": cannot create it (" + e.getMessage() + ")");
            }
            if (!java.nio.file.Files.isWritable(keepFailed)) throw new BadInputException("--keep-failed " + keepFailed + ": not writable");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("xensim stress: %d runs of %s (strategy %s, mode %s, %d guests), seeds %d..%d, %d at a time, %d CPU hog%s%n", runs,
                sc.name(), sc.strategy(), m.cliName(), sc.guests(), seed, seed + runs - 1, parallel, hogs, hogs == 1 ? "" : "s");
        out.flush();
        int every = Math.max(1, runs / 20);
        StressRunner.Options o = new StressRunner.Options(sc, m, runs, seed, parallel, hogs, wallLimitSeconds * 1000L,
                s -> RunCommand.replay(scenario, sc, faults).replaceFirst("--seed \\S+", "--seed " + s), keepFailed);
        StressRunner.Report r = StressRunner.run(o, (done, failed) -> {
            if (done % every == 0 || done == runs) {
                synchronized (out) {
                    out.printf("  %d/%d runs, %d failed%n", done, runs, failed);
                    out.flush();
                }
            }
        });
        out.printf("runs: %d, clean: %d, failed: %d (%.1f s)%n", r.runs(), r.clean(), r.failures().size(), r.seconds());
        if (r.failed()) {
            out.println("failures by verdict:");
            for (Map.Entry<String, Integer> e : r.byVerdict().entrySet()) out.printf("  %-18s %d%n", e.getKey(), e.getValue());
            out.println("failed runs:");
            for (StressRunner.Failure f : r.failures()) {
                out.printf("  seed %d: %s, ended %s%n    replay: %s%n", f.seed(), String.join(" ", f.verdicts()), f.ending(), f.replay());
                if (f.events() != null) out.printf("    events: %s%n", f.events());
            }
            if (m == Mode.THREADED) out.println("note: threaded runs interleave as the machine does; a replay may not fail again (rerun it, or under load)");
        }
        out.flush();
        return r.failed() ? Main.EXIT_VIOLATION : Main.EXIT_CLEAN;
    }
}
