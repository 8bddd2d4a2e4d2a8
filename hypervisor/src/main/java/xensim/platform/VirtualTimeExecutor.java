package xensim.platform;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import xensim.platform.schedule.Deviation;
import xensim.platform.schedule.Scheduler;
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
 * <p>With a {@link Scheduler} (a controlled schedule: {@code --schedule random|pct:D|pos|dev:...})
 * each step is chosen among every runnable one — the run queue's tasks (one actor message each:
 * the dispatcher then runs at throughput 1) and the timed deliveries due at the current virtual
 * time — listed in FIFO order; the clock moves only when none is left. Every step where the
 * choice was not the FIFO head is recorded as a {@link Deviation}, so the run can be replayed with
 * {@code dev:} and its deviations removed one at a time.
 *
 * <p>One instance per ActorSystem (never a static singleton), so many simulations can run side by
 * side, one per core.
 */
public final class VirtualTimeExecutor extends AbstractExecutorService {

    private record Timed(long at, long order, Object key, Runnable task) {}

    /**
     * One choice point of a controlled run: the step, how many candidates it had, and a hash of
     * the state it was taken in (the recorder's state hash mixed with the candidates' actors).
     */
    public record Choice(long step, int candidates, long state) {}

    private static final ThreadLocal<VirtualTimeExecutor> CURRENT = new ThreadLocal<>();

    /** The executor whose simulation thread calls this (an event sink's way to its run), or null. */
    public static VirtualTimeExecutor current() {
        return CURRENT.get();
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition idleOrDone = lock.newCondition();
    private final ArrayDeque<Runnable> runQueue = new ArrayDeque<>();
    private final TimedQueue timed = new TimedQueue();
    private final Thread thread;
    private volatile long nowNanos;
    private long timedOrder;
    private boolean shutdown;
    private boolean idle;
    private long idleEpoch;
    private volatile Throwable lastFailure;
    private long executed;
    private final Scheduler scheduler;
    private final ArrayList<Runnable> ready = new ArrayList<>();
    private final ArrayList<Object> readyKeys = new ArrayList<>();
    private final ArrayDeque<Runnable> background = new ArrayDeque<>();
    private long steps;
    private long[] pendingDeviation;
    private DeviationListener deviationListener;

    /** Told of each deviation from FIFO just before its step runs, on the simulation thread. */
    public interface DeviationListener {
        void deviated(long step, int index, int candidates);
    }

    /** Sets the deviation listener (the seam logs SCHEDULE_DEVIATION). */
    public void onDeviation(DeviationListener l) {
        deviationListener = l;
    }
    private static final boolean DEBUG = Boolean.getBoolean("xensim.schedule.debug");
    private final ArrayList<Timed> due = new ArrayList<>();
    private final ArrayList<Object> keys = new ArrayList<>();
    private final ArrayList<Deviation> deviations = new ArrayList<>();
    private final ArrayList<Choice> choices = new ArrayList<>();
    private long recordChoicesFrom = Long.MAX_VALUE;
    private java.util.function.LongSupplier recordState = () -> 0;
    private java.util.function.LongConsumer stepHook;
    private volatile java.util.function.Consumer<Runnable> stepObserver;

    /**
     * Shows {@code observer} every step just before it runs (an actor's mailbox run, a timed
     * delivery), on the simulation thread: a bench's census of what a run's steps are; null
     * removes it.
     */
    public void observeSteps(java.util.function.Consumer<Runnable> observer) {
        stepObserver = observer;
    }

    public VirtualTimeExecutor(String name) {
        this(name, null);
    }

    /** @param scheduler null: FIFO, as always */
    public VirtualTimeExecutor(String name, Scheduler scheduler) {
        this.scheduler = scheduler;
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
        schedule(delayNanos, null, task);
    }

    /**
     * As {@link #schedule(long, Runnable)}; {@code key} names the thread behind the delivery for a
     * controlled schedule (its target actor), null: the task itself.
     */
    public void schedule(long delayNanos, Object key, Runnable task) {
        if (delayNanos < 0) throw new IllegalArgumentException("negative delay " + delayNanos);
        lock.lock();
        try {
            if (shutdown) return;
            timed.add(nowNanos + delayNanos, timedOrder++, key, task);
            idle = false;
            if (Thread.currentThread() != thread) work.signal(); // the simulation thread is not waiting: it is here
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
            if (Thread.currentThread() != thread) work.signal();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        CURRENT.set(this);
        while (true) {
            Runnable next = null;
            lock.lock();
            try {
                while (scheduler == null) {
                    next = runQueue.poll();
                    if (next != null) break;
                    if (!timed.isEmpty()) {
                        long at = timed.peekAt();
                        if (at > nowNanos) nowNanos = at;
                        next = timed.peekTask();
                        timed.remove();
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
                if (scheduler != null) next = chooseControlled();
                if (next == null) return;
                executed++;
            } finally {
                lock.unlock();
            }
            long[] dev = pendingDeviation;
            pendingDeviation = null;
            if (dev != null && deviationListener != null) {
                try {
                    deviationListener.deviated(dev[0], (int) dev[1], (int) dev[2]);
                } catch (Throwable e) {
                    lastFailure = e;
                }
            }
            try {
                if (stepObserver != null) stepObserver.accept(next);
                next.run();
                if (stepHook != null) stepHook.accept(steps);
            } catch (Throwable e) {
                // Akka's mailbox runs catch their own failures; anything reaching here is a bug in
                // a seam task. Keep the simulation thread alive and remember it for the runner.
                lastFailure = e;
            }
        }
    }

    /** A controlled schedule's next step (under the lock); null when shut down. */
    private Runnable chooseControlled() {
        while (true) {
            while (!runQueue.isEmpty()) {
                Runnable r = runQueue.poll();
                Object key = simulationKey(r);
                if (key == null) {
                    background.add(r);
                } else {
                    ready.add(r);
                    readyKeys.add(key);
                }
            }
            // Akka's own work (its system actors, start-up and shutdown tasks from other threads) is
            // not the simulation's: it runs first, in order, and is no step, so the schedule sees the
            // same steps whenever it happens
            if (!background.isEmpty()) return background.poll();
            while (!timed.isEmpty() && timed.peekAt() <= nowNanos) {
                due.add(new Timed(timed.peekAt(), 0, timed.peekKey(), timed.peekTask()));
                timed.remove();
            }
            int n = ready.size() + due.size();
            if (n > 0) {
                int pick = 0;
                if (n > 1) {
                    keys.clear();
                    keys.addAll(readyKeys);
                    for (Timed t : due) keys.add(t.key != null ? t.key : t.task);
                    pick = scheduler.choose(steps, keys);
                    if (DEBUG) System.err.println("step " + steps + " t=" + nowNanos + " " + keys + " -> " + pick);
                    if (pick < 0 || pick >= n) throw new IllegalStateException("scheduler chose " + pick + " of " + n);
                    if (pick != 0) {
                        deviations.add(new Deviation(steps, pick));
                        pendingDeviation = new long[] {steps, pick, n};
                    }
                    if (steps >= recordChoicesFrom) choices.add(new Choice(steps, n, stateHash()));
                }
                steps++;
                if (pick < ready.size()) {
                    readyKeys.remove(pick);
                    return ready.remove(pick);
                }
                return due.remove(pick - ready.size()).task;
            }
            if (!timed.isEmpty()) {
                nowNanos = timed.peekAt();
                continue;
            }
            if (shutdown) {
                idleOrDone.signalAll();
                return null;
            }
            if (!idle) {
                idle = true;
                idleEpoch++;
                idleOrDone.signalAll();
            }
            work.awaitUninterruptibly();
        }
    }

    /**
     * The thread a run-queue task belongs to for the schedule: the path of the simulation actor
     * whose mailbox it is (an actor under /user) when the mailbox holds a message, or null for
     * Akka's own work — its system actors, and a mailbox with only system messages (create,
     * watch, supervise: their order follows the actors' own messages; at start-up Akka's threads
     * send some at times no seed decides).
     */
    private static Object simulationKey(Runnable r) {
        if (!(r instanceof akka.dispatch.Mailbox m)) return null;
        if (!m.hasMessages()) return null;
        akka.actor.ActorCell cell = m.actor();
        if (cell == null) return null;
        akka.actor.ActorPath path = cell.self().path();
        scala.collection.Iterator<String> it = path.elements().iterator();
        return it.hasNext() && "user".equals(it.next()) ? path : null;
    }

    /** Whether this executor runs a controlled schedule (not FIFO). */
    public boolean controlled() {
        return scheduler != null;
    }

    /** The steps where a controlled schedule did not take the FIFO head, in order (a copy). */
    public List<Deviation> deviations() {
        lock.lock();
        try {
            return List.copyOf(deviations);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records every choice point (more than one candidate) from {@code step} on (exhaustive
     * search; Long.MAX_VALUE stops recording), with {@code state}'s hash of the system then.
     */
    public void recordChoicesFrom(long step, java.util.function.LongSupplier state) {
        lock.lock();
        try {
            recordChoicesFrom = step;
            if (state != null) recordState = state;
        } finally {
            lock.unlock();
        }
    }

    /** The recorder's state mixed with the candidates' actors (paths; other keys count by position only). */
    private long stateHash() {
        long h = recordState.getAsLong();
        for (Object k : keys) h = h * 31 + (k instanceof akka.actor.ActorPath p ? p.toString().hashCode() : 1);
        return xensim.platform.Seam.mix64(h);
    }

    /** The choice points recorded since {@link #recordChoicesFrom} (a copy). */
    public List<Choice> choices() {
        lock.lock();
        try {
            return List.copyOf(choices);
        } finally {
            lock.unlock();
        }
    }

    /** Called on the simulation thread after each step with the steps taken so far (exhaustive search). */
    public void onStep(java.util.function.LongConsumer hook) {
        stepHook = hook;
    }

    /** A controlled schedule's steps so far (simulation actor messages and timed deliveries; Akka's own work is none). */
    public long steps() {
        return steps;
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
            while (!(idle && runQueue.isEmpty() && timed.isEmpty() && ready.isEmpty() && due.isEmpty() && background.isEmpty()) && !shutdown) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                idleOrDone.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes a FIFO executor as a new one is, for the next simulation in the same (warm) ActorSystem:
     * drops the timed deliveries still pending (to the stopped simulation's actors), waits until the
     * run queue has drained and the thread is idle, then sets the virtual clock, the timed order and
     * the task count back to zero and forgets the last failure. Harness code, called once the
     * previous simulation's actors have all stopped. Returns false (and changes nothing else) if the
     * executor is shut down or still busy after {@code maxWaitMillis}: the system is then not reused.
     */
    public boolean resetForReuse(long maxWaitMillis) throws InterruptedException {
        if (scheduler != null) throw new IllegalStateException("a controlled schedule's executor is not reused");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
        lock.lock();
        try {
            timed.clear();
            while (!(idle && runQueue.isEmpty() && timed.isEmpty()) && !shutdown) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                idleOrDone.awaitNanos(left);
                timed.clear(); // a dead actor's last task may have scheduled one more
            }
            if (shutdown) return false;
            nowNanos = 0;
            timedOrder = 0;
            executed = 0;
            lastFailure = null;
            deviationListener = null;
            stepHook = null;
            stepObserver = null;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Number of timed deliveries still pending (for diagnostics). */
    public int pendingTimed() {
        lock.lock();
        try {
            return timed.size() + due.size();
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
            due.clear();
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
            left.addAll(ready);
            left.addAll(background);
            runQueue.clear();
            ready.clear();
            readyKeys.clear();
            background.clear();
            timed.clear();
            due.clear();
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
