package xensim.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import xensim.dom0.xenstored.XenstoredSocketServer;
import java.util.LinkedHashMap;
import java.util.Map;
import xensim.nemesis.Fault;
import xensim.platform.schedule.ScheduleSpec;
import xensim.scenario.Scenario;
import xensim.runtime.Hold;
import xensim.runtime.Host;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;

/**
 * {@code xensim run}: one host and its guests through firmware, ExitBootServices and the OS; a
 * per-guest summary, the verdict line, {@code OUT/events.jsonl}; exit 0 clean, 1 violation.
 */
@Command(name = "run", description = "Run a simulation: guests boot through UEFI, exit boot services, hand over to an OS.")
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--strategy", description = "EBS design: disconnect, naive-reset, exit-callback, refcount, bus-tracks, before-ebs, or a design of --design-jar (default refcount)")
    String strategy;

    @picocli.CommandLine.Mixin
    DesignOptions designs = new DesignOptions();

    @Option(names = "--seed", description = "seed of every random choice (default 1)")
    Long seed;

    @Option(names = "--mode", description = "deterministic (default) or threaded")
    String mode;

    @Option(names = "--guests", description = "number of guests (default 1)")
    Integer guests;

    @Option(names = "--out", description = "output folder (default runs/<date>-<seed>/)")
    Path out;

    @Option(names = "--xenstore-socket", description = "serve this host's xenstored to real tools on this unix socket during the run")
    Path xenstoreSocket;

    @Option(names = "--hold", description = "keep the host and its guests up after the workloads end (xenstored keeps serving --xenstore-socket) until SIGTERM or Ctrl-C, then end the run as usual")
    boolean hold;

    /** Set by tests to end a --hold; null from the command line (SIGTERM/Ctrl-C end it). */
    CountDownLatch holdRelease;

    @Option(names = "--scenario", description = "a HOCON scenario file (defaults: reference.conf); flags override it")
    Path scenario;

    @Option(names = "--fault", description = "a fault to inject, kind@trigger[:key=value,...], e.g. 'backend-stall@ebs-begin:duration=5ms' (repeatable); "
            + xensim.nemesis.Fault.KINDS_HELP)
    List<String> faults = new ArrayList<>();

    @Option(names = "--no-progress", description = "no progress bar (it shows only with --guests > 1 on a terminal)")
    boolean noProgress;

    /** Set by tests to draw the progress bar as if on a terminal (null: ask System.console()). */
    Boolean terminal;

    @Option(names = "--force", description = "run even when the estimated output (events, trace, report, disk images) exceeds the free space of --out's file system")
    boolean force;

    @picocli.CommandLine.Mixin
    ProfileOptions profiles = new ProfileOptions();

    @Option(names = "--ebs-order", paramLabel = "ORDER",
            description = "the order of the ExitBootServices notify functions: edk2 (default: edk2's own, highest TPL first, the latest created first), seeded (drawn from the seed) or indexes in creation order, e.g. 1,0 (explore prints them for a failing order)")
    String ebsOrder;

    @Option(names = "--xs-reset-watches", paramLabel = "on|off",
            description = "whether the toolstack writes control/platform-feature-xs_reset_watches, as libxl does (default on); without it the OS sends no XS_RESET_WATCHES")
    String xsResetWatches;

    @picocli.CommandLine.Mixin
    FirmwareOptions firmware = new FirmwareOptions();

    @Option(names = "--disks", description = "disks per guest (scenario key guests.disks, default 1)")
    Integer disks;

    @Option(names = "--io-before-ebs", description = "the boot loader's read-ahead before EBS (guests.io-before-ebs, default 4)")
    Integer ioBeforeEbs;

    @Option(names = "--io-after-ebs", description = "the OS's verified I/Os after the handoff (guests.io-after-ebs, default 64)")
    Integer ioAfterEbs;

    /** The scenario keys the command line sets besides strategy, seed, mode, guests and faults. */
    @Option(names = "--no-scenario-faults",
            description = "leave out the --scenario file's own faults (the --fault ones still apply); shrink's minimal replay says it when it removed one of the file's faults")
    boolean noScenarioFaults;

    /** The scenario key that {@code --no-scenario-faults} sets: the file's {@code faults} list, emptied. */
    static final String FAULTS_KEY = "faults";

    Map<String, Object> keys() {
        Map<String, Object> keys = new LinkedHashMap<>(profiles.overrides());
        if (noScenarioFaults) keys.put(FAULTS_KEY, List.of());
        keys.putAll(designs.keys());
        if (ebsOrder != null) keys.put("firmware.ebs-order", ebsOrder);
        if (xsResetWatches != null) keys.put("toolstack.xs-reset-watches", onOff(xsResetWatches));
        if (disks != null) keys.put("guests.disks", disks);
        if (ioBeforeEbs != null) keys.put("guests.io-before-ebs", ioBeforeEbs);
        if (ioAfterEbs != null) keys.put("guests.io-after-ebs", ioAfterEbs);
        return keys;
    }

    @Option(names = "--schedule", paramLabel = "SCHEDULE",
            description = "deterministic mode: which runnable step goes next: fifo (default), random, pct:D[/K] (PCT, D-1 priority change points over K steps), pos (partial order sampling) or dev:STEP.INDEX,... (FIFO but for the listed deviations; what replay and shrink print); any but fifo runs one actor message per step")
    String schedule;

    @Option(names = "--schedule-seed", description = "the seed of the schedule's choices (default: derived from --seed)")
    Long scheduleSeed;

    /** --schedule parsed; bad input → exit 2. */
    static ScheduleSpec schedule(String s) {
        if (s == null) return ScheduleSpec.FIFO;
        try {
            return ScheduleSpec.parse(s);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--schedule: " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        ScheduleSpec sched = schedule(schedule);
        Map<String, Object> keys = keys();
        Scenario sc = firmware.apply(scenario(scenario, strategy, seed, mode, guests, null, faults, keys));
        if (xenstoreSocket != null) UserPaths.socketPath(xenstoreSocket, "--xenstore-socket");
        Path planned = out != null ? out : defaultOut(sc.seed());
        Path existed = UserPaths.nearestExisting(planned);
        Path dir = outDir(out, sc.seed());
        try {
            long free = SizeEstimate.freeSpace(dir);
            if (free >= 0) SizeEstimate.check(sc, dir, free, force);
        } catch (BadInputException e) {
            UserPaths.removeCreated(dir, existed); // refused: leave nothing behind
            throw e;
        }
        if (sched.controlled() && sc.mode() != xensim.platform.Mode.DETERMINISTIC) {
            throw new BadInputException("--schedule " + sched + " needs --mode deterministic (threaded runs are scheduled by the JVM)");
        }
        long sseed = scheduleSeed != null ? scheduleSeed : RunSpec.defaultScheduleSeed(sc.seed());
        HostConfig cfg = sc.hostConfig(dir.resolve("disks"));
        String replay = replay(scenario, sc, faults, noScenarioFaults, sched, sseed);
        RunResult r;
        try (RunProgress progress = RunProgress.start(sc.guests(), noProgress, terminal != null ? terminal : RunProgress.onTerminal(), System.err)) {
            r = runAndReport(spec.commandLine().getOut(), runSpec(sc, dir).withSchedule(sched, sseed), cfg, xenstoreSocket, hold, replay, holdRelease, progress);
        }
        return r.clean() ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION;
    }

    private static boolean onOff(String v) {
        return switch (v) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new BadInputException("--xs-reset-watches: on or off, got '" + v + "'");
        };
    }

    /** The scenario file (or the defaults) with the command line's flags and faults over it; bad input → exit 2. */
    static Scenario scenario(Path file, String strategy, Long seed, String mode, Integer guests, String flavour, List<String> faults) {
        return scenario(file, strategy, seed, mode, guests, flavour, faults, Map.of());
    }

    /** As above, with more scenario keys from the command line (the profile flags). */
    static Scenario scenario(Path file, String strategy, Long seed, String mode, Integer guests, String flavour, List<String> faults,
                             Map<String, Object> more) {
        Scenario sc;
        try {
            sc = Scenario.load(file, flags(strategy, seed, mode, guests, flavour, more));
        } catch (Scenario.ScenarioException e) {
            throw new BadInputException(e.getMessage());
        }
        return withFaults(sc, faults);
    }

    /**
     * As above, from the text of the scenario file named {@code file} (null text: none): the
     * scenario a cluster work item carries, read the same way on every node.
     */
    static Scenario scenario(String text, String file, Integer guests, List<String> faults, Map<String, Object> more) {
        Scenario sc;
        try {
            sc = Scenario.load(text, file, flags(null, null, null, guests, null, more));
        } catch (Scenario.ScenarioException e) {
            throw new BadInputException(e.getMessage());
        }
        return withFaults(sc, faults);
    }

    private static Map<String, Object> flags(String strategy, Long seed, String mode, Integer guests, String flavour, Map<String, Object> more) {
        Map<String, Object> flags = new LinkedHashMap<>(more);
        if (strategy != null) flags.put("strategy", strategy);
        if (seed != null) flags.put("seed", seed);
        if (mode != null) flags.put("mode", mode);
        if (guests != null) flags.put("guests.count", guests);
        if (flavour != null) flags.put("xenstored.flavour", flavour);
        return flags;
    }

    /** {@code sc} with the command line's --fault flags added (each checked against the host). */
    private static Scenario withFaults(Scenario sc, List<String> faults) {
        List<Fault> extra = new ArrayList<>();
        for (String f : faults == null ? List.<String>of() : faults) {
            Fault parsed;
            try {
                parsed = Fault.parse(f);
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--fault: " + e.getMessage());
            }
            String why = sc.misfit(parsed);
            if (why != null) throw new BadInputException("--fault: " + why);
            extra.add(parsed);
        }
        return extra.isEmpty() ? sc : sc.withMoreFaults(extra);
    }

    /** As below, naming the schedule too (and its seed when it makes choices). */
    static String replay(Path file, Scenario sc, List<String> cliFaults, ScheduleSpec sched, long scheduleSeed) {
        return replay(file, sc, cliFaults, false, sched, scheduleSeed);
    }

    /**
     * As below, naming the schedule too; with {@code noScenarioFaults} the file's own faults are left out
     * ({@code --no-scenario-faults}) and {@code cliFaults} are all the run's faults.
     */
    static String replay(Path file, Scenario sc, List<String> cliFaults, boolean noScenarioFaults, ScheduleSpec sched, long scheduleSeed) {
        String base = replay(file, sc, cliFaults, noScenarioFaults);
        String tail = " --schedule " + sched + (sched.controlled() && sched.kind() != ScheduleSpec.Kind.DEV ? " --schedule-seed " + scheduleSeed : "");
        int at = base.indexOf(" --firmware ");
        int end = base.indexOf(' ', at + " --firmware ".length());
        return end < 0 ? base + tail : base.substring(0, end) + tail + base.substring(end);
    }

    /** The one command that replays this run (the scenario file, then every setting that decides it). */
    static String replay(Path file, Scenario sc, List<String> cliFaults) {
        return replay(file, sc, cliFaults, false);
    }

    private static String replay(Path file, Scenario sc, List<String> cliFaults, boolean noScenarioFaults) {
        StringBuilder sb = new StringBuilder("./xensim run");
        if (file != null) sb.append(" --scenario ").append(shellQuote(file.toString()));
        sb.append(" --strategy ").append(sc.strategy()).append(" --seed ").append(sc.seed()).append(" --mode ").append(sc.mode().cliName());
        // every profile, defaults too: a replay must not change meaning when a default does
        sb.append(" --profile ").append(sc.backendProfile().cliName()).append(" --firmware-io ").append(sc.firmwareIo().cliName())
                .append(" --xenstored ").append(sc.flavour()).append(" --edk2 ").append(sc.edk2().cliName())
                .append(" --ebs-order ").append(sc.ebsOrder().cliName())
                .append(" --xs-reset-watches ").append(sc.xsResetWatches() ? "on" : "off")
                .append(" --firmware ").append(sc.firmwareImpl().cliName());
        for (Path p : sc.ovmfPatches()) sb.append(" --ovmf-patch ").append(shellQuote(p.toString()));
        for (Path jar : sc.designs().jars()) sb.append(" --design-jar ").append(shellQuote(jar.toString()));
        if (sc.guests() != 1 || file != null) sb.append(" --guests ").append(sc.guests());
        Scenario d = Scenario.defaults();
        if (sc.disks() != d.disks() || file != null) sb.append(" --disks ").append(sc.disks());
        if (sc.ioBeforeEbs() != d.ioBeforeEbs() || file != null) sb.append(" --io-before-ebs ").append(sc.ioBeforeEbs());
        if (sc.ioAfterEbs() != d.ioAfterEbs() || file != null) sb.append(" --io-after-ebs ").append(sc.ioAfterEbs());
        if (noScenarioFaults && file != null) sb.append(" --no-scenario-faults");
        for (String f : cliFaults == null ? List.<String>of() : cliFaults) sb.append(" --fault ").append(shellQuote(f));
        return sb.toString();
    }

    static String shellQuote(String s) {
        return s.matches("[A-Za-z0-9_./=:@,+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    static Path outDir(Path out, long seed) throws java.io.IOException {
        Path dir = out != null ? out : defaultOut(seed);
        UserPaths.outputDir(dir, out != null ? "--out" : "the default --out");
        Files.createDirectories(dir.resolve("disks"));
        return dir;
    }

    static Path defaultOut(long seed) {
        return Path.of("runs", LocalDate.now() + "-" + seed);
    }

    static RunSpec runSpec(Scenario sc, Path dir) {
        return new RunSpec(sc.seed(), sc.mode(), sc.strategy(), sc.name(), dir, 1.0, 600_000).withProfiles(sc.runBegin());
    }

    static RunResult runAndReport(PrintWriter out, RunSpec rs, HostConfig cfg, Path socket, boolean hold, String replay) throws Exception {
        return runAndReport(out, rs, cfg, socket, hold, replay, null);
    }

    /**
     * The socket is bound before the run (a bad path is bad input) and served from the moment
     * xenstored exists until the run is over — with {@code --hold}, until the hold is released
     * ({@code release}, or SIGTERM/Ctrl-C when null) and the guests are destroyed.
     */
    static RunResult runAndReport(PrintWriter out, RunSpec rs, HostConfig cfg, Path socket, boolean hold, String replay,
                                  CountDownLatch release) throws Exception {
        return runAndReport(out, rs, cfg, socket, hold, replay, release, null);
    }

    /** As above; {@code progress}, when not null, watches the run's events (the --guests progress bar). */
    static RunResult runAndReport(PrintWriter out, RunSpec rs, HostConfig cfg, Path socket, boolean hold, String replay,
                                  CountDownLatch release, RunProgress progress) throws Exception {
        XenstoredSocketServer server = null;
        if (socket != null) {
            try {
                server = XenstoredSocketServer.bind(socket);
            } catch (XenstoredSocketServer.PathInUseException e) {
                throw new BadInputException("--xenstore-socket " + e.getMessage());
            } catch (java.io.IOException e) {
                throw new BadInputException("--xenstore-socket " + socket + ": cannot listen there (" + UserPaths.reason(socket, e) + ")");
            }
        }
        Hold held = hold ? new Hold() : null;
        CountDownLatch released = release != null ? release : new CountDownLatch(1);
        SignalStop signals = hold && release == null ? SignalStop.install(released) : null;
        try {
            EbsOrderWatch ebs = new EbsOrderWatch();
            DesignFailureWatch designFailure = new DesignFailureWatch();
            ModellingErrorWatch modellingError = new ModellingErrorWatch();
            RunResult r;
            try {
                if (held != null) {
                    held.reached().thenRun(() -> {
                        out.println("guests finished; holding the host up (SIGTERM or Ctrl-C ends the run)");
                        out.flush();
                    });
                    Thread releaser = new Thread(() -> {
                        try {
                            released.await();
                            held.release();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }, "xensim-hold-release");
                    releaser.setDaemon(true);
                    releaser.start();
                }
                XenstoredSocketServer sv = server;
                r = Simulation.run(rs, (seam, done) -> Host.create(seam, cfg, done, (parts, ctx) -> {
                    if (sv != null) {
                        sv.serve(parts.xenstored());
                        out.println("xenstored listening on " + sv.path());
                        out.flush();
                    }
                }, held), held, progress == null ? new xensim.platform.EventSink[] {ebs, designFailure, modellingError}
                        : new xensim.platform.EventSink[] {ebs, designFailure, modellingError, progress});
            } finally {
                if (server != null) server.close();
            }
            if (progress != null) progress.close(); // the bar's last line before the summary
            designFailure.check(); // a design that threw: bad input, not a verdict
            // an explicit order that did not fit a guest's notify functions parked it: not the run asked for
            EbsOrderWatch.Mismatch misfit = ebs.seen().mismatch();
            if (misfit != null) throw new BadInputException(EbsOrderWatch.message(cfg.firmware().ebsOrder().indexes(), misfit));
            report(out, rs, r, replay);
            modellingError.check(); // after the report: the log and report.html show where it spun
            if (signals != null) signals.finished(r.clean() ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION);
            return r;
        } finally {
            if (signals != null) signals.close();
        }
    }

    private static void report(PrintWriter out, RunSpec rs, RunResult r, String replay) {
        printSummary(out, rs, r, replay);
        if (rs.mode() == xensim.platform.Mode.THREADED) {
            out.println("note: threaded mode runs on real threads with real time; the same seed may give a different run");
        }
        writeTimeline(out, r);
    }

    /** OUT/trace.json (Perfetto) and OUT/report.html, from the log just written, as {@code timeline} makes them. */
    static void writeTimeline(PrintWriter out, RunResult r) {
        if (r.eventsFile() == null) return;
        Path dir = r.eventsFile().getParent();
        try {
            xensim.timeline.TimelineAnalysis.Result a = xensim.timeline.TimelineAnalysis.analyse(r.eventsFile(),
                    new xensim.timeline.TimelineAnalysis.Options(xensim.timeline.Filter.ALL, true, true, dir.resolve("trace.json"),
                            dir.resolve("report.html")));
            out.println("report: " + dir.resolve("report.html") + "  trace: " + dir.resolve("trace.json") + " (ui.perfetto.dev)");
            if (!a.detail().all()) {
                out.println("trace and report thinned: " + a.detail().describe() + "; every event: ./xensim timeline "
                        + r.eventsFile() + " --trace-detail all --perfetto trace-full.json.gz --html report-full.html");
            }
        } catch (java.io.IOException | RuntimeException e) {
            out.println("report: not written (" + e.getMessage() + ")");
        }
        out.flush();
    }

    static void printSummary(PrintWriter out, RunSpec rs, RunResult r, String replay) {
        out.printf("xensim run: seed %d, mode %s, strategy %s, %d events, %.3f ms virtual, ended %s%n", rs.seed(),
                rs.mode().cliName(), rs.strategy(), r.events(), r.virtualNanos() / 1e6, r.ending());
        if (rs.schedule().controlled()) {
            out.printf("schedule %s (schedule seed %d): %d steps, %d deviations from FIFO%n", rs.schedule(), rs.scheduleSeed(),
                    r.steps(), r.deviations().size());
            if (rs.schedule().kind() != ScheduleSpec.Kind.DEV && r.deviations().size() <= 200) {
                out.println("the same schedule as deviations: --schedule " + ScheduleSpec.dev(r.deviations()));
            }
        }
        if (r.hostReport() instanceof Host.Report rep) {
            out.println("guest   dom  boot+EBS(ms)  OS(ms)  devices  requests  reconnects  verify-fail  xenstore    deferred  leaked");
            for (Host.GuestSummary g : rep.guests()) {
                int reconnects = g.connected() + ("reconnect".equals(g.xenstore()) ? 1 : 0);
                out.printf("%-7s %4d  %12.3f  %6.3f  %3d/%-3d  %8d  %10d  %11d  %-10s  %8d  %6d%n", g.name(), g.domid(),
                        (g.handoffAt() - g.createdAt()) / 1e6, (g.doneAt() - g.handoffAt()) / 1e6, g.connected(), g.devices(),
                        g.ios(), reconnects, g.verifyFailures(), g.xenstore(), g.deferredGrants(), g.leakedGrants());
            }
        }
        if (r.eventsFile() != null) out.println("events: " + r.eventsFile());
        out.println(r.verdictLine());
        if (!r.clean()) {
            out.println("replay: " + replay);
        }
        out.flush();
    }
}
