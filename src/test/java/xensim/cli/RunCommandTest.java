package xensim.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
    @TempDir
    Path tmp;


    private static Cli.Result run(String... args) {
        return Cli.exec(args);
    }

    @Test
    void defaultRunIsCleanAndWritesTheLog() throws Exception {
        Cli.Result o = run("run", "--out", tmp.resolve("a").toString());
        assertEquals(0, o.code(), o.out() + o.err());
        assertTrue(o.out().contains("verdict: clean"), o.out());
        assertTrue(o.out().contains("guest0"), "per-guest summary");
        List<String> lines = Files.readAllLines(tmp.resolve("a/events.jsonl"));
        assertTrue(lines.get(0).contains("\"RUN_BEGIN\""));
        assertTrue(lines.get(lines.size() - 1).contains("\"RUN_END\"") && lines.get(lines.size() - 1).contains("\"clean\""));
        xensim.testing.GuestWork.Guest g = xensim.testing.GuestWork.assertEveryGuestDidItsWork(tmp.resolve("a/events.jsonl")).get(0);
        assertEquals(64, g.ios(), "the default workload: 64 verified I/Os, then the read-back: " + g);
    }

    @Test
    void naiveResetIsAViolationWithAReplayCommand() {
        Cli.Result o = run("run", "--strategy", "naive-reset", "--seed", "2", "--guests", "2", "--out", tmp.resolve("b").toString());
        assertEquals(1, o.code(), o.out() + o.err());
        assertTrue(o.out().contains("verdict: VIOLATION"), o.out());
        assertTrue(o.out().contains("RESET_ORDER"));
        assertTrue(o.out().contains("replay: ./xensim run --strategy naive-reset --seed 2"));
    }

    @Test
    void badInputIsExitTwoWithAMessage() {
        Cli.Result o = run("run", "--strategy", "nope", "--out", tmp.resolve("c").toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("xensim.strategy: expected one of disconnect, naive-reset, exit-callback, refcount, bus-tracks, before-ebs or a design of --design-jar, got 'nope'"), o.err());
        assertFalse(o.err().contains("Exception"), "a message, never a stack trace: " + o.err());
        assertEquals(2, run("run", "--mode", "sideways", "--out", tmp.resolve("d").toString()).code());
        assertEquals(2, run("run", "--guests", "0", "--out", tmp.resolve("e").toString()).code());
        assertEquals(2, run("run", "--seed", "x").code());
        Cli.Result f = run("run", "--fault", "backend-stall@whenever", "--out", tmp.resolve("f").toString());
        assertEquals(2, f.code());
        assertTrue(f.err().contains("--fault: fault 'backend-stall@whenever': unknown trigger 'whenever'"), f.err());
        Cli.Result s = run("run", "--scenario", tmp.resolve("nope.conf").toString(), "--out", tmp.resolve("g").toString());
        assertEquals(2, s.code());
        assertTrue(s.err().contains("nope.conf: no such file"), s.err());
    }

    @Test
    void aScenarioWithFaultsRunsAndAFailingRunPrintsTheCommandThatReplaysIt() throws Exception {
        java.nio.file.Path sc = tmp.resolve("data.conf");
        java.nio.file.Files.writeString(sc, "xensim { guests.io-after-ebs = 16, faults = [\"ring-corrupt@os-handoff:what=data\"] }\n");
        Cli.Result o = run("run", "--scenario", sc.toString(), "--seed", "4", "--out", tmp.resolve("h").toString());
        assertEquals(1, o.code(), o.out() + o.err());
        assertTrue(o.out().contains("verdict: VIOLATION DATA_INTEGRITY"), o.out());
        assertTrue(o.out().contains("replay: ./xensim run --scenario " + sc + " --strategy refcount --seed 4 --mode deterministic"), o.out());
        assertTrue(java.nio.file.Files.exists(tmp.resolve("h").resolve("report.html")));
    }

    /** Issue 14: every profile is a flag and a scenario key, written to RUN_BEGIN and the replay line. */
    @Test
    void theProfilesAreFlagsAndKeysInRunBeginAndTheReplayLine() throws Exception {
        Cli.Result o = run("run", "--strategy", "naive-reset", "--seed", "2", "--profile", "drain", "--firmware-io", "async",
                "--out", tmp.resolve("p").toString());
        assertEquals(1, o.code(), o.out() + o.err());
        assertTrue(o.out().contains("replay: ./xensim run --strategy naive-reset --seed 2 --mode deterministic --profile drain --firmware-io async --xenstored c"), o.out());
        String begin = Files.readAllLines(tmp.resolve("p/events.jsonl")).get(0);
        assertTrue(begin.contains("\"backend.profile\":\"drain\"") && begin.contains("\"guests.firmware-io\":\"async\"")
                && begin.contains("\"xenstored.flavour\":\"c\""), begin);
        assertTrue(Files.readString(tmp.resolve("p/events.jsonl")).contains("\"firmwareIo\":\"async\""), "the firmware ran async");

        Path sc = tmp.resolve("linux.conf");
        Files.writeString(sc, "xensim { backend.profile = linux, guests.firmware-io = ovmf }\n");
        Cli.Result d = run("run", "--scenario", sc.toString(), "--out", tmp.resolve("q").toString());
        assertEquals(0, d.code(), d.out() + d.err());
        String begin2 = Files.readAllLines(tmp.resolve("q/events.jsonl")).get(0);
        assertTrue(begin2.contains("\"backend.profile\":\"linux\"") && begin2.contains("\"guests.firmware-io\":\"ovmf\""), begin2);

        Cli.Result bad = run("run", "--profile", "bsd", "--out", tmp.resolve("r").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("xensim.backend.profile: expected linux or drain, got 'bsd'"), bad.err());
        Cli.Result badIo = run("run", "--firmware-io", "dma", "--out", tmp.resolve("s").toString());
        assertEquals(2, badIo.code());
        assertTrue(badIo.err().contains("xensim.guests.firmware-io: expected ovmf or async, got 'dma'"), badIo.err());
    }
}
