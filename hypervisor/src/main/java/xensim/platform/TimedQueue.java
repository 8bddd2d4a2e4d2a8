package xensim.platform;

import java.util.Arrays;

/**
 * The virtual-time executor's timed deliveries: a binary min-heap ordered by (due time, order of
 * scheduling), kept in parallel arrays so scheduling one costs no object and no comparator call.
 * The order is total (each delivery has its own scheduling number), so deliveries come out exactly
 * as from any other priority queue on the same key: earliest first, FIFO among equal times.
 *
 * <p>Not thread-safe: the executor holds its lock around every call.
 */
final class TimedQueue {
    private long[] at = new long[256];
    private long[] order = new long[256];
    private Object[] keys = new Object[256];
    private Runnable[] tasks = new Runnable[256];
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(long when, long ord, Object key, Runnable task) {
        if (size == at.length) {
            int n = size * 2;
            at = Arrays.copyOf(at, n);
            order = Arrays.copyOf(order, n);
            keys = Arrays.copyOf(keys, n);
            tasks = Arrays.copyOf(tasks, n);
        }
        int i = size++;
        while (i > 0) { // sift up
            int p = (i - 1) >>> 1;
            if (!less(when, ord, at[p], order[p])) break;
            move(p, i);
            i = p;
        }
        set(i, when, ord, key, task);
    }

    /** The head's due time; only when not empty. */
    long peekAt() {
        return at[0];
    }

    /** The head's key (the thread it names for a controlled schedule); only when not empty. */
    Object peekKey() {
        return keys[0];
    }

    /** The head's task; only when not empty. */
    Runnable peekTask() {
        return tasks[0];
    }

    /** Removes the head (read it first with the peek methods); only when not empty. */
    void remove() {
        int last = --size;
        long lw = at[last];
        long lo = order[last];
        Object lk = keys[last];
        Runnable lt = tasks[last];
        keys[last] = null;
        tasks[last] = null;
        if (last == 0) return;
        int i = 0;
        int half = last >>> 1;
        while (i < half) { // sift down
            int c = 2 * i + 1;
            int r = c + 1;
            if (r < last && less(at[r], order[r], at[c], order[c])) c = r;
            if (!less(at[c], order[c], lw, lo)) break;
            move(c, i);
            i = c;
        }
        set(i, lw, lo, lk, lt);
    }

    void clear() {
        Arrays.fill(keys, 0, size, null);
        Arrays.fill(tasks, 0, size, null);
        size = 0;
    }

    private static boolean less(long a, long ao, long b, long bo) {
        return a != b ? a < b : ao < bo;
    }

    private void move(int from, int to) {
        at[to] = at[from];
        order[to] = order[from];
        keys[to] = keys[from];
        tasks[to] = tasks[from];
    }

    private void set(int i, long when, long ord, Object key, Runnable task) {
        at[i] = when;
        order[i] = ord;
        keys[i] = key;
        tasks[i] = task;
    }
}
