package xensim.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import xensim.check.Invariant;
import xensim.firmware.FirmwareConfig;
import xensim.platform.Mode;
import xensim.runtime.Host;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;
import xensim.scenario.Scenario;

/**
 * {@code xensim explore}: many independent deterministic runs (strategies × seeds, optionally ×
 * every EBS notify order), in parallel over the cores, then the matrix strategy × invariant with
 * the count of failing runs and, per failing cell, the smallest failing seed and its replay command.
 */
@Command(name = "explore", description = "Run many seeds (and notify orders) per EBS design in parallel; print the strategy x invariant matrix.")
public final class ExploreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    ProfileOptions profiles = new ProfileOptions();

    @Option(names = "--strategy", description = "an EBS design (built in or of --design-jar), a comma list of them, or 'all' (default all: every one)")
    String strategy = "all";

    @picocli.CommandLine.Mixin
    DesignOptions designs = new DesignOptions();

    @picocli.CommandLine.Mixin
    FirmwareOptions firmware = new FirmwareOptions();

    @Option(names = "--seeds", description = "seeds 1..N per strategy (default 20)")
    int seeds = 20;

    @Option(names = "--orders", description = "'all': every EBS notify order of the bus and its devices (a superset of what firmware does) instead of the scenario's (default edk2's own); the output lists each order's failures and marks edk2's")
    String orders;

    @Option(names = "--scenario", description = "a HOCON scenario file (the guests, backend and faults every run uses)")
    Path scenario;

    @Option(names = "--fault", description = "a fault every run injects, kind@trigger[:key=value,...] (repeatable); " + xensim.nemesis.Fault.KINDS_HELP)
    List<String> faults = new ArrayList<>();

    @Option(names = "--guests", description = "guests per run (default: the scenario's, 1)")
    Integer guests;

    @Option(names = "--jobs", description = "runs in parallel (default: the number of cores)")
    Integer jobs;

    @Option(names = "--out", description = "output folder for matrix.json, matrix.md and report.html (with seeds/: each failing cell's smallest seed run again, its own report.html) (default runs/explore-<date>/)")
    Path out;

    @Option(names = "--no-progress", description = "no progress bar (for logs)")
    boolean noProgress;

    @Option(names = "--schedule", paramLabel = "LIST",
            description = "schedules to explore, a comma list of fifo (default), random, pct:D[/K], pos: one matrix row per design and schedule; pct:D without K takes K from one FIFO run at throughput 1 of seed 1")
    String schedule = "fifo";

    @Option(names = "--schedules", description = "schedule seeds per seed for the controlled schedules (default 1: the one derived from the seed)")
    int schedulesPerSeed = 1;

    @Option(names = "--budget", paramLabel = "TIME", description = "keep drawing seeds (and schedule seeds) until this much wall time has passed, e.g. 60s, 5m; --seeds is then ignored")
    String budget;

    @Option(names = "--stop-on-first", description = "stop at the first violation (its row, seed and replay are printed)")
    boolean stopOnFirst;

    @Option(names = "--shrink", description = "shrink the smallest failing run of each failing row (as xensim shrink does) and print its minimal replay")
    boolean shrink;

    @Option(names = "--exhaustive", description = "bounded exhaustive search of the schedules from EBS_BEGIN to the OS's first verified I/O, per design (1 guest, 1 disk expected); see --preemptions")
    boolean exhaustive;

    @Option(names = "--no-prune", description = "--exhaustive: run every alternative, also those already explored from the same state")
    boolean noPrune;

    @Option(names = "--preemptions", description = "--exhaustive: at most this many deviations from FIFO per schedule (delay bounding; default 2)")
    int preemptions = 2;

    @Option(names = "--cluster", paramLabel = "HOST:PORT",
            description = "run on an Akka cluster: this explore is its coordinator, formed at HOST:PORT (an address of this machine the workers reach; start them with ./xensim worker --join HOST:PORT); the matrix is the same as a local explore's")
    String cluster;

    @Option(names = "--min-workers", description = "--cluster: wait for this many workers before handing out runs (default 1 with --no-local, else 0)")
    Integer minWorkers;

    @Option(names = "--no-local", description = "--cluster: run nothing on this machine, only coordinate")
    boolean noLocal;

    @Option(names = "--worker-timeout", paramLabel = "TIME", description = "--cluster: how long to wait for --min-workers workers, or with no worker left, before giving up (exit 2; default 60s)")
    String workerTimeout = "60s";

    @Option(names = "--resume", paramLabel = "DIR", description = "continue an explore that stopped from the runs its DIR/results.jsonl holds (the same arguments; DIR is the --out)")
    Path resume;

    /** Per profile combination: its scenario as text, what a work item carries. */
    private List<xensim.cluster.ScenarioSource> sources;

    /** The schedules explored (fifo alone unless --schedule lists more). */
    private List<xensim.platform.schedule.ScheduleSpec> schedules = List.of(xensim.platform.schedule.ScheduleSpec.FIFO);

    /**
     * One run's identity and outcome, and what its ExitBootServices showed. {@code order} is the
     * explicit notify order it ran, or null when it ran the seeded one — or never reached EBS, where
     * no order plays a part (its replay needs none).
     */
    record Outcome(String strategy, long seed, List<Integer> order, RunResult result, EbsOrderWatch.Seen ebs, List<String> notified,
                   List<Integer> notifiedRegistered, long scheduleSeed) {
        /** The EBS notify functions of the first guest that reached EBS (-1: none did). */
        int notifies() {
            return ebs.first();
        }

        /** Whether the explicit order it ran is the one edk2's own queues give (EBS_BEGIN edk2Order). */
        boolean ranEdk2Order() {
            return order != null && order.equals(ebs.edk2Order());
        }
    }

    /**
     * One run to do: a design under one profile combination ({@code combo}, an index into the
     * scenarios) and one schedule ({@code sched}, an index into the schedules) with its seed.
     */
    record Plan(String strategy, int combo, long seed, List<Integer> order, int sched, long scheduleSeed) {
        Plan(String strategy, int combo, long seed, List<Integer> order) {
            this(strategy, combo, seed, order, 0, RunSpec.defaultScheduleSeed(seed));
        }
    }

    /** A matrix row: a design under one profile combination and one schedule. */
    record Row(String strategy, int combo, int sched) {
        Row(String strategy, int combo) {
            this(strategy, combo, 0);
        }
    }

    /** The schedule seed of the j-th schedule of {@code seed} (j = 0: the one run's own default). */
    static long scheduleSeed(long seed, int j) {
        return j == 0 ? RunSpec.defaultScheduleSeed(seed) : xensim.platform.Seam.deriveSeed(seed, "schedule/" + j);
    }

    /** "60s", "5m", "1h" or plain seconds → milliseconds; bad input otherwise. */
    static long budgetMillis(String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(s.trim());
        if (!m.matches()) throw new BadInputException("--budget '" + s + "': expected a duration such as 60s, 5m or 1h");
        long v = Long.parseLong(m.group(1));
        String u = m.group(2) == null ? "s" : m.group(2);
        long ms = switch (u) { case "ms" -> v; case "s" -> v * 1000; case "m" -> v * 60_000; default -> v * 3_600_000; };
        if (ms < 1 || ms > 7L * 24 * 3_600_000) throw new BadInputException("--budget must be between 1ms and 7 days");
        return ms;
    }

    /** A finished run and the plan it came from. */
    record Ran(Plan plan, Outcome outcome) {}

    /** With --orders all: per row, each explicit order's runs (in first-seen order). */
    private Map<Row, Map<List<Integer>, OrderStat>> orderStats = Map.of();

    /** How one explicit order fared in a row: runs, failing runs, invariants hit, runs where it was edk2's own order. */
    static final class OrderStat {
        int runs;
        int failing;
        int edk2Runs;
        final java.util.Set<Invariant> invariants = java.util.EnumSet.noneOf(Invariant.class);
    }

    static Map<Row, Map<List<Integer>, OrderStat>> orderStats(List<Ran> outcomes) {
        Map<Row, Map<List<Integer>, OrderStat>> m = new LinkedHashMap<>();
        for (Ran ran : outcomes) {
            Outcome o = ran.outcome();
            if (o.order() == null) continue;
            OrderStat st = m.computeIfAbsent(new Row(o.strategy(), ran.plan().combo(), ran.plan().sched()), k -> new LinkedHashMap<>())
                    .computeIfAbsent(o.order(), k -> new OrderStat());
            st.runs++;
            if (!o.result().clean()) st.failing++;
            if (o.ranEdk2Order()) st.edk2Runs++;
            st.invariants.addAll(o.result().verdict());
        }
        return m;
    }

    static String edk2Mark(OrderStat st) {
        if (st.edk2Runs == 0) return "";
        return st.edk2Runs == st.runs ? " (edk2)" : " (edk2 in " + st.edk2Runs + " of " + st.runs + " runs)";
    }

    private void appendOrders(StringBuilder sb) {
        sb.append("\nEBS notify orders (indexes in creation order; (edk2) marks the order edk2's own queues give: highest TPL first,"
                + " the latest created first):\n\n| strategy | order | runs | failing | invariants |\n|---|---|---:|---:|---|\n");
        for (Map.Entry<Row, Map<List<Integer>, OrderStat>> row : orderStats.entrySet()) {
            for (Map.Entry<List<Integer>, OrderStat> e : row.getValue().entrySet()) {
                OrderStat st = e.getValue();
                sb.append("| ").append(rowName(row.getKey())).append(" | ")
                        .append(e.getKey().stream().map(String::valueOf).collect(Collectors.joining(","))).append(edk2Mark(st))
                        .append(" | ").append(st.runs).append(" | ").append(st.failing).append(" | ")
                        .append(st.invariants.isEmpty() ? "—" : st.invariants.stream().map(Enum::name).collect(Collectors.joining(" ")))
                        .append(" |\n");
            }
        }
    }

    /** The scenario of each profile combination (one when no profile flag lists several values). */
    private List<Scenario> scenarios;

    @Override
    public Integer call() throws Exception {
        if (seeds < 1 || seeds > 1_000_000) throw new BadInputException("--seeds must be between 1 and 1000000");
        if (orders != null && !orders.equals("all")) throw new BadInputException("--orders takes 'all' (got '" + orders + "')");
        schedules = new ArrayList<>();
        List<Boolean> estimateK = new ArrayList<>();
        for (String part : schedule.split(",")) {
            xensim.platform.schedule.ScheduleSpec spec;
            try {
                spec = xensim.platform.schedule.ScheduleSpec.parse(part);
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--schedule: " + e.getMessage());
            }
            if (spec.kind() == xensim.platform.schedule.ScheduleSpec.Kind.DEV) throw new BadInputException("--schedule: explore draws schedules (fifo, random, pct:D[/K], pos); replay a dev: schedule with run");
            schedules.add(spec);
            estimateK.add(spec.kind() == xensim.platform.schedule.ScheduleSpec.Kind.PCT && !part.contains("/"));
        }
        if (schedulesPerSeed < 1 || schedulesPerSeed > 10_000) throw new BadInputException("--schedules must be between 1 and 10000");
        if (orders != null && (schedules.size() > 1 || schedules.get(0).controlled())) throw new BadInputException("--orders all runs FIFO schedules only");
        long budgetMs = budget == null ? 0 : budgetMillis(budget);
        if (resume != null) {
            if (out != null && !out.equals(resume)) throw new BadInputException("--resume " + resume + " continues in its own folder: no other --out");
            out = resume;
        }
        if (budget != null && orders != null) throw new BadInputException("--budget draws seeds; it does not combine with --orders all");
        scenarios = new ArrayList<>();
        sources = new ArrayList<>();
        Map<String, Object> firmwareKeys = null;
        for (Map<String, Object> combo : profiles.combinations()) {
            Map<String, Object> keys = new LinkedHashMap<>(combo);
            keys.putAll(designs.keys());
            if (firmwareKeys == null) firmwareKeys = firmware.keys(RunCommand.scenario(scenario, null, null, null, guests, null, faults, keys));
            keys.putAll(firmwareKeys);
            scenarios.add(RunCommand.scenario(scenario, null, null, null, guests, null, faults, keys));
            sources.add(ExploreItems.source(scenario, guests, faults, keys));
        }
        Scenario sc = scenarios.get(0);
        boolean ovmfC = sc.firmwareImpl() == xensim.firmware.FirmwareImpl.OVMF_C;
        int parallel = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        if (parallel < 1) throw new BadInputException("--jobs must be >= 1");
        // edk2's drivers run one guest per process: more than one job at a time means worker processes
        workerProcesses = ovmfC && cluster == null && parallel > 1 ? parallel : 0;
        checkClusterFlags();
        List<String> known = sc.designs().names();
        List<String> strategies;
        if ("all".equals(strategy)) strategies = ovmfC ? List.of("disconnect") : known;
        else {
            strategies = new ArrayList<>();
            for (String one : strategy.split(",")) {
                if (!sc.designs().has(one)) {
                    throw new BadInputException("unknown strategy '" + one + "' (expected all or a comma list of " + String.join(", ", known)
                            + (sc.designs().jars().isEmpty() ? ", or a design of --design-jar" : "") + ")");
                }
                if (!strategies.contains(one)) strategies.add(one);
            }
        }
        if (sc.mode() != Mode.DETERMINISTIC) throw new BadInputException("explore runs deterministic simulations (the scenario says " + sc.mode().cliName() + ")");
        if (orders != null && sc.disks() > 5) throw new BadInputException("--orders all enumerates every notify order: use at most 5 disks");
        if (ovmfC) {
            String what = orders != null ? "--orders all" : exhaustive ? "--exhaustive" : shrink ? "--shrink" : null;
            if (what != null) {
                throw new BadInputException("--firmware ovmf-c: " + what + " works on the Java models' steps; explore edk2's drivers by seeds and schedules"
                        + (shrink ? " (shrink a failing replay of the model instead)" : ""));
            }
            for (Scenario each : scenarios) {
                for (String s : strategies) FirmwareOptions.check(each, s); // builds the drivers once, here: exit 2 with what to install
            }
        }
        Path dir = UserPaths.outputDir(out != null ? out : Path.of("runs", "explore-" + LocalDate.now()),
                out != null ? "--out" : "the default --out");
        Path disks = Files.createTempDirectory("xensim-explore");

        long wallStart = System.nanoTime();
        for (int k = 0; k < schedules.size(); k++) {
            if (!estimateK.get(k)) continue;
            // PCT's K: the steps of one run at throughput 1 (FIFO) of the first design, seed 1
            Outcome probe = runOne(sc, strategies.get(0), 1, null, disks, xensim.platform.schedule.ScheduleSpec.dev(List.of()), 0);
            schedules.set(k, xensim.platform.schedule.ScheduleSpec.pct(schedules.get(k).depth(), Math.max(1, probe.result().steps())));
        }
        if (exhaustive) return exhaustive(strategies, disks, wallStart);
        if (orders == null) return explore(strategies, disks, wallStart, budgetMs);
        List<Plan> plans = new ArrayList<>();
        for (String s : strategies) {
            for (int combo = 0; combo < scenarios.size(); combo++) {
                // each design registers its own EBS notify functions: seed 1's EBS_BEGIN says how many (counted
                // before any notify runs, so a run that hangs in EBS counts right); a seed whose firmware has
                // another number (a fault stopped a device) is run again with orders of its own length
                int n = orders == null ? 0 : Math.max(0, runOne(scenarios.get(combo), s, 1, null, disks).notifies());
                for (long seed = 1; seed <= seeds; seed++) {
                    if (orders == null) plans.add(new Plan(s, combo, seed, null));
                    else for (List<Integer> order : orders(n)) plans.add(new Plan(s, combo, seed, order));
                }
            }
        }
        PrintWriter pw = spec.commandLine().getOut();
        AtomicInteger violating = new AtomicInteger();
        List<Ran> outcomes = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(parallel, xensim.platform.WarmSystems.threads("xensim-explore-orders", false));
        try (ProgressBar pb = noProgress ? null : new ProgressBarBuilder().setTaskName("explore").setInitialMax(plans.size())
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).build()) {
            java.util.Set<String> redone = new java.util.HashSet<>();
            while (!plans.isEmpty()) {
                List<Future<Ran>> futures = pool.invokeAll(plans.stream().map(p -> (Callable<Ran>) () -> {
                    Outcome o = runOne(scenarios.get(p.combo()), p.strategy(), p.seed(), p.order(), disks);
                    if (!o.result().clean() && o.ebs().mismatch() == null) violating.incrementAndGet();
                    if (pb != null) {
                        pb.step();
                        pb.setExtraMessage("violations: " + violating.get());
                    }
                    return new Ran(p, o);
                }).toList());
                List<Plan> again = new ArrayList<>();
                java.util.Set<String> scheduled = new java.util.HashSet<>();
                for (Future<Ran> f : futures) {
                    Ran ran;
                    try {
                        ran = f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (e.getCause() instanceof BadInputException bad) throw bad; // a design that threw
                        throw e;
                    }
                    Outcome o = ran.outcome();
                    EbsOrderWatch.Mismatch m = o.ebs().mismatch();
                    if (m == null) {
                        outcomes.add(ran);
                        continue;
                    }
                    String key = rowName(new Row(o.strategy(), ran.plan().combo())) + " seed " + o.seed();
                    if (redone.contains(key)) {
                        throw new BadInputException("--orders all: " + key + ": the guests' firmware have different numbers of EBS notify"
                                + " functions (" + o.ebs().notifies() + " by domain); one order cannot fit them all");
                    }
                    if (scheduled.add(key)) {
                        for (List<Integer> order : orders(m.notifies())) again.add(new Plan(o.strategy(), ran.plan().combo(), o.seed(), order));
                    }
                }
                redone.addAll(scheduled);
                plans = again;
                if (pb != null && !again.isEmpty()) pb.maxHint(pb.getMax() + again.size());
            }
        } finally {
            pool.shutdownNow();
            deleteTree(disks);
        }
        double seconds = (System.nanoTime() - wallStart) / 1e9;
        Map<Row, Map<Invariant, Cell>> matrix = matrix(strategies, scenarios.size(), outcomes);
        orderStats = orderStats(outcomes);
        String md = markdown(matrix, sc, scenario, faults, outcomes.size(), orders != null);
        pw.print(md);
        pw.printf("%d runs in %.1f s (%.0f runs/min on %d jobs); %d with a violation%n", outcomes.size(), seconds,
                outcomes.size() / seconds * 60, parallel, violating.get());
        Files.writeString(dir.resolve("matrix.md"), md, StandardCharsets.UTF_8);
        writeJson(dir.resolve("matrix.json"), matrix, sc, outcomes.size());
        pw.println("matrix: " + dir.resolve("matrix.md") + " and " + dir.resolve("matrix.json"));
        pw.flush();
        writeReport(pw, dir, matrix, outcomes, sc, seconds, parallel, strategies);
        pw.flush();
        return violating.get() == 0 ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION;
    }

    /** With --firmware ovmf-c and --jobs N > 1 (no --cluster): N worker processes on this machine, else 0. */
    private int workerProcesses;

    /** --cluster, --resume: what they combine with. */
    private void checkClusterFlags() {
        if (cluster == null && (minWorkers != null || noLocal)) throw new BadInputException("--min-workers and --no-local go with --cluster");
        String what = orders != null ? "--orders all" : exhaustive ? "--exhaustive" : budget != null ? "--budget" : stopOnFirst ? "--stop-on-first" : null;
        String drawing = budget != null ? "--budget" : stopOnFirst ? "--stop-on-first" : null; // --orders, --exhaustive: see ovmfC
        if (workerProcesses > 0 && drawing != null) {
            throw new BadInputException("--firmware ovmf-c with --jobs " + workerProcesses + " runs a fixed set of seeds in " + workerProcesses
                    + " worker processes (one guest per process): it does not combine with " + drawing + " (use --jobs 1)");
        }
        if (cluster != null) {
            if (ClusterExplore.hostPort(cluster) == null) throw new BadInputException("--cluster '" + cluster + "': expected HOST:PORT, e.g. 10.0.0.5:2552");
            if (what != null) throw new BadInputException("--cluster runs a fixed set of seeds: it does not combine with " + what);
            if (minWorkers != null && (minWorkers < 0 || minWorkers > 10_000)) throw new BadInputException("--min-workers must be between 0 and 10000");
            if (noLocal && minWorkers != null && minWorkers < 1) throw new BadInputException("--no-local needs --min-workers of at least 1");
            ClusterExplore.timeout(workerTimeout);
        }
        if (resume != null && what != null) throw new BadInputException("--resume continues a fixed set of seeds: it does not combine with " + what);
    }

    /** Everything that decides the runs of an explore (what --resume checks results.jsonl against). */
    private String fingerprint(List<String> strategies) {
        String all = String.join("\n", xensim.runtime.Version.get(), String.join(",", strategies), String.valueOf(seeds),
                schedules.toString(), String.valueOf(schedulesPerSeed),
                sources.stream().map(xensim.cluster.ScenarioSource::canonical).collect(Collectors.joining("\n")));
        return xensim.cluster.DesignJar.sha256(all.getBytes(StandardCharsets.UTF_8));
    }

    /** The idx-th run as a work item (its design jars named by their SHA-256, as a worker has them). */
    private xensim.cluster.WorkItem item(long idx, Plan p, List<String> jarShas) {
        return new xensim.cluster.WorkItem(idx, xensim.runtime.Version.get(), p.strategy(), p.seed(), p.order(), schedules.get(p.sched()).toString(),
                p.scheduleSeed(), sources.get(p.combo()), jarShas, xensim.cluster.WorkItem.Kind.EXPLORE);
    }

    /** The largest seed run (budget mode), for the header. */
    private long seedsReached;
    private int parallelUsed;
    /** Per failing row: {runs to the first failure (position in the row's order), wall ms at its end}. */
    private final Map<Row, long[]> firstFailure = new LinkedHashMap<>();
    private final List<String> shrunk = new ArrayList<>();

    /**
     * The seed-drawing explore: every design × profile combination × schedule, seed by seed (and
     * schedule seed by schedule seed), on {@code jobs} workers; with a budget, until the time is up;
     * with --stop-on-first, until the first violation.
     */
    private int explore(List<String> strategies, Path disks, long wallStart, long budgetMs) throws Exception {
        int parallel = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        parallelUsed = parallel;
        long perSeed = (long) strategies.size() * scenarios.size() * schedules.size() * schedulesPerSeed;
        long total = budgetMs > 0 ? Long.MAX_VALUE : perSeed * seeds;
        java.util.concurrent.atomic.AtomicLong nextIndex = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        // the budget counts from here (after PCT's step estimate); every worker runs at least once
        long deadline = budgetMs > 0 ? System.nanoTime() + budgetMs * 1_000_000L : Long.MAX_VALUE;
        AtomicInteger violating = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        List<Object[]> results = java.util.Collections.synchronizedList(new ArrayList<>()); // {index, Ran, wall ms}
        PrintWriter pw = spec.commandLine().getOut();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Path dir = UserPaths.outputDir(out != null ? out : Path.of("runs", "explore-" + LocalDate.now()), out != null ? "--out" : "the default --out");
        ResultsLog log = ResultsLog.open(dir, fingerprint(strategies), resume != null);
        java.util.Map<Long, xensim.cluster.ItemResult> resumed = log.resumed();
        for (xensim.cluster.ItemResult r : resumed.values()) {
            Plan p = r.index() < total ? plan(strategies, r.index(), perSeed) : null;
            if (p == null || !p.strategy().equals(r.strategy()) || p.seed() != r.seed()) {
                throw new BadInputException("--resume " + dir + ": " + ResultsLog.FILE + " holds run " + r.index() + " (" + r.strategy() + " seed " + r.seed()
                        + "), which this explore does not plan");
            }
            Outcome o = ExploreItems.outcome(r);
            if (!o.result().clean()) violating.incrementAndGet();
            results.add(new Object[] {r.index(), new Ran(p, o), 0L});
            done.incrementAndGet();
        }
        if (!resumed.isEmpty()) pw.println("resume: " + resumed.size() + " runs already in " + dir.resolve(ResultsLog.FILE));
        pw.flush();
        try (log; ProgressBar pb = noProgress ? null : new ProgressBarBuilder().setTaskName("explore").setInitialMax(budgetMs > 0 ? -1 : total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).build()) {
            if (pb != null && done.get() > 0) pb.stepTo(done.get());
            if (cluster != null || workerProcesses > 0) {
                // every planned run not yet done, as a work item; the cluster hands them out
                List<xensim.cluster.DesignJar> jars = ClusterExplore.jars(scenarios.get(0));
                List<String> shas = jars.stream().map(xensim.cluster.DesignJar::sha256).toList();
                Map<Long, xensim.cluster.WorkItem> items = new LinkedHashMap<>();
                for (long idx = 0; idx < total; idx++) {
                    Plan p = plan(strategies, idx, perSeed);
                    if (p != null && !resumed.containsKey(idx)) items.put(idx, item(idx, p, shas));
                }
                LocalWorkers local = workerProcesses > 0 ? LocalWorkers.plan(workerProcesses, dir.resolve("workers")) : null;
                ClusterExplore.Options co = local != null
                        ? new ClusterExplore.Options("explore", local.address(), workerProcesses, true, java.time.Duration.ofSeconds(120), parallel, dir, true)
                        : new ClusterExplore.Options("explore", cluster, minWorkers != null ? minWorkers : noLocal ? 1 : 0, noLocal,
                        ClusterExplore.timeout(workerTimeout), parallel, dir, true);
                try (local) {
                ClusterExplore.run(co, items, jars, r -> {
                    log.append(r);
                    Plan p = plan(strategies, r.index(), perSeed);
                    Outcome o = ExploreItems.outcome(r);
                    if (!o.result().clean()) violating.incrementAndGet();
                    results.add(new Object[] {r.index(), new Ran(p, o), (System.nanoTime() - wallStart) / 1_000_000L});
                    done.incrementAndGet();
                    if (pb != null) {
                        pb.step();
                        pb.setExtraMessage("failures: " + violating.get());
                    }
                }, spec.commandLine().getErr(), () -> {
                    if (local == null) return;
                    try {
                        local.start(spec.commandLine().getErr());
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException("starting the worker processes", e);
                    }
                });
                }
            }
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < (cluster != null || workerProcesses > 0 ? 0 : parallel); w++) {
                Thread t = new Thread(() -> {
                    // one warm ActorSystem per worker, each seed's simulation a new actor tree in it
                    try (xensim.platform.WarmSystems warm = xensim.platform.WarmSystems.open()) {
                    boolean first = true;
                    while (!stop.get() && (first || System.nanoTime() < deadline)) {
                        first = false;
                        long idx = nextIndex.getAndIncrement();
                        if (idx >= total) return;
                        Plan p = plan(strategies, idx, perSeed);
                        if (p == null || resumed.containsKey(idx)) continue;
                        try {
                            xensim.cluster.ItemResult r = ExploreItems.run(item(idx, p, List.of()), scenarios.get(p.combo()), disks);
                            log.append(r);
                            Outcome o = ExploreItems.outcome(r);
                            if (!o.result().clean()) {
                                violating.incrementAndGet();
                                if (stopOnFirst) stop.set(true);
                            }
                            results.add(new Object[] {idx, new Ran(p, o), (System.nanoTime() - wallStart) / 1_000_000L});
                            done.incrementAndGet();
                            if (pb != null) {
                                pb.step();
                                pb.setExtraMessage("failures: " + violating.get());
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                            stop.set(true);
                        }
                    }
                    }
                }, "xensim-explore-" + w);
                t.start();
                workers.add(t);
            }
            for (Thread t : workers) t.join();
        }
        if (!failures.isEmpty()) {
            if (failures.get(0) instanceof BadInputException bad) throw bad; // a design that threw
            if (failures.get(0) instanceof ModellingErrorException spun) throw spun;
            throw new IllegalStateException("a run failed", failures.get(0));
        }
        List<Object[]> sorted = new ArrayList<>(results);
        sorted.sort(java.util.Comparator.comparingLong(a -> (Long) a[0]));
        List<Ran> outcomes = new ArrayList<>();
        Map<Row, Long> rowRuns = new LinkedHashMap<>();
        for (Object[] a : sorted) {
            Ran ran = (Ran) a[1];
            outcomes.add(ran);
            seedsReached = Math.max(seedsReached, ran.plan().seed());
            Row row = new Row(ran.plan().strategy(), ran.plan().combo(), ran.plan().sched());
            long n = rowRuns.merge(row, 1L, Long::sum);
            if (!ran.outcome().result().clean() && !firstFailure.containsKey(row)) firstFailure.put(row, new long[] {n, (Long) a[2]});
        }
        double seconds = (System.nanoTime() - wallStart) / 1e9;
        Scenario sc = scenarios.get(0);
        Map<Row, Map<Invariant, Cell>> matrix = matrix(strategies, scenarios.size(), schedules.size(), outcomes);
        try {
            if (shrink) shrinkCells(matrix, disks);
        } finally {
            deleteTree(disks);
        }
        String md = markdown(matrix, sc, scenario, faults, outcomes.size(), false);
        pw.print(md);
        pw.printf("%d runs in %.1f s (%.0f runs/min on %d jobs); %d with a violation%s%n", outcomes.size(), seconds,
                outcomes.size() / seconds * 60, parallel, violating.get(),
                stop.get() && stopOnFirst && violating.get() > 0 ? " (stopped at the first)" : budgetMs > 0 ? " (budget " + budget + ")" : "");
        Files.writeString(dir.resolve("matrix.md"), md, StandardCharsets.UTF_8);
        writeJson(dir.resolve("matrix.json"), matrix, sc, outcomes.size());
        pw.println("matrix: " + dir.resolve("matrix.md") + " and " + dir.resolve("matrix.json"));
        pw.flush();
        writeReport(pw, dir, matrix, outcomes, sc, seconds, parallel, strategies);
        pw.flush();
        return violating.get() == 0 ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION;
    }

    /** One schedule of the exhaustive search and what its run showed. */
    record Explored(List<xensim.platform.schedule.Deviation> devs, RunResult result, List<xensim.platform.VirtualTimeExecutor.Choice> choices,
                    long windowStart, long windowEnd, long finalState) {}

    /** Per design: what the exhaustive search counted. */
    record ExhaustiveCount(String strategy, int[] perK, int distinctStates, int pruned, List<Explored> failing, long windowStart,
                           long windowEnd, int baseChoices, double seconds) {}

    /**
     * --exhaustive: per design, every schedule with at most --preemptions deviations from FIFO at
     * the choice points between EBS_BEGIN and the OS's first verified I/O (delay bounding, the
     * FIFO-based form of CHESS's iterative context bounding: K = 0, then each choice of each
     * K-schedule's window after its last deviation). A child is not run when its parent took that
     * choice in a state (window state hash, pending actors) where the same alternative was already
     * explored. Each level's runs go in parallel; results are processed in a fixed order, so the
     * counts do not depend on timing.
     */
    private int exhaustive(List<String> strategies, Path disks, long wallStart) throws Exception {
        if (preemptions < 0 || preemptions > 4) throw new BadInputException("--preemptions must be between 0 and 4");
        if (schedules.size() > 1 || schedules.get(0).controlled()) throw new BadInputException("--exhaustive enumerates its own schedules: no --schedule");
        int parallel = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        PrintWriter pw = spec.commandLine().getOut();
        List<ExhaustiveCount> counts = new ArrayList<>();
        boolean anyFailing = false;
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            for (int combo = 0; combo < scenarios.size(); combo++) {
                Scenario sc = scenarios.get(combo);
                for (String strat : strategies) {
                    ExhaustiveCount c = exhaustiveOne(sc, strat, disks, pool, pw);
                    counts.add(c);
                    anyFailing |= !c.failing().isEmpty();
                }
            }
        } finally {
            pool.shutdownNow();
            deleteTree(disks);
        }
        StringBuilder sb = new StringBuilder();
        Scenario sc = scenarios.get(0);
        sb.append("# xensim explore --exhaustive: seed ").append(sc.seed()).append(", at most ").append(preemptions)
                .append(" deviations from FIFO (throughput 1) between EBS_BEGIN and the OS's first verified I/O, scenario ").append(sc.name())
                .append(", ").append(sc.guests()).append(" guest(s), ").append(sc.disks()).append(" disk(s)\n\n| design | window steps | choice points (FIFO) |");
        for (int k = 0; k <= preemptions; k++) sb.append(" K=").append(k).append(" |");
        sb.append(" schedules | distinct states | pruned | failing | seconds |\n|---|---:|---:|");
        for (int k = 0; k <= preemptions; k++) sb.append("---:|");
        sb.append("---:|---:|---:|---:|---:|\n");
        for (ExhaustiveCount c : counts) {
            int total = 0;
            for (int n : c.perK()) total += n;
            sb.append("| ").append(c.strategy()).append(" | ").append(c.windowStart()).append("..").append(c.windowEnd() < 0 ? "end" : String.valueOf(c.windowEnd()))
                    .append(" | ").append(c.baseChoices()).append(" |");
            for (int n : c.perK()) sb.append(' ').append(n).append(" |");
            sb.append(' ').append(total).append(" | ").append(c.distinctStates()).append(" | ").append(c.pruned()).append(" | ").append(c.failing().size())
                    .append(" | ").append(String.format(java.util.Locale.ROOT, "%.1f", c.seconds())).append(" |\n");
        }
        for (ExhaustiveCount c : counts) {
            if (c.failing().isEmpty()) continue;
            sb.append("\nFailing schedules of ").append(c.strategy()).append(" (").append(c.failing().size()).append("):\n\n");
            int shown = 0;
            for (Explored e : c.failing()) {
                if (shown++ == 20) {
                    sb.append("- ... ").append(c.failing().size() - 20).append(" more (matrix.json lists none; rerun with fewer --preemptions)\n");
                    break;
                }
                Cell cell = new Cell();
                cell.seed = sc.seed();
                sb.append("- ").append(e.result().verdictLine().substring("verdict: ".length())).append(" — `")
                        .append(replay(c.strategy(), cell, sc, scenario, faults, xensim.platform.schedule.ScheduleSpec.dev(e.devs()))).append("`\n");
            }
        }
        String md = sb.toString();
        pw.print(md);
        pw.printf("exhaustive search in %.1f s on %d jobs%n", (System.nanoTime() - wallStart) / 1e9, parallel);
        Path dir = UserPaths.outputDir(out != null ? out : Path.of("runs", "explore-" + LocalDate.now()), out != null ? "--out" : "the default --out");
        Files.writeString(dir.resolve("exhaustive.md"), md, StandardCharsets.UTF_8);
        pw.println("table: " + dir.resolve("exhaustive.md"));
        pw.flush();
        return anyFailing ? Main.EXIT_VIOLATION : Main.EXIT_CLEAN;
    }

    private ExhaustiveCount exhaustiveOne(Scenario sc, String strat, Path disks, ExecutorService pool, PrintWriter pw) throws Exception {
        long t0 = System.nanoTime();
        int[] perK = new int[preemptions + 1];
        java.util.Set<Long> states = new java.util.HashSet<>();
        java.util.Set<String> tried = new java.util.HashSet<>();
        int pruned = 0;
        List<Explored> failing = new ArrayList<>();
        List<List<xensim.platform.schedule.Deviation>> frontier = List.of(List.of());
        long wStart = -1;
        long wEnd = -1;
        int baseChoices = 0;
        ProgressBar pb = noProgress ? null : new ProgressBarBuilder().setTaskName("exhaustive " + strat).setInitialMax(1)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).build();
        try {
            for (int k = 0; k <= preemptions && !frontier.isEmpty(); k++) {
                if (pb != null && k > 0) pb.maxHint(pb.getMax() + frontier.size());
                List<Callable<Explored>> work = new ArrayList<>();
                for (List<xensim.platform.schedule.Deviation> devs : frontier) {
                    work.add(() -> {
                        WindowWatch w = new WindowWatch();
                        Outcome o = runOne(sc, strat, sc.seed(), null, disks, xensim.platform.schedule.ScheduleSpec.dev(devs), 0, w);
                        if (pb != null) {
                            pb.step();
                            pb.setExtraMessage("failures: " + failing.size() + " states: " + states.size());
                        }
                        return new Explored(devs, o.result(), o.result().choices(), w.startStep(), w.endStep(), w.finalState());
                    });
                }
                List<List<xensim.platform.schedule.Deviation>> next = new ArrayList<>();
                for (Future<Explored> f : pool.invokeAll(work)) {
                    Explored e = f.get();
                    perK[k]++;
                    if (!e.result().clean()) failing.add(e);
                    if (k == 0) {
                        wStart = e.windowStart();
                        wEnd = e.windowEnd();
                        baseChoices = e.choices().size();
                    }
                    states.add(e.finalState());
                    for (xensim.platform.VirtualTimeExecutor.Choice ch : e.choices()) states.add(ch.state());
                    if (k == preemptions) continue;
                    long after = e.devs().isEmpty() ? -1 : e.devs().get(e.devs().size() - 1).step();
                    for (xensim.platform.VirtualTimeExecutor.Choice ch : e.choices()) {
                        if (ch.step() <= after) continue;
                        for (int i = 1; i < ch.candidates(); i++) {
                            // the same alternative from the same state was explored already
                            if (!tried.add(ch.state() + "/" + ch.candidates() + "/" + i) && !noPrune) {
                                pruned++;
                                continue;
                            }
                            List<xensim.platform.schedule.Deviation> child = new ArrayList<>(e.devs());
                            child.add(new xensim.platform.schedule.Deviation(ch.step(), i));
                            next.add(child);
                        }
                    }
                }
                frontier = next;
            }
        } finally {
            if (pb != null) pb.close();
        }
        return new ExhaustiveCount(strat, perK, states.size(), pruned, failing, wStart, wEnd, baseChoices, (System.nanoTime() - t0) / 1e9);
    }

    /** --shrink: the smallest failing run of each failing row, shrunk (into {@code shrunk} for the markdown). */
    private void shrinkCells(Map<Row, Map<Invariant, Cell>> matrix, Path disks) throws Exception {
        PrintWriter pw = spec.commandLine().getOut();
        for (Map.Entry<Row, Map<Invariant, Cell>> row : matrix.entrySet()) {
            java.io.StringWriter sink = new java.io.StringWriter();
            Cell best = null;
            Invariant inv = null;
            for (Map.Entry<Invariant, Cell> e : row.getValue().entrySet()) {
                Cell c = e.getValue();
                if (c.count > 0 && (best == null || c.seed < best.seed)) {
                    best = c;
                    inv = e.getKey();
                }
            }
            if (best == null) continue;
            Row r = row.getKey();
            Map<String, Object> keys = new LinkedHashMap<>(profiles.combinations().get(r.combo()));
            Scenario seeded = RunCommand.scenario(scenario, r.strategy(), best.seed, Mode.DETERMINISTIC.cliName(), guests, null, faults, keys);
            ShrinkCommand.Target t = ShrinkCommand.target(scenario, keys, seeded, faults, schedules.get(r.sched()), best.scheduleSeed);
            PrintWriter w = new PrintWriter(sink);
            String line = ShrinkCommand.shrink(w, t, seeded, inv, null, false);
            w.flush();
            if (line != null) shrunk.add("- " + rowName(r) + " × " + inv.name() + ": `" + line + "`");
            for (String l : sink.toString().split("\n")) if (l.startsWith("runs:") || l.startsWith("removed:")) shrunk.add("  - " + l);
        }
        pw.flush();
    }

    /** The idx-th run: seed-major, then design, profile combination, schedule, schedule seed. */
    private Plan plan(List<String> strategies, long idx, long perSeed) {
        long seed = 1 + idx / perSeed;
        long r = idx % perSeed;
        int j = (int) (r % schedulesPerSeed);
        r /= schedulesPerSeed;
        int sched = (int) (r % schedules.size());
        r /= schedules.size();
        int combo = (int) (r % scenarios.size());
        r /= scenarios.size();
        String strategy = strategies.get((int) r);
        // FIFO makes no choice: one run per seed, whatever --schedules says
        if (!schedules.get(sched).controlled() && j > 0) return null;
        return new Plan(strategy, combo, seed, null, sched, scheduleSeed(seed, j));
    }

    static Outcome runOne(Scenario sc, String strategy, long seed, List<Integer> order, Path disks) throws Exception {
        return runOne(sc, strategy, seed, order, disks, (Path) null);
    }

    static Outcome runOne(Scenario sc, String strategy, long seed, List<Integer> order, Path disks, Path outDir) throws Exception {
        return runOne(sc, strategy, seed, order, disks, xensim.platform.schedule.ScheduleSpec.FIFO, RunSpec.defaultScheduleSeed(seed), null, outDir);
    }

    static Outcome runOne(Scenario sc, String strategy, long seed, List<Integer> order, Path disks,
                          xensim.platform.schedule.ScheduleSpec sched, long scheduleSeed) throws Exception {
        return runOne(sc, strategy, seed, order, disks, sched, scheduleSeed, null, null);
    }

    static Outcome runOne(Scenario sc, String strategy, long seed, List<Integer> order, Path disks,
                          xensim.platform.schedule.ScheduleSpec sched, long scheduleSeed, WindowWatch window) throws Exception {
        return runOne(sc, strategy, seed, order, disks, sched, scheduleSeed, window, null);
    }

    /** report.html beside the matrix, with each failing cell's seed run again; an I/O failure is said, not fatal. */
    private void writeReport(java.io.PrintWriter pw, Path dir, Map<Row, Map<Invariant, Cell>> matrix, List<Ran> outcomes, Scenario sc,
                             double seconds, int parallel, List<String> strategies) throws Exception {
        try {
            int seedReports = ExploreReport.write(dir, reportModel(matrix, outcomes, sc, seconds, parallel, strategies), this::seedReport);
            pw.println("report: " + dir.resolve("report.html") + " (" + seedReports + " failing seed" + (seedReports == 1 ? "" : "s")
                    + " run again for their own report.html under " + dir.resolve("seeds") + ")");
        } catch (java.io.IOException e) {
            pw.println("report: not written (" + e.getMessage() + ")"); // the matrix stands; the page is extra
        }
    }

    /** report.html: one failing seed run again into {@code dir} (events.jsonl and its own report.html). */
    private void seedReport(ExploreReport.Row row, ExploreReport.Cell cell, Path dir) throws Exception {
        Path disks = Files.createTempDirectory("xensim-explore-report");
        try {
            // the run that failed, under the schedule that found it (a FIFO rerun of a schedule's failure may pass)
            runOne(scenarios.get(row.combo()), row.design(), cell.seed(), cell.order(), disks, schedules.get(row.sched()),
                    cell.scheduleSeed(), null, dir);
            xensim.timeline.TimelineAnalysis.analyse(dir.resolve("events.jsonl"), new xensim.timeline.TimelineAnalysis.Options(
                    xensim.timeline.Filter.ALL, true, true, null, dir.resolve("report.html")));
            Files.deleteIfExists(dir.resolve("events.jsonl")); // the page holds what it shows; the replay line makes the log again
        } finally {
            deleteTree(disks);
        }
    }

    /** What report.html shows, from the matrix and the runs. */
    private ExploreReport.Model reportModel(Map<Row, Map<Invariant, Cell>> matrix, List<Ran> outcomes, Scenario sc, double seconds,
                                            int parallel, List<String> strategies) {
        Map<Row, Integer> runs = new LinkedHashMap<>();
        List<ExploreReport.OrderRun> orderRuns = new ArrayList<>();
        for (Ran ran : outcomes) {
            Outcome o = ran.outcome();
            Row r = new Row(o.strategy(), ran.plan().combo(), ran.plan().sched());
            runs.merge(r, 1, Integer::sum);
            if (o.notified().isEmpty() && !o.ebs().reachedEbs()) continue;
            java.util.Set<String> v = new java.util.TreeSet<>();
            for (Invariant i : o.result().verdict()) v.add(i.name());
            orderRuns.add(new ExploreReport.OrderRun(o.strategy(), rowName(r), o.notified(),
                    o.notifiedRegistered().equals(o.ebs().edk2Order()), v));
        }
        List<ExploreReport.Row> rows = new ArrayList<>();
        for (Map.Entry<Row, Map<Invariant, Cell>> e : matrix.entrySet()) {
            Row r = e.getKey();
            Map<String, ExploreReport.Cell> cells = new LinkedHashMap<>();
            for (Invariant i : Invariant.values()) {
                Cell c = e.getValue().get(i);
                cells.put(i.name(), new ExploreReport.Cell(c.count, c.count == 0 ? -1 : c.seed, c.order, c.scheduleSeed,
                        c.count == 0 ? null : replay(r.strategy(), c, scenarios.get(r.combo()), scenario, faults)));
            }
            var sched = schedules.get(r.sched());
            rows.add(new ExploreReport.Row(rowName(r), r.strategy(), r.combo(), r.sched(), sched.controlled() ? sched.toString() : null,
                    scenarios.get(r.combo()).profiles(), runs.getOrDefault(r, 0), cells));
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("xensim", xensim.runtime.Version.get());
        env.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        env.put("cores", Runtime.getRuntime().availableProcessors() + " (jobs " + parallel + ")");
        env.put("scenario", sc.name() + (scenario != null ? " (" + scenario + ")" : " (the defaults)"));
        env.put("faults", sc.faults().isEmpty() ? "none" : sc.faults().stream().map(f -> f.text()).collect(Collectors.joining(" ")));
        env.put("seeds", "1.." + seeds + " per row");
        env.put("EBS notify order", orders != null ? "every order (--orders all)" : sc.ebsOrder().cliName());
        Map<String, java.util.Set<String>> profileValues = new LinkedHashMap<>();
        for (Scenario s : scenarios) s.profiles().forEach((k, v) -> profileValues.computeIfAbsent(k, x -> new java.util.LinkedHashSet<>()).add(v));
        profileValues.forEach((k, v) -> env.put("profile " + k, String.join(", ", v)));
        List<String> ds = new ArrayList<>();
        for (String name : strategies) {
            var entry = sc.designs().entry(name);
            ds.add(name + " (" + (entry.jar() == null ? entry.type().getName() : entry.jar() + ": " + entry.type().getName()) + ")");
        }
        env.put("designs", String.join("; ", ds));
        String title = outcomes.size() + " runs, seeds 1.." + seeds + ", " + strategies.size() + " design" + (strategies.size() == 1 ? "" : "s")
                + " × " + scenarios.size() + " profile combination" + (scenarios.size() == 1 ? "" : "s");
        List<String> invariants = new ArrayList<>();
        for (Invariant i : Invariant.values()) invariants.add(i.name());
        return new ExploreReport.Model(title, invariants, rows, orderRuns, outcomes.size(), seconds, parallel, env);
    }

    /** One deterministic run; with {@code outDir}, its events.jsonl is written there (the report's reruns). */
    /**
     * edk2's drivers ({@code --firmware ovmf-c}) run one guest per JVM (its RAM is mapped at its
     * guest-physical addresses): their runs in one process take turns, and each ends with its vCPU
     * thread and native RAM released. Parallel runs of them are worker processes ({@link LocalWorkers}).
     */
    private static final java.util.concurrent.locks.ReentrantLock OVMF_C_RUN = new java.util.concurrent.locks.ReentrantLock();

    static Outcome runOne(Scenario sc, String strategy, long seed, List<Integer> order, Path disks,
                          xensim.platform.schedule.ScheduleSpec sched, long scheduleSeed, WindowWatch window, Path outDir) throws Exception {
        if (sc.firmwareImpl() != xensim.firmware.FirmwareImpl.OVMF_C) return runOneHere(sc, strategy, seed, order, disks, sched, scheduleSeed, window, outDir, null);
        OVMF_C_RUN.lock();
        ModellingErrorWatch spin = new ModellingErrorWatch();
        // edk2's C drivers run on vCPU threads that a stopped actor tree does not stop: a system of its own per run
        try (var own = xensim.platform.WarmSystems.suspend()) {
            Outcome o = runOneHere(sc, strategy, seed, order, disks, sched, scheduleSeed, window, outDir, spin);
            spin.check(); // FW_SPIN: a modelling error (exit 3), never a verdict
            return o;
        } finally {
            // a vCPU still spinning in C cannot be stopped: its RAM stays mapped until the process ends
            if (spin.message() == null) xensim.firmware.ovmfc.OvmfCFirmware.disposeFinished();
            OVMF_C_RUN.unlock();
        }
    }

    private static Outcome runOneHere(Scenario sc, String strategy, long seed, List<Integer> order, Path disks,
                                      xensim.platform.schedule.ScheduleSpec sched, long scheduleSeed, WindowWatch window, Path outDir,
                                      ModellingErrorWatch spin) throws Exception {
        Path d = Files.createTempDirectory(disks, strategy + "-" + seed);
        try {
            HostConfig base = sc.hostConfig(d);
            FirmwareConfig fw = base.firmware();
            HostConfig cfg = base.withFirmware(fw.withStrategy(strategy)
                    .withEbsOrder(order == null ? fw.ebsOrder() : xensim.firmware.uefi.EbsOrder.explicit(order)));
            EbsOrderWatch ebs = new EbsOrderWatch();
            DesignFailureWatch designFailure = new DesignFailureWatch();
            ExploreReport.NotifyOrderWatch notified = new ExploreReport.NotifyOrderWatch();
            Map<String, String> runBegin = sc.runBegin();
            runBegin.put("firmware.ebs-order", cfg.firmware().ebsOrder().cliName());
            List<xensim.platform.EventSink> sinks = new ArrayList<>(List.of(ebs, designFailure, notified));
            if (window != null) sinks.add(window);
            if (spin != null) sinks.add(spin);
            RunResult r = Simulation.run(new RunSpec(seed, Mode.DETERMINISTIC, strategy, sc.name(), outDir, 1.0, 120_000).withProfiles(runBegin)
                            .withSchedule(sched, scheduleSeed),
                    (seam, done) -> Host.create(seam, cfg, done), sinks.toArray(xensim.platform.EventSink[]::new));
            designFailure.check(); // a design that threw: bad input, not a verdict
            EbsOrderWatch.Seen seen = ebs.seen();
            // an empty order orders nothing: its replay needs none
            return new Outcome(strategy, seed, seen.reachedEbs() && order != null && !order.isEmpty() ? order : null, r, seen,
                    notified.owners(), notified.registered(), scheduleSeed);
        } finally {
            deleteTree(d);
        }
    }

    /** A matrix cell: how many runs failed the invariant, and the smallest failing (seed, order). */
    static final class Cell {
        int count;
        long seed = Long.MAX_VALUE;
        List<Integer> order;
        long scheduleSeed;
        /** The failing run itself (its plan), for --shrink. */
        Plan plan;
        /** Runs and wall seconds from the start until the first failing run finished. */
        long firstRuns;
        double firstSeconds;
    }

    static Map<Row, Map<Invariant, Cell>> matrix(List<String> strategies, int combos, List<Ran> outcomes) {
        return matrix(strategies, combos, 1, outcomes);
    }

    static Map<Row, Map<Invariant, Cell>> matrix(List<String> strategies, int combos, int scheds, List<Ran> outcomes) {
        Map<Row, Map<Invariant, Cell>> m = new LinkedHashMap<>();
        for (String s : strategies) {
            for (int k = 0; k < combos; k++) {
                for (int j = 0; j < scheds; j++) {
                    Map<Invariant, Cell> row = new EnumMap<>(Invariant.class);
                    for (Invariant i : Invariant.values()) row.put(i, new Cell());
                    m.put(new Row(s, k, j), row);
                }
            }
        }
        for (Ran ran : outcomes) {
            Outcome o = ran.outcome();
            for (Invariant i : o.result().verdict()) {
                Cell c = m.get(new Row(o.strategy(), ran.plan().combo(), ran.plan().sched())).get(i);
                c.count++;
                if (o.seed() < c.seed) {
                    c.seed = o.seed();
                    c.order = o.order();
                    c.scheduleSeed = ran.plan().scheduleSeed();
                    c.plan = ran.plan();
                }
            }
        }
        return m;
    }

    /** A row's name: the design, with its profile combination when the run explores several. */
    String rowName(Row r) {
        String name = r.strategy();
        if (scenarios.size() > 1) name += " · " + String.join(" ", scenarios.get(r.combo()).profiles().values());
        if (schedules.size() > 1 || schedules.get(0).controlled()) name += " · " + schedules.get(r.sched());
        return name;
    }

    String replay(Row r, Cell c) {
        return replay(r.strategy(), c, scenarios.get(r.combo()), scenario, faults, schedules.get(r.sched()));
    }

    static String replay(String strategy, Cell c, Scenario sc, Path file, List<String> faults) {
        return replay(strategy, c, sc, file, faults, xensim.platform.schedule.ScheduleSpec.FIFO);
    }

    static String replay(String strategy, Cell c, Scenario sc, Path file, List<String> faults, xensim.platform.schedule.ScheduleSpec sched) {
        String cmd = RunCommand.replay(file, sc, faults, sched, c.scheduleSeed).replaceFirst("--strategy \\S+", "--strategy " + strategy)
                .replaceFirst("--seed \\S+", "--seed " + c.seed);
        if (c.order != null) cmd = cmd.replaceFirst("--ebs-order \\S+", "--ebs-order " + c.order.stream().map(String::valueOf).collect(Collectors.joining(",")));
        return cmd;
    }

    String markdown(Map<Row, Map<Invariant, Cell>> m, Scenario sc, Path file, List<String> faults, int runs, boolean allOrders) {
        StringBuilder sb = new StringBuilder();
        sb.append("# xensim explore: ").append(runs).append(" runs, seeds 1..").append(seedsReached > 0 ? seedsReached : seeds)
                .append(allOrders ? ", every EBS notify order" : ", EBS notify order " + sc.ebsOrder().cliName()).append(", scenario ").append(sc.name());
        if (!sc.faults().isEmpty()) sb.append(", faults ").append(sc.faults().stream().map(f -> f.text()).collect(Collectors.joining(" ")));
        if (scenarios.size() == 1) {
            sb.append(", profiles ").append(sc.profiles().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
        } else {
            sb.append(", rows: design · ").append(String.join(" ", sc.profiles().keySet()));
        }
        sb.append("\n\nFailing runs per strategy and invariant:\n\n| strategy |");
        for (Invariant i : Invariant.values()) sb.append(' ').append(i.name()).append(" |");
        sb.append("\n|---|");
        for (int k = 0; k < Invariant.values().length; k++) sb.append("---:|");
        sb.append('\n');
        for (Map.Entry<Row, Map<Invariant, Cell>> row : m.entrySet()) {
            sb.append("| ").append(rowName(row.getKey())).append(" |");
            for (Invariant i : Invariant.values()) sb.append(' ').append(row.getValue().get(i).count).append(" |");
            sb.append('\n');
        }
        boolean any = false;
        for (Map.Entry<Row, Map<Invariant, Cell>> row : m.entrySet()) {
            for (Invariant i : Invariant.values()) {
                Cell c = row.getValue().get(i);
                if (c.count == 0) continue;
                if (!any) sb.append("\nSmallest failing seed per cell:\n\n");
                any = true;
                Row r = row.getKey();
                sb.append("- ").append(rowName(r)).append(" × ").append(i.name()).append(": seed ").append(c.seed)
                        .append(c.order != null ? " order " + c.order : "").append(" — `")
                        .append(replay(r, c)).append("`\n");
            }
        }
        if (!any) sb.append("\nNo violations.\n");
        if (!firstFailure.isEmpty()) {
            sb.append("\nFirst failure per row (runs: its position in the row's order, seed by seed");
            if (schedulesPerSeed > 1) sb.append(", ").append(schedulesPerSeed).append(" schedule seeds each");
            sb.append("; seconds: wall time since the start, ").append(parallelUsed).append(" jobs):\n\n| row | invariants | runs | seconds |\n|---|---|---:|---:|\n");
            for (Map.Entry<Row, long[]> e : firstFailure.entrySet().stream().sorted(java.util.Comparator.comparingInt(
                    (Map.Entry<Row, long[]> x) -> new ArrayList<>(m.keySet()).indexOf(x.getKey()))).toList()) {
                java.util.Set<Invariant> inv = java.util.EnumSet.noneOf(Invariant.class);
                for (Map.Entry<Invariant, Cell> c : m.get(e.getKey()).entrySet()) if (c.getValue().count > 0) inv.add(c.getKey());
                sb.append("| ").append(rowName(e.getKey())).append(" | ").append(inv.stream().map(Enum::name).collect(Collectors.joining(" ")))
                        .append(" | ").append(e.getValue()[0]).append(" | ").append(String.format(java.util.Locale.ROOT, "%.1f", e.getValue()[1] / 1e3)).append(" |\n");
            }
        }
        if (!shrunk.isEmpty()) {
            sb.append("\nShrunk (smallest failing run of each failing row):\n\n");
            for (String line : shrunk) sb.append(line).append('\n');
        }
        if (allOrders) appendOrders(sb);
        return sb.toString();
    }

    void writeJson(Path p, Map<Row, Map<Invariant, Cell>> m, Scenario sc, int runs) throws java.io.IOException {
        try (JsonGenerator g = new JsonFactory().createGenerator(Files.newOutputStream(p), JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("runs", runs);
            g.writeNumberField("seeds", seeds);
            g.writeBooleanField("allOrders", orders != null);
            g.writeStringField("scenario", sc.name());
            g.writeArrayFieldStart("faults");
            for (var f : sc.faults()) g.writeString(f.text());
            g.writeEndArray();
            g.writeObjectFieldStart("matrix");
            for (Map.Entry<Row, Map<Invariant, Cell>> row : m.entrySet()) {
                Row r = row.getKey();
                g.writeObjectFieldStart(rowName(r));
                g.writeStringField("strategy", r.strategy());
                g.writeStringField("schedule", schedules.get(r.sched()).toString());
                g.writeObjectFieldStart("profiles");
                for (var e : scenarios.get(r.combo()).profiles().entrySet()) g.writeStringField(e.getKey(), e.getValue());
                g.writeEndObject();
                Map<List<Integer>, OrderStat> os = orderStats.get(r);
                if (os != null) {
                    g.writeArrayFieldStart("orders");
                    for (Map.Entry<List<Integer>, OrderStat> e : os.entrySet()) {
                        OrderStat st = e.getValue();
                        g.writeStartObject();
                        g.writeArrayFieldStart("order");
                        for (int k : e.getKey()) g.writeNumber(k);
                        g.writeEndArray();
                        g.writeBooleanField("edk2", st.edk2Runs == st.runs);
                        g.writeNumberField("edk2Runs", st.edk2Runs);
                        g.writeNumberField("runs", st.runs);
                        g.writeNumberField("failing", st.failing);
                        g.writeArrayFieldStart("invariants");
                        for (Invariant i : st.invariants) g.writeString(i.name());
                        g.writeEndArray();
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                }
                for (Invariant i : Invariant.values()) {
                    Cell c = row.getValue().get(i);
                    g.writeObjectFieldStart(i.name());
                    g.writeNumberField("failing", c.count);
                    if (c.count > 0) {
                        g.writeNumberField("smallestSeed", c.seed);
                        if (c.order != null) {
                            g.writeArrayFieldStart("order");
                            for (int k : c.order) g.writeNumber(k);
                            g.writeEndArray();
                        }
                        g.writeStringField("replay", replay(r, c));
                        if (schedules.get(r.sched()).controlled()) g.writeNumberField("scheduleSeed", c.scheduleSeed);
                    }
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    /**
     * The explicit orders to run for {@code n} notify functions: every permutation (for none, the
     * empty one: a run whose firmware has some after all is a mismatch, run again with its own).
     */
    static List<List<Integer>> orders(int n) {
        return permutations(Math.max(0, n));
    }

    /** Every order of {@code n} EBS notify functions (also used by the design tests). */
    public static List<List<Integer>> permutations(int n) {
        List<List<Integer>> out = new ArrayList<>();
        permute(new ArrayList<>(), n, out);
        return out;
    }

    private static void permute(List<Integer> prefix, int n, List<List<Integer>> out) {
        if (prefix.size() == n) {
            out.add(List.copyOf(prefix));
            return;
        }
        for (int i = 0; i < n; i++) {
            if (prefix.contains(i)) continue;
            prefix.add(i);
            permute(prefix, n, out);
            prefix.remove(prefix.size() - 1);
        }
    }

    static void deleteTree(Path p) {
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (java.io.IOException e) {
            // a temp folder left behind is harmless
        }
    }
}
