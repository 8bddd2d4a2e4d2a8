package xensim.platform.schedule;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code pos} — partial order sampling (Yuan, Yang, Gu: "Partial Order Aware Concurrency
 * Sampling", CAV 2018), in its basic form: every pending step gets a fresh random priority when it
 * becomes runnable, and the runnable step of highest priority runs. Unlike a random walk, a step
 * that keeps losing keeps its (low) priority, so long delays of one actor are as likely as short
 * ones. Here the steps of one key are one event at a time (an actor's mailbox is one runnable), so
 * the priority is redrawn whenever the key's step has run.
 */
public final class PosScheduler implements Scheduler {
    private final SplittableRandom random;
    private final Map<Object, Double> priority = new HashMap<>();

    public PosScheduler(long seed) {
        random = new SplittableRandom(seed);
    }

    @Override
    public int choose(long step, List<Object> keys) {
        int best = 0;
        double bestP = -1;
        for (int i = 0; i < keys.size(); i++) {
            double p = priority.computeIfAbsent(keys.get(i), k -> random.nextDouble());
            if (p > bestP) {
                bestP = p;
                best = i;
            }
        }
        priority.remove(keys.get(best));
        return best;
    }
}
