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
import xensim.firmware.ebs.Strategies;
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

    @Option(names = "--strategy", description = "an EBS design or 'all' (default all)")
    String strategy = "all";

    @Option(names = "--seeds", description = "seeds 1..N per strategy (default 20)")
    int seeds = 20;

    @Option(names = "--orders", description = "'all': every EBS notify order of the bus and its devices (a superset of what firmware does) instead of the scenario's (default edk2's own); the output lists each order's failures and marks edk2's")
    String orders;

    @Option(names = "--scenario", description = "a HOCON scenario file (the guests, backend and faults every run uses)")
    Path scenario;

    @Option(names = "--fault", description = "a fault every run injects (repeatable)")
    List<String> faults = new ArrayList<>();

    @Option(names = "--jobs", description = "runs in parallel (default: the number of cores)")
    Integer jobs;

    @Option(names = "--out", description = "output folder for matrix.json and matrix.md (default runs/explore-<date>/)")
    Path out;

    @Option(names = "--no-progress", description = "no progress bar (for logs)")
    boolean noProgress;

    /**
     * One run's identity and outcome, and what its ExitBootServices showed. {@code order} is the
     * explicit notify order it ran, or null when it ran the seeded one — or never reached EBS, where
     * no order plays a part (its replay needs none).
     */
    record Outcome(String strategy, long seed, List<Integer> order, RunResult result, EbsOrderWatch.Seen ebs) {
        /** The EBS notify functions of the first guest that reached EBS (-1: none did). */
        int notifies() {
            return ebs.first();
        }

        /** Whether the explicit order it ran is the one edk2's own queues give (EBS_BEGIN edk2Order). */
        boolean ranEdk2Order() {
            return order != null && order.equals(ebs.edk2Order());
        }
    }

    /** One run to do: a design under one profile combination ({@code combo}, an index into the scenarios). */
    record Plan(String strategy, int combo, long seed, List<Integer> order) {}

    /** A matrix row: a design under one profile combination. */
    record Row(String strategy, int combo) {}

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
            OrderStat st = m.computeIfAbsent(new Row(o.strategy(), ran.plan().combo()), k -> new LinkedHashMap<>())
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
        List<String> strategies;
        if ("all".equals(strategy)) strategies = Strategies.NAMES;
        else if (Strategies.NAMES.contains(strategy)) strategies = List.of(strategy);
        else throw new BadInputException("unknown strategy '" + strategy + "' (expected all or one of " + String.join(", ", Strategies.NAMES) + ")");
        if (orders != null && !orders.equals("all")) throw new BadInputException("--orders takes 'all' (got '" + orders + "')");
        scenarios = new ArrayList<>();
        for (Map<String, Object> combo : profiles.combinations()) scenarios.add(RunCommand.scenario(scenario, null, null, null, null, null, faults, combo));
        Scenario sc = scenarios.get(0);
        if (sc.firmwareImpl() != xensim.firmware.FirmwareImpl.MODEL) { // its runs would silently be the models'
            throw new BadInputException("explore runs the Java models (firmware.drivers = model); edk2's own drivers: ./xensim run --firmware ovmf-c or ./xensim compare");
        }
        if (sc.mode() != Mode.DETERMINISTIC) throw new BadInputException("explore runs deterministic simulations (the scenario says " + sc.mode().cliName() + ")");
        if (orders != null && sc.disks() > 5) throw new BadInputException("--orders all enumerates every notify order: use at most 5 disks");
        int parallel = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        if (parallel < 1) throw new BadInputException("--jobs must be >= 1");
        Path dir = UserPaths.outputDir(out != null ? out : Path.of("runs", "explore-" + LocalDate.now()),
                out != null ? "--out" : "the default --out");
        Path disks = Files.createTempDirectory("xensim-explore");

        long wallStart = System.nanoTime();
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
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
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
                    Ran ran = f.get();
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
        return violating.get() == 0 ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION;
    }

    static Outcome runOne(Scenario sc, String strategy, long seed, List<Integer> order, Path disks) throws Exception {
        Path d = Files.createTempDirectory(disks, strategy + "-" + seed);
        try {
            HostConfig base = sc.hostConfig(d);
            FirmwareConfig fw = base.firmware();
            HostConfig cfg = base.withFirmware(new FirmwareConfig(strategy, fw.queueDepth(), fw.readAheadAtEbs(), fw.bootRecordWrite(),
                    order == null ? fw.ebsOrder() : xensim.firmware.uefi.EbsOrder.explicit(order), fw.firmwareIo(), fw.edk2()));
            EbsOrderWatch ebs = new EbsOrderWatch();
            Map<String, String> runBegin = sc.runBegin();
            runBegin.put("firmware.ebs-order", cfg.firmware().ebsOrder().cliName());
            RunResult r = Simulation.run(new RunSpec(seed, Mode.DETERMINISTIC, strategy, sc.name(), null, 1.0, 120_000).withProfiles(runBegin),
                    (seam, done) -> Host.create(seam, cfg, done), ebs);
            EbsOrderWatch.Seen seen = ebs.seen();
            // an empty order orders nothing: its replay needs none
            return new Outcome(strategy, seed, seen.reachedEbs() && order != null && !order.isEmpty() ? order : null, r, seen);
        } finally {
            deleteTree(d);
        }
    }

    /** A matrix cell: how many runs failed the invariant, and the smallest failing (seed, order). */
    static final class Cell {
        int count;
        long seed = Long.MAX_VALUE;
        List<Integer> order;
    }

    static Map<Row, Map<Invariant, Cell>> matrix(List<String> strategies, int combos, List<Ran> outcomes) {
        Map<Row, Map<Invariant, Cell>> m = new LinkedHashMap<>();
        for (String s : strategies) {
            for (int k = 0; k < combos; k++) {
                Map<Invariant, Cell> row = new EnumMap<>(Invariant.class);
                for (Invariant i : Invariant.values()) row.put(i, new Cell());
                m.put(new Row(s, k), row);
            }
        }
        for (Ran ran : outcomes) {
            Outcome o = ran.outcome();
            for (Invariant i : o.result().verdict()) {
                Cell c = m.get(new Row(o.strategy(), ran.plan().combo())).get(i);
                c.count++;
                if (o.seed() < c.seed) {
                    c.seed = o.seed();
                    c.order = o.order();
                }
            }
        }
        return m;
    }

    /** A row's name: the design, with its profile combination when the run explores several. */
    String rowName(Row r) {
        if (scenarios.size() == 1) return r.strategy();
        return r.strategy() + " · " + String.join(" ", scenarios.get(r.combo()).profiles().values());
    }

    static String replay(String strategy, Cell c, Scenario sc, Path file, List<String> faults) {
        String cmd = RunCommand.replay(file, sc, faults).replaceFirst("--strategy \\S+", "--strategy " + strategy)
                .replaceFirst("--seed \\S+", "--seed " + c.seed);
        if (c.order != null) cmd = cmd.replaceFirst("--ebs-order \\S+", "--ebs-order " + c.order.stream().map(String::valueOf).collect(Collectors.joining(",")));
        return cmd;
    }

    String markdown(Map<Row, Map<Invariant, Cell>> m, Scenario sc, Path file, List<String> faults, int runs, boolean allOrders) {
        StringBuilder sb = new StringBuilder();
        sb.append("# xensim explore: ").append(runs).append(" runs, seeds 1..").append(seeds)
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
                        .append(replay(r.strategy(), c, scenarios.get(r.combo()), file, faults)).append("`\n");
            }
        }
        if (!any) sb.append("\nNo violations.\n");
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
                        g.writeStringField("replay", replay(r.strategy(), c, scenarios.get(r.combo()), scenario, faults));
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
