package xensim.platform;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The deterministic runtime: one thread drains a FIFO run queue; when that queue is empty the
 * virtual clock jumps to the earliest timed delivery and runs it. Every actor of a deterministic
 * simulation runs here, so the interleaving depends only on the order of submissions, which in
 * turn depends only on the seed.
 *
 * <p>One instance per ActorSystem (never a static singleton), so many simulations can run side by
 * side, one per core.
 */
public final class VirtualTimeExecutor extends AbstractExecutorService {

    private record Timed(long at, long order, Runnable task) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition idleOrDone = lock.newCondition();
    private final ArrayDeque<Runnable> runQueue = new ArrayDeque<>();
    private final PriorityQueue<Timed> timed = new PriorityQueue<>((a, b) ->
            a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    private final Thread thread;
    private volatile long nowNanos;
    private long timedOrder;
    private boolean shutdown;
    private boolean idle;
    private long idleEpoch;
    private volatile Throwable lastFailure;
    private long executed;

    public VirtualTimeExecutor(String name) {
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Virtual nanoseconds since the simulation started. */
    public long nowNanos() {
        return nowNanos;
    }

    /** True when called from the simulation thread. */
    public boolean inSimulationThread() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} when the virtual clock reaches now + delay (FIFO among equal times). */
    public void schedule(long delayNanos, Runnable task) {
        if (delayNanos < 0) throw new IllegalArgumentException("negative delay " + delayNanos);
        lock.lock();
        try {
            if (shutdown) return;
            timed.add(new Timed(nowNanos + delayNanos, timedOrder++, task));
            idle = false;
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void execute(Runnable command) {
        lock.lock();
        try {
            if (shutdown) throw new java.util.concurrent.RejectedExecutionException("virtual-time executor shut down");
            runQueue.add(command);
            idle = false;
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (true) {
            Runnable next;
            lock.lock();
            try {
                while (true) {
                    next = runQueue.poll();
                    if (next != null) break;
                    Timed t = timed.poll();
                    if (t != null) {
                        if (t.at > nowNanos) nowNanos = t.at;
                        next = t.task;
                        break;
                    }
                    if (shutdown) {
                        idleOrDone.signalAll();
                        return;
                    }
                    if (!idle) {
                        idle = true;
                        idleEpoch++;
                        idleOrDone.signalAll();
                    }
                    work.awaitUninterruptibly();
                }
                executed++;
            } finally {
                lock.unlock();
            }
            try {
                next.run();
            } catch (Throwable e) {
                // Akka's mailbox runs catch their own failures; anything reaching here is a bug in
                // a seam task. Keep the simulation thread alive and remember it for the runner.
                lastFailure = e;
            }
        }
    }

    /**
     * Blocks the calling (non-simulation) thread until the simulation has nothing left to do: the
     * run queue and the timed queue are both empty. Returns false if {@code maxWaitMillis} of wall
     * time passed first. Harness code only; simulation logic never waits.
     */
    public boolean awaitQuiescence(long maxWaitMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
        lock.lock();
        try {
            while (!(idle && runQueue.isEmpty() && timed.isEmpty()) && !shutdown) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                idleOrDone.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Number of timed deliveries still pending (for diagnostics). */
    public int pendingTimed() {
        lock.lock();
        try {
            return timed.size();
        } finally {
            lock.unlock();
        }
    }

    public long executedTasks() {
        lock.lock();
        try {
            return executed;
        } finally {
            lock.unlock();
        }
    }

    public Throwable lastFailure() {
        return lastFailure;
    }

    @Override
    public void shutdown() {
        lock.lock();
        try {
            shutdown = true;
            timed.clear();
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Runnable> shutdownNow() {
        lock.lock();
        try {
            shutdown = true;
            List<Runnable> left = new ArrayList<>(runQueue);
            runQueue.clear();
            timed.clear();
            work.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown && !thread.isAlive();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        thread.join(Math.max(1, unit.toMillis(timeout)));
        return !thread.isAlive();
    }
}
