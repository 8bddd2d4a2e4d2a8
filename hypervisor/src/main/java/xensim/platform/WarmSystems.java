package xensim.platform;

import akka.actor.BootstrapSetup;
import akka.actor.setup.ActorSystemSetup;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.Behaviors;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A warm deterministic ActorSystem for the thread that opens this scope (an explore worker): each
 * FIFO simulation that thread starts with {@link SimSystem#startWarm} runs as a new actor tree, a
 * child of the warm system's guardian, and is stopped after its run, instead of paying for a new
 * ActorSystem per seed (Akka's settings validation, actor-ref provider and loggers were ~22 % of
 * explore's CPU).
 *
 * <p>Between simulations the system keeps nothing a run can see: the previous tree has stopped
 * (its guardian saw Terminated), and {@link VirtualTimeExecutor#resetForReuse} has dropped its
 * pending timed deliveries and set the virtual clock, timed order and task count back to zero.
 * The event log, the seam and its random streams are made per run as with a new system. FIFO only:
 * a controlled schedule's scheduler and state hashes (actor paths) belong to one run, so those
 * runs take a new system. A run that did not end cleanly (the host failed, the wall-time limit,
 * its tree did not stop in time, a seam task threw) discards the system; the next run starts a
 * new one.
 *
 * <p>Not thread-safe: one scope per thread, used by that thread only; {@link #close} terminates
 * the system.
 */
public final class WarmSystems implements AutoCloseable {

    private static final ThreadLocal<WarmSystems> CURRENT = new ThreadLocal<>();
    private static final AtomicLong STARTED = new AtomicLong();

    /**
     * How long a stopped simulation's tree, and then the executor, may take to come to rest
     * (property {@code xensim.warm.stop-timeout-ms}, default 10 s; a test of a stuck tree sets it lower).
     */
    static long stopTimeoutMillis() {
        return Long.getLong("xensim.warm.stop-timeout-ms", 10_000);
    }

    /** One warm system: its guardian spawns and watches the simulations' roots. */
    record Warm(ActorSystem<Command> system, VirtualTimeExecutor executor) {}

    sealed interface Command {}

    /** Spawns {@code behavior} as a child named {@code name}; {@code stopped} completes when it has stopped. */
    record Spawn(Behavior<?> behavior, String name, CompletableFuture<ActorRef<?>> spawned,
                 CompletableFuture<Void> stopped) implements Command {}

    /** Stops a child spawned by {@link Spawn} (and with it its whole tree). */
    record Stop(ActorRef<?> child) implements Command {}

    private final Thread owner = Thread.currentThread();
    private Warm warm;
    private boolean lent;
    private long runs;

    private WarmSystems() {}

    /** Opens the calling thread's scope (one at a time). */
    public static WarmSystems open() {
        if (CURRENT.get() != null) throw new IllegalStateException("this thread already has a warm-system scope");
        WarmSystems w = new WarmSystems();
        CURRENT.set(w);
        return w;
    }

    /** The calling thread's open scope, or null. */
    public static WarmSystems current() {
        return CURRENT.get();
    }

    /**
     * Threads for a pool whose workers run simulations: each runs its whole life inside its own
     * scope (closed, and the warm system terminated, when the pool shuts the thread down).
     */
    public static java.util.concurrent.ThreadFactory threads(String name, boolean daemon) {
        return r -> {
            Thread t = new Thread(() -> {
                try (WarmSystems w = open()) {
                    r.run();
                }
            }, name);
            t.setDaemon(daemon);
            return t;
        };
    }

    /** Until closed, runs started on this thread take systems of their own (the scope, if any, is kept for after). */
    public static Suspension suspend() {
        WarmSystems w = CURRENT.get();
        CURRENT.remove();
        return new Suspension(w);
    }

    /** See {@link #suspend()}. */
    public static final class Suspension implements AutoCloseable {
        private final WarmSystems scope;

        private Suspension(WarmSystems scope) {
            this.scope = scope;
        }

        @Override
        public void close() {
            if (scope != null) CURRENT.set(scope);
        }
    }

    /** How many warm systems were started in this JVM (tests: a discarded system is replaced). */
    public static long systemsStarted() {
        return STARTED.get();
    }

    /** The system for the next run: the warm one reset, or a new one if there is none or it could not be reset. */
    Warm lend() {
        if (Thread.currentThread() != owner) throw new IllegalStateException("a warm-system scope is its own thread's");
        if (lent) throw new IllegalStateException("the warm system is already running a simulation");
        if (warm != null) {
            boolean reset;
            try {
                reset = warm.executor().resetForReuse(stopTimeoutMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reset = false;
            }
            if (!reset || warm.system().whenTerminated().isCompleted()) discard();
        }
        if (warm == null) warm = create("xensim-warm-" + STARTED.incrementAndGet());
        lent = true;
        return warm;
    }

    /** A child name no earlier run of this system used. */
    String childName(String name) {
        return name + "-" + (++runs);
    }

    /**
     * The run on {@code w} is over: its root is stopped and waited for; when that does not happen in
     * time, or {@code reusable} is false, the system is discarded.
     */
    void giveBack(Warm w, ActorRef<?> root, CompletableFuture<Void> stopped, boolean reusable) {
        lent = false;
        if (w != warm) return;
        boolean clean = reusable;
        if (root != null && !w.system().whenTerminated().isCompleted()) w.system().tell(new Stop(root));
        try {
            stopped.get(stopTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            clean = false;
        } catch (Exception e) {
            clean = false;
        }
        if (w.executor().lastFailure() != null) clean = false;
        if (!clean) discard();
    }

    /** Terminates the warm system (waiting at most the stop timeout: a stuck simulation thread is left to die with the JVM). */
    private void discard() {
        Warm w = warm;
        warm = null;
        if (w == null) return;
        w.system().terminate();
        try {
            w.system().getWhenTerminated().toCompletableFuture().get(stopTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // not stopped in time: its daemon threads die with the JVM
        }
        w.executor().shutdown();
    }

    @Override
    public void close() {
        if (CURRENT.get() == this) CURRENT.remove();
        discard();
    }

    private static Warm create(String name) {
        VirtualTimeExecutor ex = new VirtualTimeExecutor("xensim-sim-" + name);
        ActorSystemSetup setup = ActorSystemSetup.create(BootstrapSetup.create(SimSystem.config(Mode.DETERMINISTIC, false)),
                new VirtualTimeSetup(ex));
        return new Warm(ActorSystem.create(guardian(), name, setup), ex);
    }

    /** The warm system's guardian: spawns each run's root, stops it when asked, and says when it has stopped. */
    private static Behavior<Command> guardian() {
        return Behaviors.setup(ctx -> {
            Map<ActorRef<?>, CompletableFuture<Void>> watched = new HashMap<>();
            return Behaviors.receive(Command.class)
                    .onMessage(Spawn.class, s -> {
                        ActorRef<?> child = ctx.spawn(s.behavior(), s.name());
                        ctx.watch(child);
                        watched.put(child, s.stopped());
                        s.spawned().complete(child);
                        return Behaviors.same();
                    })
                    .onMessage(Stop.class, s -> {
                        if (watched.containsKey(s.child())) ctx.stop(s.child());
                        return Behaviors.same();
                    })
                    // ChildFailed too: a root that threw has stopped (typed supervision's default), the guardian goes on
                    .onSignal(Terminated.class, t -> {
                        CompletableFuture<Void> f = watched.remove(t.getRef());
                        if (f != null) f.complete(null);
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
