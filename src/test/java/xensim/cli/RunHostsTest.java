package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.cluster.ItemResult;
import xensim.cluster.WorkItem;
import xensim.platform.schedule.ScheduleSpec;
import xensim.runtime.RunSpec;
import xensim.scenario.Scenario;

/**
 * {@code run --hosts}: H hosts under seeds S..S+H-1, each one reproduced alone by its replay
 * line (the same verdict, the same events.jsonl byte for byte), summed right; a host run the
 * cluster's way (a worker's runner, no log) gives the same result; bad combinations are one line
 * and exit 2, leaving nothing behind.
 */
class RunHostsTest {
    /**
     * A host whose backend crashes at its 14th request and then acknowledges the WRITEs it lost:
     * refcount loses data when that request is a WRITE, which depends on the seed's workload —
     * seeds 5..7 give both verdicts (explore's results for seeds 1..8: only seed 6 clean).
     */
    private static final List<String> MIXED = List.of("run", "--strategy", "refcount", "--fault", "backend-crash@requests=14",
            "--fault", "backend-lost-writes@requests=1", "--seed", "5");

    private static final Pattern HOST = Pattern.compile("^host (\\d+)  seed (-?\\d+)  (verdict: [A-Z_ a-z]+?)  \\((\\d+) events, ([0-9.]+) ms virtual, ended (\\w+)\\)$");

    @Test
    void threeLocalHostsRunSeedsSToSPlus2AndEachReplayLineReproducesItsHostAlone(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("hosts");
        List<String> args = new ArrayList<>(MIXED);
        args.addAll(List.of("--hosts", "3", "--jobs", "2", "--out", out.toString()));
        Cli.Result r = Cli.exec(args.toArray(String[]::new));
        List<String> lines = r.out().lines().toList();
        List<String[]> hosts = new ArrayList<>(); // {host, seed, verdict line, events, virtual ms, ending}
        List<String> replays = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = HOST.matcher(lines.get(i));
            if (!m.matches()) continue;
            hosts.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)});
            assertTrue(lines.get(i + 1).startsWith("  replay: ./xensim run "), lines.get(i + 1));
            replays.add(lines.get(i + 1).substring("  replay: ".length()));
        }
        assertEquals(3, hosts.size(), r.out() + r.err());
        int violating = 0;
        for (int k = 1; k <= 3; k++) {
            String[] h = hosts.get(k - 1);
            assertEquals(String.valueOf(k), h[0]);
            assertEquals(String.valueOf(5 + k - 1), h[1], "host k runs seed S+k-1");
            assertTrue(replays.get(k - 1).contains(" --seed " + (5 + k - 1) + " "), replays.get(k - 1));
            if (!h[2].equals("verdict: clean")) violating++;
            // the host's replay line alone: the same verdict, the same log byte for byte, the same printed summary
            Path alone = tmp.resolve("alone-" + k);
            List<String> replay = new ArrayList<>(List.of(replays.get(k - 1).split(" ")).subList(1, replays.get(k - 1).split(" ").length));
            replay.addAll(List.of("--out", alone.toString()));
            Cli.Result one = Cli.exec(replay.toArray(String[]::new));
            assertTrue(one.out().contains("\n" + h[2] + "\n"), "host " + k + ": " + h[2] + " alone: " + one.out());
            assertEquals(h[2].equals("verdict: clean") ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION, one.code());
            assertTrue(one.out().startsWith("xensim run: seed " + h[1] + ", mode deterministic, strategy refcount, " + h[3] + " events, " + h[4] + " ms virtual"),
                    one.out());
            Path hostDir = out.resolve("host-" + k);
            assertArrayEquals(Files.readAllBytes(alone.resolve("events.jsonl")), Files.readAllBytes(hostDir.resolve("events.jsonl")),
                    "host " + k + "'s events.jsonl is its replay's");
            assertEquals(one.out().replace(alone.toString(), "DIR"), Files.readString(hostDir.resolve("run.txt")).replace(hostDir.toString(), "DIR"));
            assertTrue(Files.isRegularFile(hostDir.resolve("report.html")) && Files.isRegularFile(hostDir.resolve("trace.json")));
        }
        assertTrue(violating > 0 && violating < 3, "seeds 5..7 give both verdicts (the sum is tried on both): " + r.out());
        // the sum
        assertEquals(Main.EXIT_VIOLATION, r.code(), "the worst host's exit");
        Map<String, Integer> byVerdict = new LinkedHashMap<>();
        for (String[] h : hosts) byVerdict.merge(h[2].substring("verdict: ".length()), 1, Integer::sum);
        StringBuilder expect = new StringBuilder("hosts by verdict:");
        byVerdict.forEach((v, c) -> expect.append(' ').append(c).append(" × ").append(v).append(';'));
        assertTrue(lines.contains(expect.substring(0, expect.length() - 1)), expect + "\n" + r.out());
        assertTrue(lines.contains("verdict: VIOLATION DATA_INTEGRITY on " + violating + " of 3 hosts"), r.out());
        assertTrue(lines.contains("hosts by invariant: DATA_INTEGRITY " + violating), r.out());
        JsonNode json = new ObjectMapper().readTree(out.resolve("hosts.json").toFile());
        assertEquals(3, json.get("hosts").asInt());
        assertEquals(violating, json.get("violating").asInt());
        assertEquals(1, json.get("exit").asInt());
        assertEquals(5, json.get("seeds").get("first").asLong());
        assertEquals(7, json.get("seeds").get("last").asLong());
        for (int k = 1; k <= 3; k++) {
            JsonNode h = json.get("host").get(k - 1);
            assertEquals(k, h.get("host").asInt());
            assertEquals(5 + k - 1, h.get("seed").asLong());
            assertEquals(replays.get(k - 1), h.get("replay").asText());
            assertEquals(hosts.get(k - 1)[2].equals("verdict: clean"), h.get("verdict").isEmpty());
        }
        // --host-logs violations: the same hosts, a log only where a host violated an invariant, run.txt everywhere
        Path some = tmp.resolve("violations");
        List<String> again = new ArrayList<>(MIXED);
        again.addAll(List.of("--hosts", "3", "--jobs", "2", "--host-logs", "violations", "--out", some.toString()));
        Cli.Result v = Cli.exec(again.toArray(String[]::new));
        assertEquals(Main.EXIT_VIOLATION, v.code(), v.out() + v.err());
        assertEquals(Files.readString(out.resolve("hosts.json")), Files.readString(some.resolve("hosts.json")));
        for (int k = 1; k <= 3; k++) {
            boolean clean = hosts.get(k - 1)[2].equals("verdict: clean");
            Path hd = some.resolve("host-" + k);
            assertEquals(!clean, Files.exists(hd.resolve("events.jsonl")), "host " + k);
            assertEquals(!clean, Files.exists(hd.resolve("report.html")), "host " + k);
            String here = Files.readString(hd.resolve("run.txt")), all = Files.readString(out.resolve("host-" + k + "/run.txt"));
            assertEquals(clean ? withoutLog(all) : all.replace(out.toString(), "OUT"), clean ? here : here.replace(some.toString(), "OUT"));
        }
    }

    private static String withoutLog(String runTxt) {
        return runTxt.lines().filter(l -> !l.startsWith("events: ") && !l.startsWith("report: ")).map(l -> l + "\n").reduce("", String::concat);
    }

    /** A host as a cluster worker runs it (the runner a worker node uses: no log, the summary in the result) is the local host. */
    @Test
    void aHostRunTheWorkersWayIsTheLocalHost(@TempDir Path tmp) throws Exception {
        Scenario sc = RunCommand.scenario((Path) null, "refcount", 5L, null, null, null, List.of("backend-crash@requests=14", "backend-lost-writes@requests=1"));
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("strategy", "refcount");
        keys.put("mode", "deterministic");
        var src = ExploreItems.source(null, null, List.of("backend-crash@requests=14", "backend-lost-writes@requests=1"), keys);
        List<WorkItem> items = RunHosts.items(sc, src, 2, ScheduleSpec.parse("random"), null, List.of());
        WorkItem second = items.get(1);
        assertEquals(6, second.seed());
        assertEquals(RunSpec.defaultScheduleSeed(6), second.scheduleSeed(), "a host's schedule seed is derived from its own seed, as run derives it");
        assertEquals(WorkItem.Kind.HOST, second.kind());
        ObjectMapper json = new ObjectMapper();
        WorkItem sent = json.readValue(json.writeValueAsString(second), WorkItem.class);
        assertEquals(second, sent);
        Path disks = Files.createDirectories(tmp.resolve("disks"));
        ItemResult there = ClusterExplore.runner(disks).run(sent, List.of());
        ItemResult back = json.readValue(json.writeValueAsString(there), ItemResult.class);
        assertEquals(there, back, "a host's result survives JSON whole");
        ItemResult here = RunHosts.runHost(second, sc, tmp.resolve("here"), null, "REPLAY");
        assertEquals(here.verdict(), back.verdict());
        assertEquals(here.counts(), back.counts());
        assertEquals(here.events(), back.events());
        assertEquals(here.virtualNanos(), back.virtualNanos());
        // (not the executor's step count: it differs by one now and then between runs of one seed, with the same events)
        assertTrue(back.text().startsWith("xensim run: seed 6, mode deterministic, strategy refcount, " + here.events() + " events"), back.text());
        assertTrue(back.text().contains("schedule random (schedule seed " + RunSpec.defaultScheduleSeed(6) + ")"), back.text());
        assertFalse(back.text().contains("events: ") || back.text().contains("report: "), "no log on a worker: " + back.text());
        try (var left = Files.list(disks)) {
            assertEquals(0, left.count(), "a worker's disk images are removed");
        }
        // run.txt as the coordinator writes it: the local one but for the log's lines
        String local = Files.readString(tmp.resolve("here/run.txt")).lines().filter(l -> !l.startsWith("events: ") && !l.startsWith("report: "))
                .map(l -> l + "\n").reduce("", String::concat);
        assertEquals(local.replaceAll("\\d+ steps", "N steps"), RunHosts.withReplay(back.text(), back.verdict().isEmpty(), "REPLAY")
                .replaceAll("\\d+ steps", "N steps"));
    }

    @Test
    void theSumCountsHostsPerVerdictAndInvariantAndExitsAsTheWorstHost() {
        RunHosts.Summary clean = new RunHosts.Summary(List.of(host(1, 1), host(2, 2)));
        assertEquals(0, clean.violating());
        assertEquals(Main.EXIT_CLEAN, clean.exitCode());
        assertEquals("verdict: clean (2 hosts)", clean.verdictLine());
        assertEquals(Map.of("clean", 2), clean.byVerdict());
        assertTrue(clean.lines().contains("hosts by verdict: 2 × clean"), clean.lines().toString());
        assertFalse(clean.lines().stream().anyMatch(l -> l.startsWith("hosts by invariant")));

        RunHosts.Summary mixed = new RunHosts.Summary(List.of(host(1, 10, "GRANT_LEAK", "HANG"), host(2, 11), host(3, 12, "HANG"),
                host(4, 13, "GRANT_LEAK", "HANG")));
        assertEquals(3, mixed.violating());
        assertEquals(Main.EXIT_VIOLATION, mixed.exitCode());
        assertEquals(List.of("VIOLATION HANG GRANT_LEAK", "clean", "VIOLATION HANG"), List.copyOf(mixed.byVerdict().keySet()),
                "first seen first; invariants in their order");
        assertEquals(List.of(2, 1, 1), List.copyOf(mixed.byVerdict().values()));
        assertEquals(List.of("HANG", "GRANT_LEAK"), List.copyOf(mixed.byInvariant().keySet()));
        assertEquals(List.of(3, 2), List.copyOf(mixed.byInvariant().values()));
        assertEquals("verdict: VIOLATION HANG GRANT_LEAK on 3 of 4 hosts", mixed.verdictLine());
        List<String> lines = mixed.lines();
        assertEquals("host 1  seed 10  verdict: VIOLATION HANG GRANT_LEAK  (100 events, 1.500 ms virtual, ended COMPLETED)", lines.get(0));
        assertEquals("  replay: R10", lines.get(1));
        assertTrue(lines.contains("hosts by verdict: 2 × VIOLATION HANG GRANT_LEAK; 1 × clean; 1 × VIOLATION HANG"), lines.toString());
        assertTrue(lines.contains("hosts by invariant: HANG 3, GRANT_LEAK 2"), lines.toString());
        assertEquals(mixed.verdictLine(), lines.get(lines.size() - 1));
        assertEquals(new RunHosts.Summary(List.of(host(1, 1, "HANG"))).verdictLine(), "verdict: VIOLATION HANG on 1 of 1 host");
        String json = mixed.json(Map.of("strategy", "x"), false);
        assertTrue(json.contains("\"violating\" : 3") && json.contains("\"exit\" : 1") && !json.contains("scheduleSeed") && !json.contains("steps"), json);
        assertTrue(mixed.json(Map.of(), true).contains("\"scheduleSeed\" : 7"));
    }

    @Test
    void seedsFolderNamesAndTheCappedSummary() {
        assertEquals(5, RunHosts.seed(5, 1));
        assertEquals(7, RunHosts.seed(5, 3));
        assertEquals(Long.MAX_VALUE, RunHosts.seed(Long.MAX_VALUE - 1, 2));
        assertEquals(-1, RunHosts.seed(-3, 3));
        assertEquals("host-1", RunHosts.dirName(1, 9));
        assertEquals("host-01", RunHosts.dirName(1, 10));
        assertEquals("host-100", RunHosts.dirName(100, 100));
        assertEquals("host-007", RunHosts.dirName(7, 250));
        StringBuilder big = new StringBuilder("xensim run: seed 1\nguest   dom\n");
        for (int g = 0; g < 10_000; g++) big.append("guest").append(g).append(" ".repeat(80)).append('\n');
        big.append("verdict: VIOLATION HANG\n");
        String capped = RunHosts.capped(big.toString());
        assertTrue(capped.length() <= RunHosts.MAX_TEXT_CHARS, capped.length() + " chars");
        assertTrue(capped.startsWith("xensim run: seed 1\nguest   dom\nguest0 ") && capped.endsWith("verdict: VIOLATION HANG\n"), capped.substring(capped.length() - 300));
        assertTrue(capped.contains(" lines left out of the cluster's result (the host's replay line prints them)"));
        assertEquals("short\n", RunHosts.capped("short\n"));
        assertEquals("a\nverdict: VIOLATION HANG\nreplay: R\nreport: x", RunHosts.withReplay("a\nverdict: VIOLATION HANG\nreport: x", false, "R"));
        assertEquals("a\nverdict: clean\n", RunHosts.withReplay("a\nverdict: clean\n", true, "R"));
        assertNull(RunHosts.withReplay(null, false, "R"));
    }

    @Test
    void flagsThatDoNotCombineAreOneLineAndExit2AndLeaveNothingBehind(@TempDir Path tmp) {
        Path out = tmp.resolve("never");
        assertBad(out, "--hosts must be at least 1, got 0", "--hosts", "0");
        assertBad(out, "--hosts must be at least 1, got -2", "--hosts", "-2");
        assertBad(out, "--hosts must be at most 1000000", "--hosts", "1000001");
        assertBad(out, "--hold keeps one host up: not with --hosts", "--hosts", "2", "--hold");
        assertBad(out, "--xenstore-socket serves one host's xenstored: not with --hosts", "--hosts", "2", "--xenstore-socket", tmp.resolve("s").toString());
        assertBad(out, "--hosts runs deterministic hosts", "--hosts", "2", "--mode", "threaded");
        assertBad(out, "--hosts runs the Java models: --firmware ovmf-c", "--hosts", "2", "--firmware", "ovmf-c", "--strategy", "disconnect");
        assertBad(out, "host 2's seed would pass 9223372036854775807", "--hosts", "2", "--seed", "9223372036854775807");
        assertBad(out, "--jobs goes with --hosts H", "--jobs", "2");
        assertBad(out, "--cluster goes with --hosts H", "--cluster", "127.0.0.1:2552");
        assertBad(out, "--no-local goes with --hosts H", "--no-local");
        assertBad(out, "--jobs must be between 1 and 1024", "--hosts", "2", "--jobs", "0");
        assertBad(out, "--host-logs goes with --hosts H", "--host-logs", "none");
        assertBad(out, "--host-logs: all, violations or none, got 'some'", "--hosts", "2", "--host-logs", "some");
        assertBad(out, "--host-logs all with --cluster would run every host again here", "--hosts", "2", "--host-logs", "all", "--cluster", "127.0.0.1:2552");
        assertBad(out, "--no-local goes with --cluster", "--hosts", "2", "--no-local");
        assertBad(out, "--worker-timeout goes with --cluster", "--hosts", "2", "--worker-timeout", "5s");
        assertBad(out, "--min-workers goes with --cluster", "--hosts", "2", "--min-workers", "1");
        assertBad(out, "--cluster 'nohost': expected HOST:PORT", "--hosts", "2", "--cluster", "nohost");
        assertBad(out, "--worker-timeout 'soon'", "--hosts", "2", "--cluster", "127.0.0.1:2552", "--worker-timeout", "soon");
        assertBad(out, "--no-local needs --min-workers of at least 1", "--hosts", "2", "--cluster", "127.0.0.1:2552", "--no-local", "--min-workers", "0");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            Cli.Result r = Cli.exec("run", "--hosts", "2", "--out", tmp.resolve("taken").toString(), "--cluster", "127.0.0.1:" + taken.getLocalPort());
            assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.out() + r.err());
            assertTrue(r.err().contains("cannot listen there") && r.err().strip().lines().count() == 1, r.err());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertBad(Path out, String text, String... args) {
        List<String> a = new ArrayList<>(List.of("run", "--out", out.toString()));
        a.addAll(List.of(args));
        Cli.Result r = Cli.exec(a.toArray(String[]::new));
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(text) && r.err().strip().lines().count() == 1, text + " in one line: " + r.err());
        assertFalse(Files.exists(out), "nothing left behind: " + String.join(" ", args));
    }

    private static RunHosts.Host host(int k, long seed, String... verdict) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String v : verdict) counts.put(v, 1);
        ItemResult r = new ItemResult(k - 1, "refcount", seed, null, List.of(verdict), counts, 1_500_000, 100, "COMPLETED", 9, Map.of(), Map.of(),
                null, null, List.of(), List.of(), 7, null, "text");
        return new RunHosts.Host(k, r, "R" + seed);
    }
}
