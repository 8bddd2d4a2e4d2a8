package xensim.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import xensim.check.Invariant;
import xensim.cluster.ItemResult;
import xensim.cluster.ScenarioSource;
import xensim.cluster.WorkItem;
import xensim.platform.schedule.ScheduleSpec;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.scenario.Scenario;

/**
 * {@code run --hosts H}: H independent hosts of one scenario, each a whole {@code xensim run} (its
 * guests, its xenstored, its backends), host k (1..H) under seed S+k-1 where S is the run's seed
 * (--seed, else the scenario's, default 1) — the seeds {@code explore --seeds H} runs for S = 1 —
 * and under schedule seed --schedule-seed when given, else the one derived from its own seed, as a
 * plain run derives it. Each host is a {@link WorkItem} of kind HOST whose {@link ItemResult}
 * carries the run's printed summary, whether it ran on a thread here or on a cluster worker; the
 * results are summed by {@link Summary}, a plain function of the results in host order, so the same
 * seeds give the same lines and the same {@code hosts.json} on both paths.
 */
final class RunHosts {
    private RunHosts() {}

    /** The most hosts one run takes. */
    static final int MAX_HOSTS = 1_000_000;

    /** The cap of a host's printed summary as a cluster result carries it (Artery's frame is 4 MiB). */
    static final int MAX_TEXT_CHARS = 256 * 1024;

    /** Host k's seed (k from 1): base + k - 1; bad input past the range of a seed. */
    static long seed(long base, int host) {
        try {
            return Math.addExact(base, host - 1L);
        } catch (ArithmeticException e) {
            throw new BadInputException("--hosts " + host + " from --seed " + base + ": host " + host + "'s seed would pass " + Long.MAX_VALUE);
        }
    }

    /** Host k's folder name under --out: host-K, K zero-padded to the width of H (so they sort). */
    static String dirName(int host, int hosts) {
        String k = String.valueOf(host);
        return "host-" + "0".repeat(String.valueOf(hosts).length() - k.length()) + k;
    }

    /**
     * The H hosts as work items: index k-1, the scenario's design, seed {@link #seed}, the
     * scenario's EBS order (null), the schedule and the host's schedule seed.
     */
    static List<WorkItem> items(Scenario sc, ScenarioSource src, int hosts, ScheduleSpec sched, Long scheduleSeed, List<String> jarShas) {
        seed(sc.seed(), hosts); // the last seed fits
        List<WorkItem> out = new ArrayList<>(hosts);
        String version = xensim.runtime.Version.get();
        for (int k = 1; k <= hosts; k++) {
            long s = seed(sc.seed(), k);
            out.add(new WorkItem(k - 1, version, sc.strategy(), s, null, sched.toString(),
                    scheduleSeed != null ? scheduleSeed : RunSpec.defaultScheduleSeed(s), src, jarShas, WorkItem.Kind.HOST));
        }
        return out;
    }

    /** Host {@code item}'s scenario: {@code sc} under the host's seed. */
    static Scenario of(Scenario sc, WorkItem item) {
        if (!sc.strategy().equals(item.strategy())) {
            throw new IllegalStateException("host item " + item.index() + " of design " + item.strategy() + " on a scenario of " + sc.strategy());
        }
        return sc.withSeed(item.seed());
    }

    /**
     * One host, as {@code xensim run} runs it ({@link RunCommand#runAndReport}: the same run, the
     * same checks — a design that threw or an EBS order that does not fit is bad input): with
     * {@code dir}, its events.jsonl, trace.json, report.html and disk images there, as
     * {@code run --out DIR} writes them, and what it printed (replay line included) in
     * {@code DIR/run.txt}; without (a cluster worker), no log, the disk images under a folder of
     * {@code disks} removed afterwards, and no replay line. The result's text is what it printed.
     */
    static ItemResult runHost(WorkItem item, Scenario sc, Path dir, Path disks, String replay) throws Exception {
        ScheduleSpec sched;
        try {
            sched = ScheduleSpec.parse(item.schedule());
        } catch (IllegalArgumentException e) {
            throw new BadInputException("host " + (item.index() + 1) + ": schedule '" + item.schedule() + "': " + e.getMessage());
        }
        Scenario host = of(sc, item);
        Path diskDir = dir != null ? Files.createDirectories(dir.resolve("disks")) : Files.createTempDirectory(disks, "host-" + (item.index() + 1) + "-");
        StringWriter text = new StringWriter();
        RunResult r;
        try (PrintWriter pw = new PrintWriter(text)) {
            HostConfig cfg = host.hostConfig(diskDir);
            r = RunCommand.runAndReport(pw, RunCommand.runSpec(host, dir).withSchedule(sched, item.scheduleSeed()), cfg, null, false, replay);
        } finally {
            if (dir == null) ExploreCommand.deleteTree(diskDir);
        }
        String printed = text.toString();
        if (dir != null) Files.writeString(dir.resolve("run.txt"), printed, StandardCharsets.UTF_8);
        return result(item, r, dir == null ? capped(printed) : printed);
    }

    static ItemResult result(WorkItem item, RunResult r, String text) {
        List<String> verdict = new ArrayList<>();
        for (Invariant i : r.verdict()) verdict.add(i.name());
        Map<String, Integer> counts = new LinkedHashMap<>();
        r.counts().forEach((k, v) -> counts.put(k.name(), v));
        return new ItemResult(item.index(), item.strategy(), item.seed(), null, verdict, counts, r.virtualNanos(), r.events(), r.ending().name(),
                r.steps(), Map.of(), Map.of(), null, null, List.of(), List.of(), item.scheduleSeed(), null, text);
    }

    /** {@code text} within {@link #MAX_TEXT_CHARS}: a guest table too long for a message loses its middle rows (the replay prints them). */
    static String capped(String text) {
        if (text.length() <= MAX_TEXT_CHARS) return text;
        List<String> lines = text.lines().toList();
        List<String> head = new ArrayList<>(), tail = new ArrayList<>();
        int budget = MAX_TEXT_CHARS - 200, lo = 0, hi = lines.size() - 1;
        // the verdict and the lines after it, then the header and the first guests
        while (hi >= 0 && !lines.get(hi).startsWith("verdict: ")) tail.add(0, lines.get(hi--));
        if (hi >= 0) tail.add(0, lines.get(hi--));
        for (String l : tail) budget -= l.length() + 1;
        while (lo <= hi && budget - lines.get(lo).length() - 1 > 0) {
            budget -= lines.get(lo).length() + 1;
            head.add(lines.get(lo++));
        }
        StringBuilder sb = new StringBuilder();
        for (String l : head) sb.append(l).append('\n');
        sb.append("… ").append(hi - lo + 1).append(" lines left out of the cluster's result (the host's replay line prints them)\n");
        for (String l : tail) sb.append(l).append('\n');
        return sb.toString();
    }

    /**
     * What a host's run.txt says when the host ran elsewhere: its printed text with the replay line
     * (this machine's, with its paths) after the verdict, where {@code xensim run} prints it.
     */
    static String withReplay(String text, boolean clean, String replay) {
        if (clean || text == null) return text;
        StringBuilder sb = new StringBuilder();
        boolean added = false;
        for (String l : text.split("\n", -1)) {
            if (sb.length() > 0) sb.append('\n');
            sb.append(l);
            if (!added && l.startsWith("verdict: ")) {
                sb.append('\n').append("replay: ").append(replay);
                added = true;
            }
        }
        return sb.toString();
    }

    /**
     * Which hosts keep their log (events.jsonl, trace.json, report.html, disk images) under
     * OUT/host-K/: every host ({@code all}, the default here: what {@code run --out} writes), the
     * hosts that violated an invariant ({@code violations}: each run once without its log, and a
     * violating one once more with it — the same run, the seed decides it), or none. Every host
     * gets its run.txt.
     */
    enum Logs {
        ALL, VIOLATIONS, NONE;

        static Logs parse(String s) {
            return switch (s) {
                case "all" -> ALL;
                case "violations" -> VIOLATIONS;
                case "none" -> NONE;
                default -> throw new BadInputException("--host-logs: all, violations or none, got '" + s + "'");
            };
        }

        String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Hosts {@code which} (indexes into {@code items}) on {@code jobs} threads here, host k's output
     * in {@code dirOf.apply(k)} as {@code logs} says; the results by index ({@code null} for those
     * not run). The first host whose run throws stops the others (bad input is rethrown as is).
     */
    static ItemResult[] runLocal(List<WorkItem> items, List<Integer> which, Scenario sc, int jobs, Logs logs, IntFunction<Path> dirOf,
                                 IntFunction<String> replayOf, Runnable onDone) throws Exception {
        org.slf4j.LoggerFactory.getILoggerFactory(); // bound before the hosts' logs start at once (as Main does)
        ItemResult[] out = new ItemResult[items.size()];
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        Path disks = logs == Logs.ALL ? null : Files.createTempDirectory("xensim-hosts");
        try {
            for (int w = 0; w < Math.min(jobs, which.size()); w++) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        int n = next.getAndIncrement();
                        if (n >= which.size()) return;
                        int i = which.get(n);
                        try {
                            out[i] = runHere(items.get(i), sc, logs, dirOf.apply(i + 1), disks, replayOf.apply(i + 1));
                            onDone.run();
                        } catch (Throwable e) {
                            failures.add(e);
                            stop.set(true);
                        }
                    }
                }, "xensim-host-" + w);
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) t.join();
        } finally {
            if (disks != null) ExploreCommand.deleteTree(disks);
        }
        if (!failures.isEmpty()) {
            Throwable f = failures.get(0);
            if (f instanceof BadInputException bad) throw bad; // a design that threw, an order that does not fit
            if (f instanceof ModellingErrorException m) throw m;
            if (f instanceof Exception e) throw e;
            throw new IllegalStateException("a host's run failed", f);
        }
        return out;
    }

    /** One host here, into {@code dir} as {@code logs} says (run.txt always). */
    private static ItemResult runHere(WorkItem item, Scenario sc, Logs logs, Path dir, Path disks, String replay) throws Exception {
        if (logs == Logs.ALL) return runHost(item, sc, dir, null, replay);
        ItemResult r = runHost(item, sc, null, disks, null);
        boolean clean = r.verdict().isEmpty();
        if (logs == Logs.VIOLATIONS && !clean) {
            ItemResult again = runHost(item, sc, dir, null, replay); // its log, and run.txt as run prints it
            if (!again.verdict().equals(r.verdict()) || again.events() != r.events()) {
                throw new IllegalStateException("host " + (item.index() + 1) + " run again for its log gave " + again.verdict() + " in " + again.events()
                        + " events, first " + r.verdict() + " in " + r.events() + ": the same seed must give the same run");
            }
            return r;
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("run.txt"), withReplay(r.text(), clean, replay), StandardCharsets.UTF_8);
        return r;
    }

    /** One host's part of the sum: its number (from 1), its result, its replay line. */
    record Host(int host, ItemResult result, String replay) {
        boolean clean() {
            return result.verdict().isEmpty();
        }

        /** As {@code xensim run} prints it: "verdict: clean" or "verdict: VIOLATION A B" (the invariants in their order). */
        String verdictLine() {
            if (clean()) return "verdict: clean";
            java.util.EnumSet<Invariant> v = java.util.EnumSet.noneOf(Invariant.class);
            for (String i : result.verdict()) v.add(Invariant.valueOf(i));
            StringBuilder sb = new StringBuilder("verdict: VIOLATION");
            for (Invariant i : v) sb.append(' ').append(i.name());
            return sb.toString();
        }
    }

    /**
     * The summed verdict of the hosts (in host order): how many hosts gave each verdict line, how
     * many violated each invariant, the overall verdict line (clean, or VIOLATION with every
     * invariant any host violated, on how many hosts) and the exit code {@code xensim run} gives its
     * worst host: 1 if any host violated an invariant, else 0.
     */
    record Summary(List<Host> hosts) {
        Summary {
            hosts = List.copyOf(hosts);
        }

        int violating() {
            return (int) hosts.stream().filter(h -> !h.clean()).count();
        }

        /** Verdict line → hosts, in the order the verdicts first appear. */
        Map<String, Integer> byVerdict() {
            Map<String, Integer> m = new LinkedHashMap<>();
            for (Host h : hosts) m.merge(h.verdictLine().substring("verdict: ".length()), 1, Integer::sum);
            return m;
        }

        /** Invariant → hosts violating it, in the invariants' order; only those violated. */
        Map<String, Integer> byInvariant() {
            Map<Invariant, Integer> m = new EnumMap<>(Invariant.class);
            for (Host h : hosts) for (String v : h.result().verdict()) m.merge(Invariant.valueOf(v), 1, Integer::sum);
            Map<String, Integer> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k.name(), v));
            return out;
        }

        int exitCode() {
            return violating() == 0 ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION;
        }

        String verdictLine() {
            int n = hosts.size();
            if (violating() == 0) return "verdict: clean (" + n + " host" + (n == 1 ? "" : "s") + ")";
            return "verdict: VIOLATION " + String.join(" ", byInvariant().keySet()) + " on " + violating() + " of " + n + " host" + (n == 1 ? "" : "s");
        }

        /** What stdout shows: a line and the replay per host, the counts per verdict and invariant, the verdict. */
        List<String> lines() {
            List<String> out = new ArrayList<>();
            for (Host h : hosts) {
                ItemResult r = h.result();
                out.add(String.format(java.util.Locale.ROOT, "host %d  seed %d  %s  (%d events, %.3f ms virtual, ended %s)", h.host(), r.seed(),
                        h.verdictLine(), r.events(), r.virtualNanos() / 1e6, r.ending()));
                out.add("  replay: " + h.replay());
            }
            StringBuilder counts = new StringBuilder("hosts by verdict:");
            byVerdict().forEach((v, c) -> counts.append(' ').append(c).append(" × ").append(v).append(';'));
            out.add(counts.substring(0, counts.length() - 1));
            if (violating() > 0) {
                StringBuilder inv = new StringBuilder("hosts by invariant:");
                byInvariant().forEach((v, c) -> inv.append(' ').append(v).append(' ').append(c).append(','));
                out.add(inv.substring(0, inv.length() - 1));
            }
            out.add(verdictLine());
            return out;
        }

        /**
         * hosts.json: the sum and every host (no node, no wall time, no executor step count — it
         * varies by a few between runs of one seed while the events do not — so the same seeds
         * give the same file wherever they ran); a host's schedule seed where the schedule makes
         * choices.
         */
        String json(Map<String, Object> run, boolean controlled) {
            Map<String, Object> m = new LinkedHashMap<>(run);
            m.put("hosts", hosts.size());
            m.put("verdict", violating() == 0 ? "clean" : "VIOLATION");
            m.put("violating", violating());
            m.put("exit", exitCode());
            m.put("byVerdict", byVerdict());
            m.put("byInvariant", byInvariant());
            List<Map<String, Object>> each = new ArrayList<>();
            for (Host h : hosts) {
                ItemResult r = h.result();
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("host", h.host());
                e.put("seed", r.seed());
                if (controlled) e.put("scheduleSeed", r.scheduleSeed());
                e.put("verdict", r.verdict());
                e.put("counts", r.counts());
                e.put("events", r.events());
                e.put("virtualNanos", r.virtualNanos());
                e.put("ending", r.ending());
                e.put("replay", h.replay());
                each.add(e);
            }
            m.put("host", each);
            try {
                return JSON.writeValueAsString(m) + "\n";
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
}
