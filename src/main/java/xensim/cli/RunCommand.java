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
 * per-guest summary, the verdict line, {@code OUT/events.jsonl}; exit 0 clean, 1 violation. With
 * {@code --hosts H}, H independent hosts ({@link RunHosts}), here or on a cluster, and their summed
 * verdict.
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

    @Option(names = "--schedule-seed", description = "the seed of the schedule's choices (default: derived from --seed; with --hosts, from each host's seed)")
    Long scheduleSeed;

    @Option(names = "--hosts", paramLabel = "H",
            description = "run H independent hosts of this scenario, each with its guests, host k under seed S+k-1 (S: --seed, default 1): "
                    + "each host's verdict and replay line (a plain run of that host alone), the verdicts summed, exit 1 if any host violated an invariant; "
                    + "here on --jobs threads (each host's output in OUT/host-K/ as run writes it), or with --cluster on worker nodes (OUT/host-K/run.txt); "
                    + "OUT/hosts.json either way")
    Integer hosts;

    @Option(names = "--jobs", description = "--hosts: hosts at a time on this machine (default: the number of cores)")
    Integer jobs;

    @Option(names = "--host-logs", paramLabel = "all|violations|none",
            description = "--hosts: which hosts keep their events.jsonl, trace.json, report.html and disk images in OUT/host-K/: all (default here), "
                    + "violations (each host run once without, a violating one again with its log: the same run), none (default with --cluster; "
                    + "violations there runs the violating hosts again here); every host gets OUT/host-K/run.txt")
    String hostLogs;

    @Option(names = "--cluster", paramLabel = "HOST:PORT",
            description = "--hosts: run the hosts on an Akka cluster, as explore --cluster does: this run is its coordinator, formed at HOST:PORT (start workers with ./xensim worker --join HOST:PORT); the same verdicts as here")
    String cluster;

    @Option(names = "--min-workers", description = "--cluster: wait for this many workers before handing out hosts (default 1 with --no-local, else 0)")
    Integer minWorkers;

    @Option(names = "--no-local", description = "--cluster: run no host on this machine, only coordinate")
    boolean noLocal;

    @Option(names = "--worker-timeout", paramLabel = "TIME", description = "--cluster: how long to wait for --min-workers workers, or with no worker left, before giving up (exit 2; default 60s)")
    String workerTimeout;

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
        checkHostFlags();
        ScheduleSpec sched = schedule(schedule);
        Map<String, Object> keys = keys();
        Scenario parsed = scenario(scenario, strategy, seed, mode, guests, null, faults, keys);
        if (hosts != null) checkHostScenario(parsed); // before --firmware ovmf-c would build the real drivers
        Scenario sc = firmware.apply(parsed);
        if (hosts != null) return runHosts(sc, sched, keys);
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

    /** --hosts and the flags that go with it: what combines (bad input, exit 2, otherwise). */
    private void checkHostFlags() {
        if (hosts == null) {
            String which = jobs != null ? "--jobs" : hostLogs != null ? "--host-logs" : cluster != null ? "--cluster" : minWorkers != null ? "--min-workers" : noLocal ? "--no-local"
                    : workerTimeout != null ? "--worker-timeout" : null;
            if (which != null) throw new BadInputException(which + " goes with --hosts H (run H hosts); a single run is one host on one thread");
            return;
        }
        if (hosts < 1) throw new BadInputException("--hosts must be at least 1, got " + hosts);
        if (hosts > RunHosts.MAX_HOSTS) throw new BadInputException("--hosts must be at most " + RunHosts.MAX_HOSTS + ", got " + hosts);
        if (xenstoreSocket != null) {
            throw new BadInputException("--xenstore-socket serves one host's xenstored: not with --hosts (run that host alone, its replay line, with --xenstore-socket)");
        }
        if (hold) throw new BadInputException("--hold keeps one host up: not with --hosts (run that host alone, its replay line, with --hold)");
        if (jobs != null && (jobs < 1 || jobs > 1024)) throw new BadInputException("--jobs must be between 1 and 1024");
        if (hostLogs != null && RunHosts.Logs.parse(hostLogs) == RunHosts.Logs.ALL && cluster != null) {
            throw new BadInputException("--host-logs all with --cluster would run every host again here for its log: violations or none");
        }
        if (cluster == null && (minWorkers != null || noLocal || workerTimeout != null)) {
            throw new BadInputException((minWorkers != null ? "--min-workers" : noLocal ? "--no-local" : "--worker-timeout") + " goes with --cluster");
        }
        if (cluster != null) {
            if (ClusterExplore.hostPort(cluster) == null) throw new BadInputException("--cluster '" + cluster + "': expected HOST:PORT, e.g. 10.0.0.5:2552");
            if (minWorkers != null && (minWorkers < 0 || minWorkers > 10_000)) throw new BadInputException("--min-workers must be between 0 and 10000");
            if (noLocal && minWorkers != null && minWorkers < 1) throw new BadInputException("--no-local needs --min-workers of at least 1");
            if (workerTimeout != null) ClusterExplore.timeout(workerTimeout);
        }
    }

    /** What --hosts needs of the scenario: deterministic hosts of the Java models, seeds that fit. */
    private void checkHostScenario(Scenario sc) {
        if (sc.mode() != xensim.platform.Mode.DETERMINISTIC) {
            throw new BadInputException("--hosts runs deterministic hosts (each one reproduced alone by its replay line): not with --mode " + sc.mode().cliName());
        }
        xensim.firmware.FirmwareImpl impl = sc.firmwareImpl();
        if (firmware.firmware != null) {
            try {
                impl = xensim.firmware.FirmwareImpl.parse(firmware.firmware);
            } catch (IllegalArgumentException e) {
                return; // said by --firmware's own check
            }
        }
        if (impl == xensim.firmware.FirmwareImpl.OVMF_C) {
            throw new BadInputException("--hosts runs the Java models: --firmware ovmf-c runs one guest per process (its RAM is the process's address space); run one host at a time");
        }
        RunHosts.seed(sc.seed(), hosts);
    }

    /** run --hosts: the hosts as work items, here or through the cluster, then their summed verdict. */
    private int runHosts(Scenario sc, ScheduleSpec sched, Map<String, Object> keys) throws Exception {
        int h = hosts;
        int parallel = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        // the scenario as a worker makes it: the file's text and the command line's keys, the design and mode too
        Map<String, Object> hostKeys = new LinkedHashMap<>(keys);
        hostKeys.put("strategy", sc.strategy());
        hostKeys.put("mode", sc.mode().cliName());
        xensim.cluster.ScenarioSource src = ExploreItems.source(scenario, guests, faults, hostKeys);
        List<xensim.cluster.DesignJar> jars = cluster != null ? ClusterExplore.jars(sc) : List.of();
        List<xensim.cluster.WorkItem> items = RunHosts.items(sc, src, h, sched, scheduleSeed,
                jars.stream().map(xensim.cluster.DesignJar::sha256).toList());
        String[] replays = new String[h];
        for (xensim.cluster.WorkItem it : items) {
            replays[(int) it.index()] = replay(scenario, sc.withSeed(it.seed()), faults, noScenarioFaults, sched, it.scheduleSeed());
        }
        long last = RunHosts.seed(sc.seed(), h);
        Path planned = out != null ? out : Path.of("runs", LocalDate.now() + "-" + sc.seed() + "-hosts" + h);
        Path existed = UserPaths.nearestExisting(planned);
        Path dir = UserPaths.outputDir(planned, out != null ? "--out" : "the default --out");
        RunHosts.Logs logs = hostLogs != null ? RunHosts.Logs.parse(hostLogs) : cluster == null ? RunHosts.Logs.ALL : RunHosts.Logs.NONE;
        if (logs == RunHosts.Logs.ALL) {
            try {
                long free = SizeEstimate.freeSpace(dir);
                if (free >= 0 && !force) {
                    long each = SizeEstimate.of(sc).total();
                    if (each * (double) h > free) {
                        throw new BadInputException("--hosts " + h + ": the hosts would write about " + SizeEstimate.bytes(each * h) + " under " + dir
                                + " (" + SizeEstimate.bytes(each) + " each: events.jsonl, trace.json, report.html, disk images) but only "
                                + SizeEstimate.bytes(free) + " is free there; use --force to run anyway");
                    }
                }
            } catch (BadInputException e) {
                UserPaths.removeCreated(dir, existed);
                throw e;
            }
        }
        PrintWriter pw = spec.commandLine().getOut();
        pw.printf("xensim run --hosts %d: strategy %s, seeds %d..%d (host k: seed %d+k-1), schedule %s%s, scenario %s; %s%n", h, sc.strategy(),
                sc.seed(), last, sc.seed(), sched, sched.controlled() ? (scheduleSeed != null ? " (schedule seed " + scheduleSeed + " on every host)"
                        : " (each host's schedule seed derived from its seed)") : "", sc.name(),
                cluster == null ? parallel + " at a time here" : "through the cluster at " + cluster);
        pw.flush();
        long wallStart = System.nanoTime();
        xensim.cluster.ItemResult[] results;
        boolean bar = !noProgress && (terminal != null ? terminal : RunProgress.onTerminal());
        try (me.tongfei.progressbar.ProgressBar pb = bar ? new me.tongfei.progressbar.ProgressBarBuilder().setTaskName("hosts").setInitialMax(h)
                .setStyle(me.tongfei.progressbar.ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).build() : null) {
            Runnable step = () -> {
                if (pb != null) pb.step();
            };
            if (cluster == null) {
                List<Integer> all = new ArrayList<>();
                for (int i = 0; i < h; i++) all.add(i);
                results = RunHosts.runLocal(items, all, sc, parallel, logs, k -> dir.resolve(RunHosts.dirName(k, h)), k -> replays[k - 1], step);
            } else {
                Map<Long, xensim.cluster.WorkItem> byIndex = new LinkedHashMap<>();
                for (xensim.cluster.WorkItem it : items) byIndex.put(it.index(), it);
                java.util.concurrent.ConcurrentHashMap<Long, xensim.cluster.ItemResult> got = new java.util.concurrent.ConcurrentHashMap<>();
                ClusterExplore.Options co = new ClusterExplore.Options("run --hosts", cluster, minWorkers != null ? minWorkers : noLocal ? 1 : 0, noLocal,
                        ClusterExplore.timeout(workerTimeout != null ? workerTimeout : "60s"), parallel, dir, false);
                ClusterExplore.run(co, byIndex, jars, r -> {
                    got.put(r.index(), r);
                    step.run();
                }, spec.commandLine().getErr());
                results = new xensim.cluster.ItemResult[h];
                for (int i = 0; i < h; i++) {
                    results[i] = got.get((long) i);
                    if (results[i] == null) throw new IllegalStateException("the cluster finished without host " + (i + 1));
                    Path hd = Files.createDirectories(dir.resolve(RunHosts.dirName(i + 1, h)));
                    Files.writeString(hd.resolve("run.txt"), RunHosts.withReplay(results[i].text(), results[i].verdict().isEmpty(), replays[i]),
                            java.nio.charset.StandardCharsets.UTF_8);
                }
                if (logs == RunHosts.Logs.VIOLATIONS) { // the violating hosts again here, for their logs
                    List<Integer> violating = new ArrayList<>();
                    for (int i = 0; i < h; i++) if (!results[i].verdict().isEmpty()) violating.add(i);
                    xensim.cluster.ItemResult[] again = RunHosts.runLocal(items, violating, sc, parallel, RunHosts.Logs.ALL,
                            k -> dir.resolve(RunHosts.dirName(k, h)), k -> replays[k - 1], () -> {});
                    for (int i : violating) {
                        if (!again[i].verdict().equals(results[i].verdict()) || again[i].events() != results[i].events()) {
                            throw new IllegalStateException("host " + (i + 1) + " run here for its log gave " + again[i].verdict() + " in " + again[i].events()
                                    + " events, on " + results[i].node() + " " + results[i].verdict() + " in " + results[i].events()
                                    + ": the same seed must give the same run");
                        }
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - wallStart) / 1e9;
        List<RunHosts.Host> each = new ArrayList<>();
        for (int i = 0; i < h; i++) each.add(new RunHosts.Host(i + 1, results[i], replays[i]));
        RunHosts.Summary sum = new RunHosts.Summary(each);
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("strategy", sc.strategy());
        run.put("scenario", sc.name());
        Map<String, Object> seeds = new LinkedHashMap<>(); // not Map.of: its order changes from one JVM to the next
        seeds.put("first", sc.seed());
        seeds.put("last", last);
        run.put("seeds", seeds);
        run.put("schedule", sched.toString());
        Files.writeString(dir.resolve("hosts.json"), sum.json(run, sched.controlled()), java.nio.charset.StandardCharsets.UTF_8);
        for (String l : sum.lines()) pw.println(l);
        pw.println("hosts: " + dir.resolve("hosts.json") + "; each host's run.txt" + switch (logs) {
            case ALL -> ", events.jsonl, trace.json and report.html";
            case VIOLATIONS -> " (and a violating host's events.jsonl, trace.json and report.html)";
            case NONE -> " (no log: a host's replay line with --out writes it)";
        } + " in " + dir.resolve("host-K"));
        pw.printf(java.util.Locale.ROOT, "%d hosts in %.1f s (%.0f hosts/min %s)%n", h, seconds, h / seconds * 60,
                cluster == null ? "on " + parallel + " jobs" : "through the cluster");
        pw.flush();
        return sum.exitCode();
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
        if (!r.clean() && replay != null) { // null: a run --hosts host on a worker (the coordinator adds its own)
            out.println("replay: " + replay);
        }
        out.flush();
    }
}
