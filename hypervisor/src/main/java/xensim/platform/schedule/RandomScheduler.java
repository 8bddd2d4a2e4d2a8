package xensim.platform.schedule;

import java.util.List;
import java.util.SplittableRandom;

/** {@code random}: every step a uniformly drawn candidate (a random walk over interleavings). */
public final class RandomScheduler implements Scheduler {
    private final SplittableRandom random;

    public RandomScheduler(long seed) {
        random = new SplittableRandom(seed);
    }

    @Override
    public int choose(long step, List<Object> keys) {
        return keys.size() == 1 ? 0 : random.nextInt(keys.size());
    }
}
