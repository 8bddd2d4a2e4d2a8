package xensim.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import xensim.check.Invariant;
import xensim.platform.Mode;
import xensim.platform.schedule.ScheduleSpec;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.scenario.Scenario;
import xensim.shrink.Shrinker;

/**
 * {@code xensim shrink -- <replay args>}: delta-debugs a failing run to a minimal one that still
 * breaks the same invariant — fewer faults, guests, disks and I/Os, and the schedule's
 * deviations from FIFO reverted — and prints the minimal replay, what was removed and the runs it
 * took; then runs the minimal replay once more with its events.jsonl and report.html.
 */
@Command(name = "shrink", description = "Shrink a failing run to a minimal replay: xensim shrink -- <the replay's run arguments>.")
public final class ShrinkCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--invariant", description = "the invariant that must still break (default: the first the run breaks)")
    String invariant;

    @Option(names = "--out", description = "folder for the minimal run's events.jsonl and report.html (default runs/shrink-<date>/)")
    Path out;

    @Parameters(arity = "1..*", paramLabel = "REPLAY", description = "the replay line's arguments, after --: [./xensim] [run] --strategy ... --seed ...")
    List<String> replay = new ArrayList<>();

    /**
     * What a replay line fixes of a run; a {@link Shrinker.Variant} varies the rest. {@code faults} are all the run's
     * faults, the scenario file's own first ({@code fileFaults} of them), then the --fault ones: ddmin removes either
     * kind, and the scenario is always built with the file's list emptied and these given instead.
     */
    record Target(Path file, Map<String, Object> keys, String strategy, long seed, String mode, List<String> faults,
                  int fileFaults, int guests, ScheduleSpec schedule, long scheduleSeed) {
        Target withSchedule(ScheduleSpec s) {
            return new Target(file, keys, strategy, seed, mode, faults, fileFaults, guests, s, scheduleSeed);
        }
    }

    /**
     * The target of a replay of {@code sc}: its scenario file's faults (unless the replay already left them out)
     * and then the command line's, all of them shrinkable.
     */
    static Target target(Path file, Map<String, Object> keys, Scenario sc, List<String> cliFaults, ScheduleSpec sched, long scheduleSeed) {
        List<String> all = new ArrayList<>();
        int fromFile = 0;
        if (file != null && !keys.containsKey(RunCommand.FAULTS_KEY)) {
            fromFile = sc.faults().size() - cliFaults.size();
            for (int i = 0; i < fromFile; i++) all.add(sc.faults().get(i).text());
        }
        all.addAll(cliFaults);
        Map<String, Object> k = new LinkedHashMap<>(keys);
        k.put(RunCommand.FAULTS_KEY, List.of());
        return new Target(file, k, sc.strategy(), sc.seed(), sc.mode().cliName(), List.copyOf(all), fromFile, sc.guests(), sched, scheduleSeed);
    }

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(replay);
        if (!args.isEmpty() && (args.get(0).endsWith("xensim"))) args.remove(0);
        if (!args.isEmpty() && args.get(0).equals("run")) args.remove(0);
        RunCommand rc = new RunCommand();
        try {
            new CommandLine(rc).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new BadInputException("shrink: the replay's arguments: " + e.getMessage());
        }
        if (rc.xenstoreSocket != null || rc.hold) throw new BadInputException("shrink: a replay with --xenstore-socket or --hold cannot be shrunk");
        ScheduleSpec sched = RunCommand.schedule(rc.schedule);
        Scenario sc = RunCommand.scenario(rc.scenario, rc.strategy, rc.seed, rc.mode, rc.guests, null, rc.faults, rc.keys());
        if (sc.mode() != Mode.DETERMINISTIC) throw new BadInputException("shrink needs a deterministic run (each attempt must be exact)");
        long sseed = rc.scheduleSeed != null ? rc.scheduleSeed : RunSpec.defaultScheduleSeed(sc.seed());
        Target t = target(rc.scenario, profileKeys(rc), sc, List.copyOf(rc.faults), sched, sseed);
        Invariant want = null;
        if (invariant != null) {
            try {
                want = Invariant.valueOf(invariant);
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--invariant: unknown invariant '" + invariant + "'");
            }
        }
        Path dir = UserPaths.outputDir(out != null ? out : Path.of("runs", "shrink-" + LocalDate.now()), out != null ? "--out" : "the default --out");
        return shrink(spec.commandLine().getOut(), t, sc, want, dir, true) == null ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION;
    }

    /** The run's scenario keys but the ones a variant sets (disks, I/Os). */
    static Map<String, Object> profileKeys(RunCommand rc) {
        Map<String, Object> k = new LinkedHashMap<>(rc.profiles.overrides());
        if (rc.ebsOrder != null) k.put("firmware.ebs-order", rc.ebsOrder);
        if (rc.noScenarioFaults) k.put(RunCommand.FAULTS_KEY, List.of());
        return k;
    }

    /** A variant's scenario; null when one of its faults does not fit its host (no such run). */
    static Scenario scenario(Target t, Shrinker.Variant v) {
        Map<String, Object> keys = new LinkedHashMap<>(t.keys());
        keys.put("guests.disks", v.disks());
        keys.put("guests.io-before-ebs", v.ioBefore());
        keys.put("guests.io-after-ebs", v.ioAfter());
        try {
            return RunCommand.scenario(t.file(), t.strategy(), t.seed(), t.mode(), v.guests(), null, v.faults(), keys);
        } catch (BadInputException e) {
            return null;
        }
    }

    static ScheduleSpec schedule(Target t, Shrinker.Variant v) {
        return v.deviations() != null ? ScheduleSpec.dev(v.deviations()) : t.schedule();
    }

    static RunResult run(Target t, Shrinker.Variant v, Path disks) throws Exception {
        Scenario sc = scenario(t, v);
        if (sc == null) return null;
        return ExploreCommand.runOne(sc, t.strategy(), t.seed(), null, disks, schedule(t, v), t.scheduleSeed()).result();
    }

    /**
     * The variant's replay: with the scenario file's faults all kept (in order, at the front), the file brings them
     * and the line names only the rest; with one of them removed, {@code --no-scenario-faults} and every kept fault.
     */
    static String replayLine(Target t, Shrinker.Variant v) {
        Scenario sc = scenario(t, v);
        ScheduleSpec s = schedule(t, v);
        List<String> fileFaults = t.faults().subList(0, t.fileFaults());
        boolean fileKept = v.faults().size() >= fileFaults.size() && v.faults().subList(0, fileFaults.size()).equals(fileFaults);
        if (fileKept) return RunCommand.replay(t.file(), sc, v.faults().subList(fileFaults.size(), v.faults().size()), false, s, t.scheduleSeed());
        return RunCommand.replay(t.file(), sc, v.faults(), true, s, t.scheduleSeed());
    }

    /**
     * Shrinks one failing run and prints the outcome; returns the minimal replay line, or null when
     * the run does not fail (nothing to shrink). With {@code finalRun}, the minimal replay is run
     * once more into {@code dir} (events.jsonl, report.html).
     */
    static String shrink(PrintWriter out, Target t, Scenario sc, Invariant want, Path dir, boolean finalRun) throws Exception {
        long wall = System.nanoTime();
        Path disks = Files.createTempDirectory("xensim-shrink");
        try {
            Shrinker.Variant v0 = new Shrinker.Variant(t.faults(), sc.guests(), sc.disks(), sc.ioBeforeEbs(), sc.ioAfterEbs(), null);
            RunResult first = run(t, v0, disks);
            if (first.clean()) {
                out.println("shrink: the run is clean (" + first.verdictLine() + "): nothing to shrink");
                out.flush();
                return null;
            }
            Invariant target = want != null ? want : first.verdict().iterator().next();
            if (!first.verdict().contains(target)) {
                out.println("shrink: the run does not break " + target + " (" + first.verdictLine() + ")");
                out.flush();
                return null;
            }
            int runs = 1;
            if (t.schedule().controlled()) {
                // the schedule as its deviations from FIFO: the same run, and a list ddmin can cut
                v0 = new Shrinker.Variant(v0.faults(), v0.guests(), v0.disks(), v0.ioBefore(), v0.ioAfter(), first.deviations());
                RunResult asDev = run(t, v0, disks);
                runs++;
                if (!asDev.verdict().contains(target)) {
                    throw new IllegalStateException("the schedule replayed from its deviations does not fail the same way: " + asDev.verdictLine());
                }
            }
            out.println("shrink: " + first.verdictLine() + "; keeping " + target + ", shrinking " + t.faults().size() + " faults"
                    + (t.fileFaults() > 0 ? " (" + t.fileFaults() + " of them the scenario file's)" : "") + ", "
                    + v0.guests() + " guests, " + v0.disks() + " disks, I/Os " + v0.ioBefore() + " before and " + v0.ioAfter() + " after EBS"
                    + (v0.deviations() != null ? ", " + v0.deviations().size() + " schedule deviations from FIFO" : ""));
            out.flush();
            Invariant tgt = target;
            long[] lastSteps = {first.steps()};
            Shrinker sh = new Shrinker(v -> {
                try {
                    RunResult r = run(t, v, disks);
                    return r != null && r.verdict().contains(tgt);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Shrinker.Result res = sh.shrink(v0);
            Shrinker.Variant m = res.minimal();
            int extra = 0;
            Target ft = t;
            if (m.deviations() != null && m.deviations().isEmpty()) {
                // no deviation needed: try plain fifo (throughput 16), the simplest replay of all
                Target fifo = t.withSchedule(ScheduleSpec.FIFO);
                Shrinker.Variant mf = new Shrinker.Variant(m.faults(), m.guests(), m.disks(), m.ioBefore(), m.ioAfter(), null);
                RunResult rf = run(fifo, mf, disks);
                extra++;
                if (rf != null && rf.verdict().contains(target)) {
                    ft = fifo;
                    m = mf;
                }
            }
            RunResult last = run(ft, m, disks);
            lastSteps[0] = last.steps();
            String line = replayLine(ft, m);
            double secs = (System.nanoTime() - wall) / 1e9;
            out.println("removed: " + (res.removed().isEmpty() ? "nothing (the run is minimal already)" : String.join("; ", res.removed())));
            out.printf("runs: %d (%.1f s); faults %d -> %d, guests %d -> %d, disks %d -> %d, I/Os %d+%d -> %d+%d%s, steps %d -> %d%n",
                    runs + res.runs() + extra + 1, secs, t.faults().size(), m.faults().size(), v0.guests(), m.guests(), v0.disks(), m.disks(),
                    v0.ioBefore(), v0.ioAfter(), m.ioBefore(), m.ioAfter(),
                    v0.deviations() != null ? ", deviations " + v0.deviations().size() + " -> " + (m.deviations() != null ? m.deviations().size() + "" : "0 (fifo)") : "",
                    first.steps(), last.steps());
            out.println("minimal replay: " + line);
            out.flush();
            if (finalRun) {
                Scenario msc = scenario(ft, m);
                Path runDir = RunCommand.outDir(dir, msc.seed());
                HostConfig cfg = msc.hostConfig(runDir.resolve("disks"));
                RunCommand.runAndReport(out, RunCommand.runSpec(msc, runDir).withSchedule(schedule(ft, m), ft.scheduleSeed()), cfg, null, false, line);
            }
            return line;
        } finally {
            ExploreCommand.deleteTree(disks);
        }
    }
}
