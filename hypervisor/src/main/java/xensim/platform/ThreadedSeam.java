package xensim.platform;

import akka.actor.typed.ActorRef;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * Seam for threaded mode: real time (scaled), real threads. Randomness is still seeded, but the
 * interleaving is the machine's, so same-seed runs may differ.
 */
public final class ThreadedSeam implements Seam, AutoCloseable {
    private final long seed;
    private final EventLog events;
    private final long startNanos = System.nanoTime();
    private final double timeScale;
    private final ScheduledExecutorService timer;
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * @param timeScale real nanoseconds per simulated nanosecond (1.0 = real time; 0.01 runs a
     *                  5 ms simulated latency in 50 µs)
     */
    public ThreadedSeam(long seed, EventLog events, double timeScale) {
        if (!(timeScale > 0)) throw new IllegalArgumentException("time scale must be > 0");
        this.seed = seed;
        this.events = events;
        this.timeScale = timeScale;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "xensim-threaded-timer");
            t.setDaemon(true);
            return t;
        });
        events.attachClock(this::nowNanos);
    }

    /** Delayed deliveries scheduled and not yet made (the harness's test of a run that can do nothing more). */
    public int pendingDeliveries() {
        return pending.get();
    }

    @Override
    public Mode mode() {
        return Mode.THREADED;
    }

    @Override
    public long seed() {
        return seed;
    }

    @Override
    public long nowNanos() {
        return (long) ((System.nanoTime() - startNanos) / timeScale);
    }

    @Override
    public RandomGenerator random(String component) {
        return new SplittableRandom(Seam.deriveSeed(seed, component));
    }

    @Override
    public <T> void deliverAfter(long delayNanos, ActorRef<T> target, T message) {
        long real = (long) (delayNanos * timeScale);
        if (real <= 0) {
            target.tell(message);
        } else {
            pending.incrementAndGet();
            timer.schedule(() -> {
                try {
                    target.tell(message);
                } finally {
                    pending.decrementAndGet();
                }
            }, real, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public EventLog events() {
        return events;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
