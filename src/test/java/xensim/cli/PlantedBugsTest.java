package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import xensim.planted.PlantedDesigns;

/**
 * Each planted bug (a safe design with one mistake, {@link PlantedDesigns}) is reported by
 * {@code explore} with the bug-hunting schedule (pct:3), and {@code --shrink} reduces its smallest
 * failing run — two guests and two faults it does not need — to a replay without a fault.
 */
class PlantedBugsTest {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void plant() {
        PlantedDesigns.register();
    }

    @ParameterizedTest
    @ValueSource(strings = {"planted-early-reset", "planted-end-in-flight", "planted-state-too-early", "planted-timer-notify", "planted-free-in-ebs"})
    void exploreReportsItAndShrinkDropsTheIrrelevantFaults(String bug) {
        String io = PlantedFiguresTest.IO.getOrDefault(bug, "ovmf");
        Cli.Result r = Cli.exec("explore", "--strategy", bug, "--firmware-io", io, "--schedule", "pct:3", "--seeds", "10", "--guests", "2",
                "--fault", "backend-slow@80ms:factor=2", "--fault", "evtchn-dup@p=0.01", "--stop-on-first", "--shrink",
                "--no-progress", "--out", tmp.resolve(bug).toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("| " + bug + " · pct:3/"), r.out());
        String shrunk = r.out().lines().filter(l -> l.startsWith("- " + bug + " · pct:3/") && !l.contains(": seed ")).findFirst().orElse("");
        assertTrue(shrunk.contains("./xensim run --strategy " + bug), r.out());
        assertFalse(shrunk.contains("--fault"), "no irrelevant fault left: " + shrunk);
        String runs = r.out().lines().filter(l -> l.startsWith("  - runs: ")).findFirst().orElse("");
        assertTrue(runs.contains("faults 2 -> 0"), runs);
    }

    /**
     * The backend class of planted bug (a backend that acknowledges writes it never performed after
     * a crash) is planted as faults, not as a design: {@code backend-lost-writes} makes the restarted
     * blkback answer the WRITEs its dead incarnation left unanswered without writing them, and the
     * crash comes at the guest's 14th request (a WRITE of the OS's workload under seed 1). Explore
     * reports DATA_INTEGRITY; shrink keeps exactly those two faults and drops the two irrelevant ones
     * and the second guest.
     */
    @org.junit.jupiter.api.Test
    void aBackendThatAcknowledgesWritesItNeverPerformedAfterACrash() throws Exception {
        Cli.Result r = Cli.exec("explore", "--strategy", "refcount", "--schedule", "pct:3", "--seeds", "10", "--guests", "2",
                "--fault", "backend-slow@80ms:factor=2", "--fault", "backend-crash@requests=14", "--fault", "evtchn-dup@p=0.01",
                "--fault", "backend-lost-writes@requests=1", "--stop-on-first", "--shrink", "--no-progress",
                "--out", tmp.resolve("lost-writes").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("| refcount · pct:3/") && r.out().contains("DATA_INTEGRITY"), r.out());
        String shrunk = r.out().lines().filter(l -> l.startsWith("- refcount · pct:3/") && l.contains("DATA_INTEGRITY") && !l.contains(": seed "))
                .findFirst().orElse("");
        assertTrue(shrunk.contains("--fault backend-crash@requests=14") && shrunk.contains("--fault backend-lost-writes@requests=1"), shrunk);
        assertFalse(shrunk.contains("backend-slow") || shrunk.contains("evtchn-dup") || shrunk.contains("--guests 2"), shrunk);
        String runs = r.out().lines().filter(l -> l.startsWith("  - runs: ")).findFirst().orElse("");
        assertTrue(runs.contains("faults 4 -> 2") && runs.contains("guests 2 -> 1"), runs);
        // the same run without the defect is clean: the crash alone loses nothing (the restart re-serves the journal)
        Cli.Result clean = Cli.exec("run", "--strategy", "refcount", "--seed", "1", "--fault", "backend-crash@requests=14",
                "--out", tmp.resolve("crash-only").toString());
        assertEquals(0, clean.code(), clean.out());
        assertTrue(clean.out().contains("verdict: clean"), clean.out());
        String log = java.nio.file.Files.readString(tmp.resolve("crash-only/events.jsonl"));
        assertTrue(log.contains("\"ev\":\"BACKEND_CRASH\"") && log.contains("\"op\":\"BLKIF_OP_WRITE\""), "the crash happened, with writes");
    }
}
