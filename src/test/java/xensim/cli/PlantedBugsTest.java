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
}
