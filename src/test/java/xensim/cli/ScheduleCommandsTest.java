package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16 end to end: run --schedule, explore over schedules and budgets, shrink, exhaustive. */
class ScheduleCommandsTest {
    @TempDir
    Path tmp;

    static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse("");
    }

    @Test
    void aControlledRunNamesItsScheduleInRunBeginAndTheReplayAndIsByteIdentical() throws Exception {
        String[] args = {"run", "--strategy", "naive-reset", "--seed", "3", "--schedule", "pct:3/2000", "--schedule-seed", "17",
                "--io-after-ebs", "8"};
        Cli.Result a = Cli.exec(concat(args, "--out", tmp.resolve("a").toString()));
        Cli.Result b = Cli.exec(concat(args, "--out", tmp.resolve("b").toString()));
        assertEquals(1, a.code(), a.out() + a.err());
        String first = Files.readString(tmp.resolve("a/events.jsonl"));
        assertEquals(first, Files.readString(tmp.resolve("b/events.jsonl")), "same seeds, byte-identical log");
        String begin = first.lines().findFirst().orElseThrow();
        assertTrue(begin.contains("\"schedule\":\"pct:3/2000\",\"scheduleSeed\":17"), begin);
        String replay = line(a.out(), "replay: ");
        assertTrue(replay.contains(" --schedule pct:3/2000 --schedule-seed 17") && replay.contains(" --io-after-ebs 8"), replay);
        assertTrue(a.out().contains("schedule pct:3/2000 (schedule seed 17): "), a.out());
        // the schedule as its deviations replays the same run, event for event
        String dev = line(a.out(), "the same schedule as deviations: --schedule ").substring("the same schedule as deviations: --schedule ".length());
        Cli.Result c = Cli.exec("run", "--strategy", "naive-reset", "--seed", "3", "--schedule", dev, "--io-after-ebs", "8",
                "--out", tmp.resolve("c").toString());
        String replayed = Files.readString(tmp.resolve("c/events.jsonl"));
        assertEquals(first.substring(first.indexOf('\n')), replayed.substring(replayed.indexOf('\n')), "dev: replays the run");
        // fifo is today's run: RUN_BEGIN says so and carries no schedule seed
        Cli.Result f = Cli.exec("run", "--seed", "3", "--io-after-ebs", "8", "--out", tmp.resolve("f").toString());
        String fb = Files.readString(tmp.resolve("f/events.jsonl")).lines().findFirst().orElseThrow();
        assertTrue(fb.endsWith("\"schedule\":\"fifo\"}"), fb);
        assertFalse(f.out().contains("deviations"), f.out());
    }

    @Test
    void badSchedulesAreBadInput() {
        for (String bad : new String[] {"lifo", "pct:0", "pct:2/x", "dev:1.0"}) {
            Cli.Result r = Cli.exec("run", "--schedule", bad, "--out", tmp.resolve("x").toString());
            assertEquals(2, r.code(), bad + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("xensim: --schedule: "), r.err());
        }
        assertEquals(2, Cli.exec("run", "--schedule", "random", "--mode", "threaded", "--out", tmp.resolve("y").toString()).code());
        assertEquals(2, Cli.exec("explore", "--schedule", "dev:1.1", "--no-progress").code());
        assertEquals(2, Cli.exec("explore", "--budget", "soon", "--no-progress").code());
        assertEquals(2, Cli.exec("explore", "--exhaustive", "--preemptions", "9", "--no-progress").code());
        assertEquals(2, Cli.exec("shrink", "--", "run", "--strategy", "nope").code());
    }

    @Test
    void exploreRowsPerScheduleStopOnFirstAndBudget() throws Exception {
        Cli.Result o = Cli.exec("explore", "--strategy", "naive-reset,refcount", "--schedule", "fifo,pct:3", "--seeds", "2",
                "--no-progress", "--out", tmp.resolve("m").toString());
        assertEquals(1, o.code(), o.out() + o.err());
        assertTrue(o.out().contains("8 runs"), o.out());
        assertTrue(o.out().contains("| naive-reset · fifo | 0 | 2 |") && o.out().contains("| refcount · pct:3/"), o.out());
        assertTrue(o.out().contains("naive-reset · pct:3/") && o.out().contains("--schedule pct:3/"), o.out());
        assertTrue(o.out().contains("First failure per row") && o.out().contains("| naive-reset · fifo | STALE_MAPPING"), o.out());
        assertTrue(Files.readString(tmp.resolve("m/matrix.json")).contains("\"schedule\" : \"pct:3/"));
        // each failing row's seed report is its own failing run again: the pct:3 row's under pct:3 and its schedule seed
        // (its timeline marks the deviations), the fifo row's under FIFO (none); neither overwrites the other
        List<Path> reports;
        try (var w = Files.walk(tmp.resolve("m/seeds"))) {
            reports = w.filter(p -> p.getFileName().toString().equals("report.html") && p.toString().contains("naive-reset"))
                    .sorted().collect(java.util.stream.Collectors.toList());
        }
        Path fifoReport = reports.stream().filter(p -> !p.toString().contains("pct")).findFirst().orElseThrow(() -> new AssertionError(reports.toString()));
        Path pctReport = reports.stream().filter(p -> p.toString().contains("pct")).findFirst().orElseThrow(() -> new AssertionError(reports.toString()));
        assertTrue(pctReport.toString().contains("-schedule-seed"), pctReport.toString());
        assertTrue(Files.readString(pctReport).contains("SCHEDULE_DEVIATION step"), "the pct:3 failure rerun under pct:3: " + pctReport);
        assertTrue(!Files.readString(fifoReport).contains("SCHEDULE_DEVIATION step"), "the fifo failure rerun under fifo: " + fifoReport);
        assertTrue(Files.readString(pctReport).contains("STALE_MAPPING") && Files.readString(fifoReport).contains("STALE_MAPPING"));

        Cli.Result s = Cli.exec("explore", "--strategy", "naive-reset", "--seeds", "50", "--stop-on-first", "--jobs", "1",
                "--no-progress", "--out", tmp.resolve("s").toString());
        assertEquals(1, s.code(), s.out());
        assertTrue(s.out().contains("1 runs in") && s.out().contains("(stopped at the first)"), s.out());

        Cli.Result b = Cli.exec("explore", "--strategy", "refcount", "--schedule", "random", "--budget", "3s",
                "--no-progress", "--out", tmp.resolve("b").toString());
        assertEquals(0, b.code(), b.out() + b.err());
        assertTrue(b.out().contains("(budget 3s)") && b.out().contains("No violations."), b.out());
        assertFalse(b.out().contains(" 0 runs in"), b.out());
    }

    @Test
    void shrinkRemovesTheScenarioFilesOwnFaultsToo() throws Exception {
        // guest 1's one dropped kick is never re-sent (HANG); the file's other faults and the command line's are noise
        Path file = tmp.resolve("faults.conf");
        Files.writeString(file, "xensim {\n  guests.count = 2\n  faults = [\"evtchn-dup@p=0.05\", \"evtchn-delay@p=0.05:delay=500us\","
                + " \"evtchn-drop@requests=20:guest=1\"]\n}\n");
        Cli.Result r = Cli.exec("shrink", "--out", tmp.resolve("shf").toString(), "--", "run", "--scenario", file.toString(),
                "--strategy", "refcount", "--seed", "1", "--fault", "backend-slow@80ms:factor=2");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("shrinking 4 faults (3 of them the scenario file's)"), r.out());
        String removed = line(r.out(), "removed: ");
        assertTrue(removed.contains("fault 'evtchn-dup@p=0.05'") && removed.contains("fault 'evtchn-delay@p=0.05:delay=500us'")
                && removed.contains("fault 'backend-slow@80ms:factor=2'"), removed);
        String min = line(r.out(), "minimal replay: ").substring("minimal replay: ".length());
        assertTrue(min.endsWith(" --no-scenario-faults --fault evtchn-drop@requests=20:guest=1"), min);
        assertTrue(line(r.out(), "runs: ").matches("runs: \\d+ .*faults 4 -> 1, guests 2 -> 2.*"), r.out());
        // the minimal replay is a run of its own: the file's faults left out, the one kept fault still hangs guest 1
        List<String> args = new java.util.ArrayList<>(List.of(min.substring("./xensim ".length()).split(" ")));
        args.addAll(List.of("--out", tmp.resolve("again").toString()));
        Cli.Result again = Cli.exec(args.toArray(String[]::new));
        assertEquals(1, again.code(), again.out() + again.err());
        assertTrue(again.out().contains("verdict: VIOLATION HANG"), again.out());
        assertTrue(line(again.out(), "replay: ").equals("replay: " + min), again.out());
        List<String> injected = Files.readAllLines(tmp.resolve("again/events.jsonl")).stream()
                .filter(l -> l.contains("\"ev\":\"FAULT_INJECTED\"")).collect(java.util.stream.Collectors.toList());
        assertTrue(!injected.isEmpty() && injected.stream().allMatch(l -> l.contains("\"fault\":\"evtchn-drop@requests=20:guest=1\"")),
                "only the kept fault is injected: " + injected);
    }

    @Test
    void shrinkRemovesWhatTheFailureDoesNotNeed() throws Exception {
        Cli.Result r = Cli.exec("shrink", "--out", tmp.resolve("sh").toString(), "--", "./xensim", "run", "--strategy", "naive-reset",
                "--seed", "2", "--guests", "2", "--fault", "backend-slow@80ms:factor=2", "--fault", "evtchn-dup@p=0.01",
                "--schedule", "random");
        assertEquals(1, r.code(), r.out() + r.err());
        String min = line(r.out(), "minimal replay: ");
        assertFalse(min.contains("--fault") || min.contains("--guests"), min);
        assertTrue(min.contains("--strategy naive-reset --seed 2") && min.contains("--schedule fifo"), "no deviation needed, and plain fifo fails too: " + min);
        String removed = line(r.out(), "removed: ");
        assertTrue(removed.contains("fault 'backend-slow@80ms:factor=2'") && removed.contains("fault 'evtchn-dup@p=0.01'")
                && removed.contains("guests 2 -> 1"), removed);
        assertTrue(line(r.out(), "runs: ").matches("runs: \\d+ .*faults 2 -> 0, guests 2 -> 1.*"), r.out());
        assertTrue(r.out().contains("verdict: VIOLATION STALE_MAPPING"), r.out());
        assertTrue(Files.exists(tmp.resolve("sh/report.html")), "the minimal run's report");
        Cli.Result clean = Cli.exec("shrink", "--", "run", "--strategy", "refcount", "--io-after-ebs", "4");
        assertEquals(0, clean.code(), clean.out());
        assertTrue(clean.out().contains("nothing to shrink"), clean.out());
    }

    @Test
    void exhaustiveIsStableSafeDesignsCleanNaiveResetFails() throws Exception {
        String[] args = {"explore", "--exhaustive", "--preemptions", "2", "--strategy", "refcount,naive-reset", "--no-progress"};
        Cli.Result a = Cli.exec(concat(args, "--out", tmp.resolve("e1").toString()));
        Cli.Result b = Cli.exec(concat(args, "--out", tmp.resolve("e2").toString()));
        assertEquals(1, a.code(), a.out() + a.err());
        String rowR = line(a.out(), "| refcount |");
        String rowN = line(a.out(), "| naive-reset |");
        assertTrue(rowR.matches("\\| refcount \\| \\d+\\.\\.\\d+ \\| [1-9]\\d* \\| 1 \\| [1-9]\\d* \\| .* \\| 0 \\| [\\d.]+ \\|"), rowR);
        assertTrue(!rowN.matches(".*\\| 0 \\| [\\d.]+ \\|$"), "naive-reset has failing schedules: " + rowN);
        // the counts (not the seconds) are the same run to run
        assertEquals(rowR.substring(0, rowR.lastIndexOf('|', rowR.length() - 2)), line(b.out(), "| refcount |").substring(0, rowR.lastIndexOf('|', rowR.length() - 2)));
        assertTrue(a.out().contains("--schedule dev:"), a.out());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
