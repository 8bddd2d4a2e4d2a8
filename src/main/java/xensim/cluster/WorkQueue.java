package xensim.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The coordinator's bookkeeping of work pulling, without actors: items waiting (lowest index
 * first), items handed to a worker and not yet done, each worker's demand (slots it asked to fill),
 * and the items done. A worker that leaves has its unfinished items put back; a result for an item
 * already done (a late duplicate: the item was re-queued and run again) is dropped, so every item is
 * counted exactly once.
 *
 * @param <W> how a worker is named (its actor reference)
 */
public final class WorkQueue<W> {
    /** What a result did to the queue. */
    public enum Completion { ACCEPTED, DUPLICATE, UNKNOWN }

    private final TreeSet<Long> waiting = new TreeSet<>();
    private final Map<Long, W> running = new HashMap<>();
    private final Map<W, Set<Long>> byWorker = new LinkedHashMap<>();
    private final Map<W, Integer> demand = new HashMap<>();
    private final Set<Long> done = new HashSet<>();
    private final Set<Long> all = new HashSet<>();

    public WorkQueue(Collection<Long> items) {
        waiting.addAll(items);
        all.addAll(items);
    }

    public void addWorker(W w) {
        byWorker.putIfAbsent(w, new TreeSet<>());
        demand.putIfAbsent(w, 0);
    }

    public boolean has(W w) {
        return byWorker.containsKey(w);
    }

    public int workers() {
        return byWorker.size();
    }

    /** {@code w} asks for {@code n} more items; then every worker's demand is served from what waits. */
    public Map<W, List<Long>> demand(W w, int n) {
        addDemand(w, n);
        return dispatch();
    }

    /** {@code w} asks for {@code n} more items, served at the next {@link #dispatch()} (ignored for a worker not here). */
    public void addDemand(W w, int n) {
        if (has(w)) demand.merge(w, n, Integer::sum);
    }

    /** Hands waiting items to workers with demand, in the order they joined; what each got. */
    public Map<W, List<Long>> dispatch() {
        Map<W, List<Long>> out = new LinkedHashMap<>();
        for (Map.Entry<W, Set<Long>> e : byWorker.entrySet()) {
            W w = e.getKey();
            int d = demand.get(w);
            while (d > 0 && !waiting.isEmpty()) {
                long i = waiting.pollFirst();
                running.put(i, w);
                e.getValue().add(i);
                out.computeIfAbsent(w, k -> new ArrayList<>()).add(i);
                d--;
            }
            demand.put(w, d);
        }
        return out;
    }

    /**
     * {@code w} finished item {@code i}. The first result of an item counts, whoever ran it (a worker
     * that was given up on may still answer); a later one is a duplicate. The slot it frees is not
     * demand: the worker asks again.
     */
    public Completion complete(W w, long i) {
        if (!all.contains(i)) return Completion.UNKNOWN;
        Set<Long> mine = byWorker.get(w);
        if (mine != null) mine.remove(i);
        if (!done.add(i)) return Completion.DUPLICATE;
        W holder = running.remove(i);
        if (holder != null && !holder.equals(w)) byWorker.get(holder).remove(i);
        waiting.remove(i);
        return Completion.ACCEPTED;
    }

    /** {@code w} is gone: its unfinished items wait again (lowest first); which they were. */
    public List<Long> remove(W w) {
        Set<Long> mine = byWorker.remove(w);
        demand.remove(w);
        if (mine == null) return List.of();
        List<Long> back = new ArrayList<>();
        for (long i : mine) {
            if (done.contains(i)) continue;
            running.remove(i);
            waiting.add(i);
            back.add(i);
        }
        return back;
    }

    /** The items {@code w} holds and has not finished. */
    public Set<Long> holding(W w) {
        Set<Long> mine = byWorker.get(w);
        return mine == null ? Set.of() : Set.copyOf(mine);
    }

    public int waiting() {
        return waiting.size();
    }

    public int running() {
        return running.size();
    }

    public int done() {
        return done.size();
    }

    public boolean finished() {
        return done.size() == all.size();
    }
}
