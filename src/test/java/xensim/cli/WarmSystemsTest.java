package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.platform.Mode;
import xensim.platform.Seam;
import xensim.platform.WarmSystems;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;
import xensim.scenario.Scenario;

/**
 * explore's warm ActorSystems: a seed run as a new actor tree in a system that ran other seeds
 * before writes the events.jsonl, byte for byte, and reaches the verdict a system of its own gives
 * (clean seeds, violations, a HANG, injected faults); a run that does not end cleanly (its host
 * failed, the wall-time limit, a tree that does not stop) costs the warm system, and the next run
 * gets a new one that again gives what a fresh system gives.
 */
class WarmSystemsTest {

    record Case(String strategy, long seed, List<String> faults) {}

    private static final List<Case> CASES = List.of(
            new Case("refcount", 1, List.of()),
            new Case("naive-reset", 2, List.of()), // STALE_MAPPING, RESET_ORDER, STALE_GRANT
            new Case("refcount", 1, List.of("evtchn-drop@p=0.1")), // a lost kick: HANG
            new Case("disconnect", 3, List.of()), // ALLOC_IN_EBS
            new Case("refcount", 4, List.of("backend-crash@requests=40", "evtchn-dup@p=0.2")),
            new Case("bus-tracks", 7, List.of("backend-stall@ebs-begin:duration=2ms", "evtchn-delay@p=0.05:delay=300us")),
            new Case("refcount", 1, List.of()));

    private static ExploreCommand.Outcome run(Case c, Path disks, Path out) throws Exception {
        Scenario sc = RunCommand.scenario((Path) null, c.strategy(), null, null, null, null, c.faults());
        return ExploreCommand.runOne(sc, c.strategy(), c.seed(), null, disks, out);
    }

    private static String summary(RunResult r) {
        return r.verdict() + " " + r.counts() + " " + r.ending() + " " + r.virtualNanos() + " " + r.events();
    }

    @Test
    void seedAfterSeedInOneWarmSystemGivesTheEventsOfAFreshSystem(@TempDir Path tmp) throws Exception {
        Path disks = Files.createDirectories(tmp.resolve("disks"));
        List<String> fresh = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) fresh.add(summary(run(CASES.get(i), disks, tmp.resolve("fresh" + i)).result()));
        // the cases cover what they say: a violation, a HANG, injected faults
        assertTrue(fresh.get(1).contains("STALE_MAPPING"), fresh.get(1));
        assertTrue(fresh.get(2).startsWith("[HANG]"), fresh.get(2));
        assertTrue(Files.readString(tmp.resolve("fresh4/events.jsonl")).contains("\"FAULT_INJECTED\""));
        assertTrue(Files.readString(tmp.resolve("fresh5/events.jsonl")).contains("\"FAULT_INJECTED\""));

        long started = WarmSystems.systemsStarted();
        try (WarmSystems warm = WarmSystems.open()) {
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < CASES.size(); i++) {
                    Path out = tmp.resolve("warm" + round + "-" + i);
                    RunResult r = run(CASES.get(i), disks, out).result();
                    assertEquals(fresh.get(i), summary(r), CASES.get(i) + " round " + round);
                    assertArrayEquals(Files.readAllBytes(tmp.resolve("fresh" + i + "/events.jsonl")), Files.readAllBytes(out.resolve("events.jsonl")),
                            CASES.get(i) + " round " + round + ": events.jsonl differs from a fresh system's");
                }
            }
        }
        assertEquals(started + 1, WarmSystems.systemsStarted(), "all " + 2 * CASES.size() + " runs shared one warm system");
    }

    record Step(int n) {}

    /** A toy host: N virtual-time steps with seeded delays, each an event, then done. */
    static Behavior<Step> toy(Seam seam, CompletableFuture<Object> done, int steps) {
        return Behaviors.setup(ctx -> {
            ctx.getSelf().tell(new Step(0));
            return Behaviors.receiveMessage(s -> {
                if (s.n() < 0) return Behaviors.same(); // the far timer (never reached: the run ends first)
                if (s.n() == steps) {
                    seam.events().event(1, "os", "OS_HANDOFF").emit();
                    done.complete("done");
                    return Behaviors.same();
                }
                seam.events().event(1, "test", "STEP").with("n", s.n()).emit();
                seam.deliverAfter(1_000 + seam.random("toy").nextLong(1_000_000), ctx.getSelf(), new Step(s.n() + 1));
                // a timer still pending when the run ends: the next run in a warm system must not see it
                seam.deliverAfter(5_000_000_000L, ctx.getSelf(), new Step(-1));
                return Behaviors.same();
            });
        });
    }

    private static RunSpec spec(long seed, Path out, long wallMs) {
        return new RunSpec(seed, Mode.DETERMINISTIC, "refcount", "warm-test", out, 1.0, wallMs);
    }

    private static byte[] events(RunResult r) throws Exception {
        return Files.readAllBytes(r.eventsFile());
    }

    @Test
    void aRunThatDoesNotEndCleanlyCostsTheWarmSystemAndTheNextRunIsAsFresh(@TempDir Path tmp) throws Exception {
        byte[] fresh = events(Simulation.run(spec(5, tmp.resolve("fresh"), 30_000), (seam, done) -> toy(seam, done, 30)));
        String prop = System.getProperty("xensim.warm.stop-timeout-ms");
        System.setProperty("xensim.warm.stop-timeout-ms", "500");
        try (WarmSystems warm = WarmSystems.open()) {
            long s0 = WarmSystems.systemsStarted();
            RunResult first = Simulation.run(spec(5, tmp.resolve("w1"), 30_000), (seam, done) -> toy(seam, done, 30));
            assertArrayEquals(fresh, events(first));
            RunResult again = Simulation.run(spec(5, tmp.resolve("w2"), 30_000), (seam, done) -> toy(seam, done, 30));
            assertArrayEquals(fresh, events(again));
            assertEquals(s0 + 1, WarmSystems.systemsStarted(), "a clean run hands its system on");

            // 1. the host throws (its root stops): the run fails, as in a system of its own, and the system goes
            IllegalStateException failed = assertThrows(IllegalStateException.class, () -> Simulation.run(spec(5, tmp.resolve("crash"), 30_000),
                    (seam, done) -> Behaviors.<Step>setup(ctx -> {
                        ctx.getSelf().tell(new Step(0));
                        return Behaviors.receiveMessage(s -> {
                            throw new IllegalStateException("host bug");
                        });
                    })));
            assertTrue(failed.getMessage().contains("stopped without finishing"), failed.getMessage());
            RunResult afterCrash = Simulation.run(spec(5, tmp.resolve("w3"), 30_000), (seam, done) -> toy(seam, done, 30));
            assertArrayEquals(fresh, events(afterCrash));
            assertEquals(s0 + 2, WarmSystems.systemsStarted(), "the crashed run's system was replaced");

            // 2. the wall-time limit: a host that never finishes and never rests
            RunResult limited = Simulation.run(spec(5, tmp.resolve("busy"), 300), (seam, done) -> Behaviors.<Step>setup(ctx -> {
                ctx.getSelf().tell(new Step(0));
                return Behaviors.receiveMessage(s -> {
                    seam.deliverAfter(1_000, ctx.getSelf(), new Step(s.n() + 1));
                    return Behaviors.same();
                });
            }));
            assertEquals(RunResult.Ending.WALL_LIMIT, limited.ending());
            RunResult afterLimit = Simulation.run(spec(5, tmp.resolve("w4"), 30_000), (seam, done) -> toy(seam, done, 30));
            assertArrayEquals(fresh, events(afterLimit));
            assertEquals(s0 + 3, WarmSystems.systemsStarted(), "the run stopped by the wall-time limit lost its system");

            // 3. a tree that does not stop in time (its PostStop blocks the simulation thread past the stop timeout)
            RunResult stuck = Simulation.run(spec(5, tmp.resolve("stuck"), 30_000), (seam, done) -> Behaviors.<Step>setup(ctx -> {
                done.complete("done at once");
                return Behaviors.receive(Step.class).onSignal(PostStop.class, sig -> {
                    try {
                        Thread.sleep(2_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Behaviors.same();
                }).build();
            }));
            assertEquals(RunResult.Ending.COMPLETED, stuck.ending());
            RunResult afterStuck = Simulation.run(spec(5, tmp.resolve("w5"), 30_000), (seam, done) -> toy(seam, done, 30));
            assertArrayEquals(fresh, events(afterStuck));
            assertEquals(s0 + 4, WarmSystems.systemsStarted(), "the system whose tree would not stop was replaced");
            assertNotEquals(0, fresh.length);
        } finally {
            if (prop == null) System.clearProperty("xensim.warm.stop-timeout-ms");
            else System.setProperty("xensim.warm.stop-timeout-ms", prop);
        }
    }
}
