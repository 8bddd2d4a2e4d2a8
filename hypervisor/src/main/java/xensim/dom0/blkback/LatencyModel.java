package xensim.dom0.blkback;

import java.util.random.RandomGenerator;

/**
 * Service latency of a backend request, drawn from the seam's seeded randomness: most requests
 * take an exponentially distributed time around {@code meanNanos}; with probability
 * {@code tailProbability} a request lands in the tail and takes {@code tailFactor} times longer
 * (a slow disk, a stalled host). {@code queueDepth} requests are serviced at once; more wait.
 * Fault hooks scale ({@link #slowDown}) or stall ({@link #stallUntil}) it.
 */
public final class LatencyModel {
    private final long meanNanos;
    private final double tailProbability;
    private final double tailFactor;
    private final int queueDepth;
    private final RandomGenerator random;
    private double slowFactor = 1.0;
    private long stalledUntil;

    public LatencyModel(long meanNanos, double tailProbability, double tailFactor, int queueDepth,
                        RandomGenerator random) {
        if (meanNanos < 0) throw new IllegalArgumentException("mean latency must be >= 0");
        if (tailProbability < 0 || tailProbability > 1) throw new IllegalArgumentException("tail probability in [0,1]");
        if (tailFactor < 1) throw new IllegalArgumentException("tail factor must be >= 1");
        if (queueDepth < 1) throw new IllegalArgumentException("queue depth must be >= 1");
        this.meanNanos = meanNanos;
        this.tailProbability = tailProbability;
        this.tailFactor = tailFactor;
        this.queueDepth = queueDepth;
        this.random = random;
    }

    /** Zero latency: every request completes at once (benchmarks, simple tests). */
    public static LatencyModel immediate(RandomGenerator random) {
        return new LatencyModel(0, 0, 1, 1 << 20, random);
    }

    public int queueDepth() {
        return queueDepth;
    }

    public long meanNanos() {
        return meanNanos;
    }

    /** The service time of the next request that starts at {@code now}. */
    public long next(long now) {
        long base = 0;
        if (meanNanos > 0) {
            double u = 1.0 - random.nextDouble(); // (0,1]
            double x = -Math.log(u) * meanNanos;
            if (tailProbability > 0 && random.nextDouble() < tailProbability) x *= tailFactor;
            double y = Math.ceil(x * slowFactor);
            base = y < MAX_SERVICE_NANOS ? (long) y : MAX_SERVICE_NANOS;
        }
        long stall = Math.max(0, stalledUntil - now);
        long total = base + stall;
        return total < 0 ? MAX_SERVICE_NANOS : Math.min(total, MAX_SERVICE_NANOS);
    }

    /**
     * The longest service time: about 292 years of virtual time, so that adding it to any clock
     * reading of a run stays far from overflow (a huge slow-down factor makes a backend never
     * answer, not answer at once).
     */
    public static final long MAX_SERVICE_NANOS = Long.MAX_VALUE / 1024;

    /** {@code nanos * factor}, rounded up and saturated at {@link #MAX_SERVICE_NANOS}. */
    public static long scale(long nanos, double factor) {
        double x = Math.ceil(nanos * factor);
        if (!(x < MAX_SERVICE_NANOS)) return MAX_SERVICE_NANOS; // also NaN
        return Math.max(0, (long) x);
    }

    public double slowFactor() {
        return slowFactor;
    }

    /** The end of the current stall, or a time in the past. */
    public long stalledUntil() {
        return stalledUntil;
    }

    /** nemesis {@code backend-slow}: multiply latencies by {@code factor} from now on. */
    public void slowDown(double factor) {
        if (!(factor > 0) || Double.isInfinite(factor)) throw new IllegalArgumentException("slow-down factor must be > 0");
        this.slowFactor = factor;
    }

    /** nemesis {@code backend-stall}: nothing completes before {@code untilNanos}. */
    public void stallUntil(long untilNanos) {
        this.stalledUntil = Math.max(stalledUntil, untilNanos);
    }
}
