package xensim.platform;

import java.util.random.RandomGenerator;

/**
 * A seeded cost of one step of a component (a hypercall, a xenstored main-loop turn, a ring
 * copy): half of the mean is fixed, the other half is exponentially distributed, so the mean is
 * {@code meanNanos}, no draw is below half of it and a few are several times it. A mean of 0 is
 * free (every draw 0). One instance per component, drawing from that component's stream of
 * {@link Seam#random}; not thread-safe (one actor owns it).
 */
public final class Latency {
    private final long meanNanos;
    private final RandomGenerator random;

    public Latency(long meanNanos, RandomGenerator random) {
        if (meanNanos < 0) throw new IllegalArgumentException("mean latency must be >= 0");
        this.meanNanos = meanNanos;
        this.random = random;
    }

    /** Always 0, drawing nothing. */
    public static Latency none() {
        return new Latency(0, null);
    }

    public long meanNanos() {
        return meanNanos;
    }

    /** The next step's cost in nanoseconds. */
    public long next() {
        return draw(random, meanNanos);
    }

    /** One draw of mean {@code meanNanos}: {@code mean/2 + Exp(mean/2)}, rounded; 0 for a mean of 0. */
    public static long draw(RandomGenerator random, long meanNanos) {
        if (meanNanos <= 0) return 0;
        double half = meanNanos / 2.0;
        double u = 1.0 - random.nextDouble(); // (0,1]
        return Math.round(half - Math.log(u) * half);
    }
}
