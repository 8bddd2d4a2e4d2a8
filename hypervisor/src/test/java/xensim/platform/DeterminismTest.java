package xensim.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seam's central promise: same seed, same run, byte for byte; another seed, another run.
 * Several ping-pong pairs with random delays run concurrently in virtual time, so the log's
 * order depends on the timed-delivery queue and the dispatcher, not just on one actor.
 */
class DeterminismTest {

    record Ball(int round, ActorRef<Ball> from) {}

    static Behavior<Ball> player(Seam seam, String name, int dom, int rounds, CompletableFuture<Void> done) {
        return Behaviors.setup(ctx -> {
            RandomGenerator rnd = seam.random("player/" + name);
            return Behaviors.receiveMessage(ball -> {
                seam.events().event(dom, "test", "PING")
                        .with("player", name).with("round", ball.round())
                        .with("r", rnd.nextInt(1000)).emit();
                if (ball.round() >= rounds) {
                    done.complete(null);
                    return Behaviors.stopped();
                }
                long delay = 1 + rnd.nextLong(5_000_000); // up to 5 ms virtual
                seam.deliverAfter(delay, ball.from(), new Ball(ball.round() + 1, ctx.getSelf()));
                return Behaviors.same();
            });
        });
    }

    static Behavior<Void> game(Seam seam, int pairs, int rounds, CompletableFuture<Void> allDone) {
        return Behaviors.setup(ctx -> {
            CompletableFuture<?>[] dones = new CompletableFuture<?>[pairs];
            for (int p = 0; p < pairs; p++) {
                CompletableFuture<Void> d = new CompletableFuture<>();
                dones[p] = d;
                ActorRef<Ball> a = ctx.spawn(player(seam, "a" + p, p, rounds, d), "a" + p);
                ActorRef<Ball> b = ctx.spawn(player(seam, "b" + p, p, rounds, d), "b" + p);
                a.tell(new Ball(0, b));
            }
            CompletableFuture.allOf(dones).thenRun(() -> allDone.complete(null));
            return Behaviors.empty();
        });
    }

    private static String run(long seed, Path dir) throws Exception {
        Path file = dir.resolve("events-" + seed + "-" + System.nanoTime() + ".jsonl");
        EventLog log = new EventLog(new JsonLinesFileSink(file));
        CompletableFuture<Void> done = new CompletableFuture<>();
        try (SimSystem<Void> sim = SimSystem.start("det" + seed, Mode.DETERMINISTIC, seed, log, 1.0,
                seam -> game(seam, 4, 200, done))) {
            done.get(60, TimeUnit.SECONDS);
            assertTrue(sim.seam().nowNanos() > 0, "virtual time advanced");
        }
        log.close();
        return Files.readString(file);
    }

    @Test
    void sameSeedGivesByteIdenticalLogAndAnotherSeedDoesNot(@TempDir Path dir) throws Exception {
        String first = run(42, dir);
        String second = run(42, dir);
        String other = run(43, dir);
        List<String> lines = first.lines().toList();
        assertEquals(4 * 201, lines.size(), "every PING of every pair is in the file");
        assertTrue(lines.get(0).startsWith("{\"t\":0,\"seq\":1,\"dom\":"), lines.get(0));
        assertEquals(first, second, "same seed, byte-identical events.jsonl");
        assertNotEquals(first, other, "a different seed gives a different run");
    }

    @Test
    void seqIsStrictlyIncreasingAndTimeNeverGoesBack(@TempDir Path dir) throws Exception {
        EventRecorder rec = new EventRecorder();
        EventLog log = new EventLog(rec);
        CompletableFuture<Void> done = new CompletableFuture<>();
        try (SimSystem<Void> sim = SimSystem.start("mono", Mode.DETERMINISTIC, 7, log, 1.0,
                seam -> game(seam, 3, 100, done))) {
            done.get(60, TimeUnit.SECONDS);
        }
        List<Event> events = rec.events();
        for (int i = 1; i < events.size(); i++) {
            assertEquals(events.get(i - 1).seq() + 1, events.get(i).seq());
            assertTrue(events.get(i).t() >= events.get(i - 1).t(), "virtual time is monotonic");
        }
        // 3 pairs x 100 rounds of up to 5 ms each: far more virtual time than this test's wall time
        assertTrue(events.get(events.size() - 1).t() > 50_000_000L, "the clock jumped through idle periods");
    }

    @Test
    void componentStreamsDependOnNameNotCreationOrder() {
        long s1 = Seam.deriveSeed(9, "blkback/1/51712");
        long s2 = Seam.deriveSeed(9, "blkback/2/51712");
        assertNotEquals(s1, s2);
        assertEquals(s1, Seam.deriveSeed(9, "blkback/1/51712"));
        assertNotEquals(s1, Seam.deriveSeed(10, "blkback/1/51712"));
    }

    @Test
    void threadedModeRunsTheSameActors(@TempDir Path dir) throws Exception {
        EventRecorder rec = new EventRecorder();
        EventLog log = new EventLog(rec);
        CompletableFuture<Void> done = new CompletableFuture<>();
        // time scale 1e-3: a 5 ms simulated delay takes 5 µs of real time
        try (SimSystem<Void> sim = SimSystem.start("thr", Mode.THREADED, 7, log, 1e-3,
                seam -> game(seam, 2, 50, done))) {
            done.get(60, TimeUnit.SECONDS);
            assertEquals(Mode.THREADED, sim.seam().mode());
        }
        assertEquals(2 * 51, rec.named("PING").size());
    }
}
