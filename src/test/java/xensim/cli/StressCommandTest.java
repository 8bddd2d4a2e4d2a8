package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stress} end to end, a few runs each: clean runs, failures by verdict with replays, threaded runs, bad input. */
class StressCommandTest {
    @TempDir
    Path tmp;

    static final Pattern TOTALS = Pattern.compile("(?m)^runs: (\\d+), clean: (\\d+), failed: (\\d+) \\(");

    @Test
    void cleanRunsExitZero() throws Exception {
        Path kept = tmp.resolve("kept");
        Cli.Result r = Cli.exec("stress", "--runs", "3", "--mode", "deterministic", "--jobs", "2", "--keep-failed", kept.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("xensim stress: 3 runs of default (strategy refcount, mode deterministic, 1 guests), seeds 1..3, 2 at a time, 0 CPU hogs"), r.out());
        assertTrue(r.out().contains("\nruns: 3, clean: 3, failed: 0 ("), r.out());
        assertTrue(!r.out().contains("failures by verdict"), r.out());
        try (var left = Files.list(kept)) {
            assertEquals(0, left.count(), "a clean run's log is not kept");
        }
    }

    @Test
    void failuresAreCountedByVerdictWithTheReplayOfEach() throws Exception {
        Path sc = tmp.resolve("unsafe.conf");
        Files.writeString(sc, "xensim { strategy = naive-reset }\n");
        Path kept = tmp.resolve("kept");
        Cli.Result r = Cli.exec("stress", "--runs", "2", "--seed", "5", "--scenario", sc.toString(), "--mode", "deterministic",
                "--keep-failed", kept.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("\nruns: 2, clean: 0, failed: 2 ("), r.out());
        assertTrue(r.out().contains("failures by verdict:\n"), r.out());
        assertTrue(r.out().contains("\n  RESET_ORDER        2\n"), r.out()); // structural: naive-reset resets while the backend is connected
        String replay5 = null;
        for (int seed : new int[] {5, 6}) {
            Matcher m = Pattern.compile("(?m)^  seed " + seed + ": [A-Z_ ]+, ended COMPLETED\n    replay: (\\./xensim run .*)$").matcher(r.out());
            assertTrue(m.find(), r.out());
            String replay = m.group(1);
            assertTrue(replay.startsWith("./xensim run --scenario " + sc + " ") && replay.contains(" --strategy naive-reset --seed " + seed + " ")
                    && replay.contains(" --mode deterministic"), replay);
            if (seed == 5) replay5 = replay;
            Path log = kept.resolve("seed-" + seed).resolve("events.jsonl");
            assertTrue(r.out().contains("    events: " + log + "\n"), r.out());
            assertTrue(Files.readString(log).contains("\"RESET_ORDER\""), "the kept log shows the violation");
        }
        // the replay line is a command that fails the same way
        java.util.List<String> argv = new java.util.ArrayList<>(java.util.List.of(replay5.substring("./xensim ".length()).split(" ")));
        argv.addAll(java.util.List.of("--out", tmp.resolve("replay").toString()));
        Cli.Result again = Cli.exec(argv.toArray(String[]::new));
        assertEquals(1, again.code(), again.out() + again.err());
        assertTrue(again.out().contains("RESET_ORDER"), again.out());
    }

    @Test
    void threadedRunsUnderCpuHogsReportEveryRun() {
        Cli.Result r = Cli.exec("stress", "--runs", "2", "--jobs", "2", "--hogs", "2");
        assertTrue(r.code() == 0 || r.code() == 1, r.out() + r.err()); // a threaded failure is a finding, not a test error
        Matcher m = TOTALS.matcher(r.out());
        assertTrue(m.find(), r.out());
        int failed = Integer.parseInt(m.group(3));
        assertEquals(2, Integer.parseInt(m.group(1)));
        assertEquals(2, Integer.parseInt(m.group(2)) + failed);
        assertEquals(failed, r.out().split("\n    replay: ./xensim run ", -1).length - 1, r.out());
        assertEquals(failed == 0 ? 0 : 1, r.code());
        assertTrue(r.out().contains("mode threaded") && r.out().contains("2 CPU hogs"), r.out());
    }

    @Test
    void badInputExitsTwoWithOneLine() {
        for (String[] args : new String[][] {
            {"stress", "--runs", "0"}, {"stress", "--runs", "2", "--jobs", "0"}, {"stress", "--runs", "2", "--hogs", "-1"},
            {"stress", "--runs", "2", "--mode", "fast"}, {"stress", "--runs", "2", "--scenario", tmp.resolve("none.conf").toString()},
            {"stress", "--runs", "2", "--fault", "x@y"}, {"stress", "--runs", "2", "--wall-limit", "0"},
            {"stress", "--runs", "2", "--keep-failed", "/proc/xensim-stress"}}) {
            Cli.Result r = Cli.exec(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
            assertEquals(1, r.err().strip().lines().count(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().startsWith("xensim: "), r.err());
        }
        assertEquals(2, Cli.exec("stress").code(), "--runs is required");
        Cli.Result help = Cli.exec("stress", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--hogs"), help.out());
    }
}
