package xensim.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.check.Invariant;
import xensim.platform.Mode;
import xensim.platform.Seam;

class SimulationTest {

    record Step(int n) {}

    /** A toy guest: created, then N virtual-time steps, then (if it finishes) handoff and done. */
    static Behavior<Step> toyHost(Seam seam, CompletableFuture<Object> done, int steps, boolean finishes) {
        return Behaviors.setup(ctx -> {
            seam.events().event(1, "toolstack", "DOMAIN_CREATED").with("name", "guest1").emit();
            ctx.getSelf().tell(new Step(0));
            return Behaviors.receiveMessage(s -> {
                if (s.n() == steps) {
                    if (finishes) {
                        seam.events().event(1, "os", "OS_HANDOFF").emit();
                        done.complete("finished after " + steps);
                    }
                    return Behaviors.same();
                }
                long delay = 1_000 + seam.random("toy").nextLong(1_000_000);
                seam.events().event(1, "test", "STEP").with("n", s.n()).emit();
                seam.deliverAfter(delay, ctx.getSelf(), new Step(s.n() + 1));
                return Behaviors.same();
            });
        });
    }

    record Tick() {}

    /**
     * A deterministic run is judged at the virtual instant its host finished. This host completes
     * at 1 ms and then keeps a silent 1 µs timer going (as an idle OS or the vCPU preemption clock
     * do): judged when the harness noticed, RUN_END's t (and the run's virtual time) moved on by
     * however long the harness took to wake — a different value each run of the same seed.
     */
    @Test
    void aDeterministicRunIsJudgedAtTheInstantItsHostFinished(@TempDir Path dir) throws Exception {
        for (int i = 0; i < 3; i++) {
            RunResult r = Simulation.run(spec(1, dir.resolve("t" + i)), (seam, done) -> Behaviors.<Tick>setup(ctx -> {
                seam.deliverAfter(1_000_000, ctx.getSelf(), new Tick());
                return Behaviors.receiveMessage(t -> {
                    if (!done.isDone()) {
                        seam.events().event(1, "os", "OS_HANDOFF").emit();
                        done.complete("done at 1 ms");
                    }
                    seam.deliverAfter(1_000, ctx.getSelf(), new Tick()); // silent from here on
                    return Behaviors.same();
                });
            }));
            List<String> lines = Files.readAllLines(r.eventsFile());
            String last = lines.get(lines.size() - 1);
            assertTrue(last.startsWith("{\"t\":1000000,") && last.contains("\"ev\":\"RUN_END\""), "run " + i + ": " + last);
            assertEquals(1_000_000, r.virtualNanos(), "run " + i);
        }
    }

    private static RunSpec spec(long seed, Path out) {
        return new RunSpec(seed, Mode.DETERMINISTIC, "refcount", "test", out, 1.0, 30_000);
    }

    @Test
    void aFinishedRunIsCleanAndFramedByRunBeginAndRunEnd(@TempDir Path dir) throws Exception {
        RunResult r = Simulation.run(spec(1, dir.resolve("a")), (seam, done) -> toyHost(seam, done, 20, true));
        assertEquals(RunResult.Ending.COMPLETED, r.ending());
        assertTrue(r.clean(), r.verdictLine());
        assertEquals("finished after 20", r.hostReport());
        List<String> lines = Files.readAllLines(r.eventsFile());
        assertTrue(lines.get(0).contains("\"ev\":\"RUN_BEGIN\"") && lines.get(0).contains("\"seed\":1"), lines.get(0));
        String last = lines.get(lines.size() - 1);
        assertTrue(last.contains("\"ev\":\"RUN_END\"") && last.contains("\"verdict\":\"clean\""), last);
        assertEquals(r.events(), lines.size());
        assertTrue(r.virtualNanos() > 20_000);
    }

    @Test
    void aStuckGuestQuiescesAndIsJudgedAHang(@TempDir Path dir) throws Exception {
        RunResult r = Simulation.run(spec(1, dir.resolve("b")), (seam, done) -> toyHost(seam, done, 5, false));
        assertEquals(RunResult.Ending.QUIESCED, r.ending());
        assertEquals(Set.of(Invariant.HANG), r.verdict());
        List<String> lines = Files.readAllLines(r.eventsFile());
        assertTrue(lines.get(lines.size() - 2).contains("\"ev\":\"VIOLATION\""), "the HANG violation precedes RUN_END");
        assertTrue(lines.get(lines.size() - 1).contains("\"verdict\":\"VIOLATION HANG\""));
    }

    @Test
    void sameSeedSameLogAcrossRuns(@TempDir Path dir) throws Exception {
        RunResult a = Simulation.run(spec(9, dir.resolve("x")), (seam, done) -> toyHost(seam, done, 50, true));
        RunResult b = Simulation.run(spec(9, dir.resolve("y")), (seam, done) -> toyHost(seam, done, 50, true));
        RunResult c = Simulation.run(spec(10, dir.resolve("z")), (seam, done) -> toyHost(seam, done, 50, true));
        String la = Files.readString(a.eventsFile());
        assertEquals(la, Files.readString(b.eventsFile()));
        assertTrue(!la.equals(Files.readString(c.eventsFile())));
    }

    /** Threaded: a stuck guest ends as in deterministic mode (quiet, nothing scheduled), and RUN_END is the last line. */
    @Test
    void aStuckThreadedRunQuiescesAndRunEndIsLast(@TempDir Path dir) throws Exception {
        RunResult r = Simulation.run(new RunSpec(1, Mode.THREADED, "refcount", "test", dir.resolve("t"), 0.001, 60_000),
                (seam, done) -> toyHost(seam, done, 5, false));
        assertEquals(RunResult.Ending.QUIESCED, r.ending());
        assertEquals(Set.of(Invariant.HANG), r.verdict());
        List<String> lines = Files.readAllLines(r.eventsFile());
        assertTrue(lines.get(lines.size() - 1).contains("\"ev\":\"RUN_END\""), lines.get(lines.size() - 1));
    }

    /** A host whose setup throws: the harness says so (exit 3 from the CLI), never a clean verdict. */
    @Test
    void aHostThatFailsIsAnErrorNotACleanRun(@TempDir Path dir) {
        for (Mode mode : Mode.values()) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> Simulation.run(new RunSpec(1, mode, "refcount", "test", dir.resolve(mode.cliName()), 1.0, 60_000),
                            (seam, done) -> Behaviors.setup(ctx -> {
                                throw new java.io.UncheckedIOException(new java.io.IOException("no space for the disk image"));
                            })));
            assertTrue(e.getMessage().contains("host"), mode + ": " + e.getMessage());
        }
    }
}
