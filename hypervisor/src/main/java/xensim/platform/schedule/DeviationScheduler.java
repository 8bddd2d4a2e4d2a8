package xensim.platform.schedule;

import java.util.List;
import java.util.TreeMap;

/**
 * {@code dev:S.I,...} — FIFO except at the listed steps, where candidate I (FIFO order) runs.
 * Any controlled run can be replayed this way from the deviations it recorded, and a schedule's
 * deviations can be removed one by one (shrink) or enumerated (bounded exhaustive search: every
 * deviation is at most one preemption). A deviation whose index is past the candidates of its
 * step (the run changed before it) takes the last candidate.
 */
public final class DeviationScheduler implements Scheduler {
    private final TreeMap<Long, Integer> at = new TreeMap<>();

    public DeviationScheduler(List<Deviation> deviations) {
        for (Deviation d : deviations) at.put(d.step(), d.index());
    }

    @Override
    public int choose(long step, List<Object> keys) {
        Integer i = at.get(step);
        if (i == null) return 0;
        return Math.min(i, keys.size() - 1);
    }
}
