package xensim.platform.schedule;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code pct:D/K} — probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
 * Nagarakatte: "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS
 * 2010). Every thread (here: a candidate's key) gets a random priority when first seen, above
 * the band {@code 1..D-1} reserved for change points; {@code D-1} change points are drawn
 * uniformly from steps {@code 1..K}; each step runs the enabled thread of highest priority, and
 * at the i-th change point the thread just chosen drops to priority {@code D-i} (the paper gives
 * change point i priority i; which low value each gets only orders the lowered threads among
 * themselves). A bug of depth d ≤ D among n threads in K steps is found with probability at
 * least 1/(n·K^(d-1)) per run.
 *
 * <p>Threads seen later (actors spawned during the run, timed deliveries) draw their priority
 * when first seen, as in PCT's treatment of thread creation. Keys are held strongly (a weak map
 * would let the garbage collector decide whether an equal key draws again: not deterministic).
 */
public final class PctScheduler implements Scheduler {
    private final SplittableRandom random;
    private final long[] changePoints;
    private final int depth;
    private final Map<Object, Double> priority = new HashMap<>();
    private int nextChange;

    public PctScheduler(long seed, int depth, long steps) {
        if (depth < 1) throw new IllegalArgumentException("PCT depth must be >= 1");
        if (steps < 1) throw new IllegalArgumentException("PCT step estimate must be >= 1");
        this.depth = depth;
        random = new SplittableRandom(seed);
        changePoints = new long[depth - 1];
        for (int i = 0; i < changePoints.length; i++) changePoints[i] = 1 + random.nextLong(steps);
        java.util.Arrays.sort(changePoints);
    }

    /** The change points drawn (steps, ascending; for tests and reports). */
    public long[] changePoints() {
        return changePoints.clone();
    }

    double priorityOf(Object key) {
        // initial priorities lie above every change-point value (1..D-1): D + [0,1)
        return priority.computeIfAbsent(key, k -> depth + random.nextDouble());
    }

    @Override
    public int choose(long step, List<Object> keys) {
        int best = 0;
        double bestP = priorityOf(keys.get(0));
        for (int i = 1; i < keys.size(); i++) {
            double p = priorityOf(keys.get(i));
            if (p > bestP) {
                bestP = p;
                best = i;
            }
        }
        // change points count steps from 1; every step taken at a change point lowers its thread
        while (nextChange < changePoints.length && changePoints[nextChange] <= step + 1) {
            if (changePoints[nextChange] == step + 1) priority.put(keys.get(best), (double) (depth - 1 - nextChange));
            nextChange++;
        }
        return best;
    }
}
