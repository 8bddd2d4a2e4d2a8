package xensim.platform;

import akka.actor.BootstrapSetup;
import akka.actor.setup.ActorSystemSetup;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import xensim.platform.schedule.ScheduleSpec;

/**
 * One simulation: an ActorSystem and its seam, in either mode. In deterministic mode every actor
 * (Akka's internal ones too) runs on this simulation's own {@link VirtualTimeExecutor}.
 */
public final class SimSystem<T> implements AutoCloseable {

    /** Akka settings shared by both modes: SLF4J logging, no JVM hooks, quiet. */
    private static final String COMMON = String.join("\n",
            "akka.loggers = [\"akka.event.slf4j.Slf4jLogger\"]",
            "akka.logging-filter = \"akka.event.slf4j.Slf4jLoggingFilter\"",
            "akka.loglevel = WARNING",
            "akka.stdout-loglevel = OFF",
            "akka.log-dead-letters = off",
            "akka.log-dead-letters-during-shutdown = off",
            "akka.jvm-exit-on-fatal-error = off",
            "akka.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
            "akka.coordinated-shutdown.terminate-actor-system = on",
            // a simulation is one local ActorSystem: nothing in it serializes a message, looks up the
            // receptionist or runs a stream, so Akka's eagerly loaded library extensions (serialization
            // with every serializer of the classpath, the typed receptionist, the stream materializer)
            // are left to load on first use; they were ~45 % of starting a system, which explore pays per seed
            "akka.library-extensions = []",
            "akka.actor.typed.library-extensions = []");

    private static final String DETERMINISTIC = String.join("\n",
            "akka.actor.default-dispatcher.executor = \"" + VirtualTimeExecutorConfigurator.class.getName() + "\"",
            "akka.actor.default-dispatcher.throughput = 16",
            "akka.actor.internal-dispatcher = akka.actor.default-dispatcher");

    /**
     * The merged settings of each kind of system, built once (parsing and merging them was a tenth
     * of starting a system; a Config is immutable and may be shared).
     */
    private static volatile Config threadedConfig, deterministicConfig, controlledConfig;

    static Config config(Mode mode, boolean controlled) {
        if (mode != Mode.DETERMINISTIC) {
            Config c = threadedConfig;
            if (c == null) threadedConfig = c = ConfigFactory.parseString(COMMON).withFallback(ConfigFactory.load());
            return c;
        }
        Config c = controlled ? controlledConfig : deterministicConfig;
        if (c == null) {
            c = ConfigFactory.parseString(DETERMINISTIC).withFallback(ConfigFactory.parseString(COMMON))
                    .withFallback(ConfigFactory.load());
            if (controlled) controlledConfig = c = ConfigFactory.parseString("akka.actor.default-dispatcher.throughput = 1").withFallback(c);
            else deterministicConfig = c;
        }
        return c;
    }

    private final ActorSystem<T> system;
    private final Seam seam;
    private final VirtualTimeExecutor executor;
    /** A run in a warm system: the scope, the system, the run's root actor and when it stopped; else null. */
    private final WarmSystems pool;
    private final WarmSystems.Warm warm;
    private final ActorRef<?> root;
    private final CompletableFuture<Void> rootStopped;
    private boolean reusable = true;
    private boolean closed;

    private SimSystem(ActorSystem<T> system, Seam seam, VirtualTimeExecutor executor) {
        this.system = system;
        this.seam = seam;
        this.executor = executor;
        this.pool = null;
        this.warm = null;
        this.root = null;
        this.rootStopped = null;
    }

    private SimSystem(Seam seam, WarmSystems pool, WarmSystems.Warm warm, ActorRef<?> root, CompletableFuture<Void> rootStopped) {
        this.system = null;
        this.seam = seam;
        this.executor = warm.executor();
        this.pool = pool;
        this.warm = warm;
        this.root = root;
        this.rootStopped = rootStopped;
    }

    /**
     * Starts a simulation. {@code guardian} receives the seam and returns the root behaviour.
     *
     * @param timeScale threaded mode only: real ns per simulated ns
     */
    public static <T> SimSystem<T> start(String name, Mode mode, long seed, EventLog events, double timeScale,
                                         Function<Seam, Behavior<T>> guardian) {
        return start(name, mode, seed, events, timeScale, ScheduleSpec.FIFO, 0, guardian);
    }

    /**
     * As above, under a controlled schedule (deterministic mode only; threaded mode ignores it):
     * any schedule but fifo runs the dispatcher at throughput 1, so every actor message is a step
     * the schedule chooses.
     *
     * @param scheduleSeed the seed of the schedule's own choices
     */
    public static <T> SimSystem<T> start(String name, Mode mode, long seed, EventLog events, double timeScale,
                                         ScheduleSpec schedule, long scheduleSeed, Function<Seam, Behavior<T>> guardian) {
        if (mode == Mode.DETERMINISTIC) {
            VirtualTimeExecutor ex = new VirtualTimeExecutor("xensim-sim-" + name, schedule.create(scheduleSeed));
            DeterministicSeam seam = new DeterministicSeam(ex, seed, events);
            Config cfg = config(mode, schedule.controlled());
            ActorSystemSetup setup = ActorSystemSetup.create(BootstrapSetup.create(cfg), new VirtualTimeSetup(ex));
            ActorSystem<T> sys = ActorSystem.create(guardian.apply(seam), name, setup);
            return new SimSystem<>(sys, seam, ex);
        }
        ThreadedSeam seam = new ThreadedSeam(seed, events, timeScale);
        Config cfg = config(mode, false);
        ActorSystem<T> sys = ActorSystem.create(guardian.apply(seam), name, cfg);
        sys.getWhenTerminated().whenComplete((d, e) -> seam.close());
        return new SimSystem<>(sys, seam, null);
    }

    /**
     * Starts a deterministic FIFO simulation in the calling thread's warm system ({@code pool}, the
     * thread's open {@link WarmSystems} scope): {@code guardian}'s behaviour becomes a new child of
     * the warm system's guardian, and {@link #close} stops it and hands the system back. What the
     * simulation does and logs is what it would do in a system of its own (same seam, clock from 0).
     */
    public static <T> SimSystem<T> startWarm(WarmSystems pool, String name, long seed, EventLog events,
                                             Function<Seam, Behavior<T>> guardian) {
        WarmSystems.Warm w = pool.lend();
        DeterministicSeam seam = new DeterministicSeam(w.executor(), seed, events);
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        CompletableFuture<ActorRef<?>> spawned = new CompletableFuture<>();
        Behavior<T> behavior;
        try {
            behavior = guardian.apply(seam);
        } catch (RuntimeException | Error e) {
            pool.giveBack(w, null, CompletableFuture.completedFuture(null), true);
            throw e;
        }
        w.system().tell(new WarmSystems.Spawn(behavior, pool.childName(name), spawned, stopped));
        ActorRef<?> root;
        try {
            root = spawned.get(WarmSystems.stopTimeoutMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.giveBack(w, null, stopped, false);
            throw new IllegalStateException("interrupted while starting the simulation", e);
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            pool.giveBack(w, null, stopped, false);
            throw new IllegalStateException("the warm system did not start the simulation", e);
        }
        return new SimSystem<>(seam, pool, w, root, stopped);
    }

    /** The ActorSystem whose guardian is the simulation's root (not for a run in a warm system: it has none of its own). */
    public ActorSystem<T> system() {
        if (system == null) throw new IllegalStateException("a run in a warm system has no ActorSystem of its own");
        return system;
    }

    /** Whether the simulation's root has stopped (its system terminated, or in a warm system its tree stopped). */
    public boolean hostStopped() {
        if (system != null) return system.getWhenTerminated().toCompletableFuture().isDone();
        return rootStopped.isDone() || warm.system().whenTerminated().isCompleted();
    }

    /** Whether this run ran in a warm system. */
    public boolean warm() {
        return pool != null;
    }

    /** The run did not end cleanly: {@link #close} discards the warm system instead of handing it back (no-op for a system of its own). */
    public void discardAfterClose() {
        reusable = false;
    }

    public Seam seam() {
        return seam;
    }

    /** The virtual-time executor, or null in threaded mode. */
    public VirtualTimeExecutor executor() {
        return executor;
    }

    /** Terminates the ActorSystem and waits for it; in a warm system, stops the run's tree and hands the system back (harness code). */
    @Override
    public void close() throws TimeoutException {
        if (pool != null) {
            if (!closed) pool.giveBack(warm, root, rootStopped, reusable);
            closed = true;
            return;
        }
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(30).toMillis(),
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (executor != null) executor.shutdown();
    }
}
