package xensim.platform;

import akka.actor.typed.ActorRef;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/** Seam over a {@link VirtualTimeExecutor}: virtual time, seeded randomness. */
public final class DeterministicSeam implements Seam {
    private final VirtualTimeExecutor executor;
    private final long seed;
    private final EventLog events;

    public DeterministicSeam(VirtualTimeExecutor executor, long seed, EventLog events) {
        this.executor = executor;
        this.seed = seed;
        this.events = events;
        events.attachClock(executor::nowNanos);
        if (executor.controlled()) {
            // the timeline marks where a controlled schedule left FIFO
            executor.onDeviation((step, index, candidates) -> events.event(0, "runtime", "SCHEDULE_DEVIATION")
                    .with("step", step).with("index", index).with("candidates", candidates).emit());
        }
    }

    @Override
    public Mode mode() {
        return Mode.DETERMINISTIC;
    }

    @Override
    public long seed() {
        return seed;
    }

    @Override
    public long nowNanos() {
        return executor.nowNanos();
    }

    @Override
    public RandomGenerator random(String component) {
        return new SplittableRandom(Seam.deriveSeed(seed, component));
    }

    @Override
    public <T> void deliverAfter(long delayNanos, ActorRef<T> target, T message) {
        if (delayNanos <= 0) {
            target.tell(message);
        } else {
            executor.schedule(delayNanos, target.path(), new TimedDelivery<>(target, message));
        }
    }

    /** A message delivered after a virtual delay: the executor step that tells it to its target. */
    public record TimedDelivery<T>(ActorRef<T> target, T message) implements Runnable {
        @Override
        public void run() {
            target.tell(message);
        }
    }

    @Override
    public EventLog events() {
        return events;
    }

    public VirtualTimeExecutor executor() {
        return executor;
    }
}
