package xensim.bench;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import xensim.platform.EventLog;
import xensim.platform.Mode;
import xensim.platform.SimSystem;

/**
 * Raw Akka tell throughput: {@code pairs} ping-pong pairs exchanging {@code messagesPerPair}
 * messages, on either runtime. This is the baseline the simulated request rates are compared to
 * (issue figures are ratios measured in the same run, never absolute numbers).
 */
public final class RawTellBench {
    private RawTellBench() {}

    private record Ball(long left, ActorRef<Ball> replyTo) {}

    private static Behavior<Ball> player(CompletableFuture<Void> done) {
        return Behaviors.setup(ctx -> Behaviors.receiveMessage(b -> {
            if (b.left() <= 0) {
                done.complete(null);
            } else {
                b.replyTo().tell(new Ball(b.left() - 1, ctx.getSelf()));
            }
            return Behaviors.same();
        }));
    }

    /** Messages per second of wall time (median of {@code rounds} after one warm-up round). */
    public static double messagesPerSecond(Mode mode, int pairs, long messagesPerPair, int rounds) throws Exception {
        return measure(mode, pairs, messagesPerPair, rounds).perSecond();
    }

    /**
     * A rate per second of wall time and per second of this process's CPU time (every thread,
     * GC and compiler included): on a shared machine the second is what a neighbour disturbs least.
     */
    public record Rate(double perSecond, double perCpuSecond) {}

    /** The process's CPU time so far (ns), or -1 where the JVM cannot tell. */
    public static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean s ? s.getProcessCpuTime() : -1;
    }

    /** As {@link #messagesPerSecond}, per wall second and per CPU second (medians of each). */
    public static Rate measure(Mode mode, int pairs, long messagesPerPair, int rounds) throws Exception {
        double[] rates = new double[rounds];
        double[] cpuRates = new double[rounds];
        for (int r = -1; r < rounds; r++) {
            CompletableFuture<?>[] dones = new CompletableFuture<?>[pairs];
            for (int i = 0; i < pairs; i++) dones[i] = new CompletableFuture<Void>();
            CompletableFuture<Void> go = new CompletableFuture<>();
            long[] start = new long[2];
            try (SimSystem<Void> sim = SimSystem.start("bench-tell", mode, 1, new EventLog(), 1.0,
                    seam -> Behaviors.<Void>setup(ctx -> {
                        @SuppressWarnings("unchecked")
                        ActorRef<Ball>[] a = new ActorRef[pairs];
                        @SuppressWarnings("unchecked")
                        ActorRef<Ball>[] b = new ActorRef[pairs];
                        for (int i = 0; i < pairs; i++) {
                            @SuppressWarnings("unchecked")
                            CompletableFuture<Void> d = (CompletableFuture<Void>) dones[i];
                            a[i] = ctx.spawn(player(d), "a" + i);
                            b[i] = ctx.spawn(player(d), "b" + i);
                        }
                        go.thenRun(() -> {
                            start[1] = processCpuNanos();
                            start[0] = System.nanoTime();
                            for (int i = 0; i < pairs; i++) a[i].tell(new Ball(messagesPerPair, b[i]));
                        });
                        return Behaviors.empty();
                    }))) {
                Thread.sleep(50); // let the guardian spawn the players
                go.complete(null);
                CompletableFuture.allOf(dones).get(5, TimeUnit.MINUTES);
                long elapsed = System.nanoTime() - start[0];
                long cpu = processCpuNanos() - start[1];
                if (r >= 0) {
                    rates[r] = pairs * (double) (messagesPerPair + 1) / (elapsed / 1e9);
                    cpuRates[r] = pairs * (double) (messagesPerPair + 1) / (cpu / 1e9);
                }
            }
        }
        java.util.Arrays.sort(rates);
        java.util.Arrays.sort(cpuRates);
        return new Rate(rates[rounds / 2], cpuRates[rounds / 2]);
    }
}
