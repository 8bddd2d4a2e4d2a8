package xensim.runtime;

import akka.actor.typed.Behavior;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import xensim.check.InvariantChecker;
import xensim.platform.EventLog;
import xensim.platform.EventSink;
import xensim.platform.JsonLinesFileSink;
import xensim.platform.Seam;
import xensim.platform.SimSystem;
import xensim.platform.ThreadedSeam;
import xensim.platform.WarmSystems;
import xensim.platform.schedule.Deviation;
import java.util.List;

/**
 * Runs one simulation: event log (JSON lines through Logback, plus the online checker), RUN_BEGIN,
 * the host in its own ActorSystem, then — when the host reports done, or a deterministic run has
 * nothing left to do, or the wall-time guard fires — the end-of-run judgement and RUN_END with
 * the verdict. The host is given as a factory so the harness knows nothing of Xen.
 */
public final class Simulation {

    /** Builds the root behaviour of a run; it completes {@code done} with its report when finished. */
    @FunctionalInterface
    public interface HostFactory {
        Behavior<?> create(Seam seam, CompletableFuture<Object> done);
    }

    private Simulation() {}

    public static RunResult run(RunSpec spec, HostFactory host, EventSink... extraSinks) {
        return run(spec, host, null, extraSinks);
    }

    /**
     * @param hold the host's {@link Hold} (run --hold), or null: while it holds, the run is not
     *             judged over by quiescence, quiet or the wall-time limit
     */
    public static RunResult run(RunSpec spec, HostFactory host, Hold hold, EventSink... extraSinks) {
        Path eventsFile = null;
        EventLog log = new EventLog();
        if (spec.outDir() != null) {
            try {
                Files.createDirectories(spec.outDir());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + spec.outDir(), e);
            }
            eventsFile = spec.outDir().resolve("events.jsonl");
            log.addSink(new JsonLinesFileSink(eventsFile));
        }
        InvariantChecker checker = new InvariantChecker(log);
        log.addSink(checker);
        for (EventSink s : extraSinks) log.addSink(s);

        // Deterministic: the host completes `done` on the simulation's thread; judge right there,
        // at that virtual instant (in complete() itself: a whenComplete action may be run by the
        // harness thread waiting in get()). Judging when the harness noticed let timers that log
        // nothing move the clock on, so RUN_END's t differed from run to run for the same seed.
        java.util.concurrent.atomic.AtomicBoolean judgedAtCompletion = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong doneAt = new java.util.concurrent.atomic.AtomicLong(-1);
        boolean deterministic = spec.mode() == xensim.platform.Mode.DETERMINISTIC;
        CompletableFuture<Object> done = new CompletableFuture<>() {
            @Override
            public boolean complete(Object value) {
                if (deterministic && !isDone() && judgedAtCompletion.compareAndSet(false, true)) {
                    doneAt.set(log.nowNanos());
                    runEnd(checker, log, RunResult.Ending.COMPLETED);
                }
                return super.complete(value);
            }
        };
        RunResult.Ending ending;
        Object report = null;
        long virtualNanos;
        @SuppressWarnings({"unchecked", "rawtypes"})
        java.util.function.Function<Seam, Behavior<Object>> root = seam -> {
                    var begin = seam.events().event(0, "runtime", "RUN_BEGIN").with("seed", spec.seed())
                            .with("mode", spec.mode().cliName()).with("strategy", spec.strategy())
                            .with("scenario", spec.scenario()).with("version", Version.get());
                    spec.profiles().forEach(begin::with);
                    begin.with("schedule", spec.schedule().toString());
                    if (spec.schedule().controlled()) begin.with("scheduleSeed", spec.scheduleSeed());
                    begin.emit();
                    return (Behavior) host.create(seam, done);
                };
        // explore's workers run seed after seed in one warm system (a FIFO run only: see WarmSystems)
        WarmSystems warm = deterministic && !spec.schedule().controlled() ? WarmSystems.current() : null;
        SimSystem<?> sim = warm != null
                ? SimSystem.startWarm(warm, "xensim-" + spec.seed(), spec.seed(), log, root)
                : SimSystem.start("xensim-" + spec.seed(), spec.mode(), spec.seed(), log, spec.timeScale(),
                        deterministic ? spec.schedule() : xensim.platform.schedule.ScheduleSpec.FIFO, spec.scheduleSeed(), root);
        boolean closed = false;
        boolean clean = false;
        try {
            ending = await(sim, done, spec, log, hold);
            if (done.isDone() && !done.isCompletedExceptionally()) report = done.getNow(null);
            virtualNanos = doneAt.get() >= 0 ? doneAt.get() : sim.seam().nowNanos();
            // RUN_END is the log's last line: judge on the simulation's own thread when there is one
            // (deterministic), or once every actor has stopped (threaded: actors run on their own
            // threads until the system is down)
            if (sim.executor() == null) {
                closed = true;
                closeQuietly(sim);
            }
            CompletableFuture<Void> judged = new CompletableFuture<>();
            Runnable judge = () -> {
                try {
                    if (!judgedAtCompletion.getAndSet(true)) runEnd(checker, log, ending);
                    judged.complete(null);
                } catch (Throwable t) {
                    judged.completeExceptionally(t);
                }
            };
            if (sim.executor() != null) {
                try {
                    sim.executor().execute(judge);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // the guardian failed and the system is shutting its executor down: the quiet
                    // await saw was that of a dying system, not a quiescent host
                    throw new IllegalStateException("the host stopped without finishing (its actor system terminated)", e);
                }
            } else {
                judge.run();
            }
            judged.get(30, TimeUnit.SECONDS);
            // a run stopped by the wall-time limit may still be busy: its warm system is not reused
            clean = ending != RunResult.Ending.WALL_LIMIT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not finish the run", e);
        } finally {
            if (!clean) sim.discardAfterClose();
            if (!closed) closeQuietly(sim);
            log.close();
        }
        List<Deviation> devs = sim.executor() != null ? sim.executor().deviations() : List.of();
        long steps = sim.executor() != null ? (sim.executor().controlled() ? sim.executor().steps() : sim.executor().executedTasks()) : 0;
        return new RunResult(spec.seed(), spec.strategy(), checker.verdict(), checker.counts(), virtualNanos,
                log.count(), ending, eventsFile, report, devs, steps, sim.executor() != null ? sim.executor().choices() : List.of());
    }

    /** The end-of-run judgement, then RUN_END: the log's last line. */
    private static void runEnd(InvariantChecker checker, EventLog log, RunResult.Ending ending) {
        checker.finish(ending.name());
        log.event(0, "runtime", "RUN_END").with("verdict", checker.verdictLine().substring("verdict: ".length()))
                .with("ending", ending.name())
                .emit();
    }

    private static void closeQuietly(SimSystem<?> sim) {
        try {
            sim.close();
        } catch (TimeoutException e) {
            // the system did not stop in time; its daemon threads die with the JVM
        }
    }

    /** Threaded mode: no event for this long and no delayed delivery pending means nothing more will happen. */
    static final long THREADED_QUIET_MS = 2_000;

    private static RunResult.Ending await(SimSystem<?> sim, CompletableFuture<Object> done, RunSpec spec, EventLog log,
                                          Hold hold) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(spec.wallLimitMs());
        long lastCount = -1;
        long quietSince = System.nanoTime();
        while (true) {
            try {
                done.get(50, TimeUnit.MILLISECONDS);
                return RunResult.Ending.COMPLETED;
            } catch (ExecutionException e) {
                throw new IllegalStateException("the host failed", e.getCause());
            } catch (TimeoutException e) {
                // not yet
            }
            if (sim.hostStopped() && !done.isDone()) {
                throw new IllegalStateException("the host stopped without finishing (its actor system terminated)");
            }
            if (hold != null && hold.holding()) {
                // held: idle is not the end (the socket may bring requests); limits start again at release
                deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(spec.wallLimitMs());
                quietSince = System.nanoTime();
                continue;
            }
            if (sim.executor() != null && sim.executor().awaitQuiescence(1) && !done.isDone()) {
                // nothing runnable and nothing scheduled: confirm once more (a completion may race)
                if (sim.executor().awaitQuiescence(1) && !done.isDone() && !(hold != null && hold.holding())) {
                    return RunResult.Ending.QUIESCED;
                }
            }
            if (sim.seam() instanceof ThreadedSeam ts) {
                // real threads: quiet (no event) for a while with no delayed delivery pending is the
                // same end as the deterministic executor's quiescence
                long count = log.count();
                if (count != lastCount || ts.pendingDeliveries() > 0) {
                    lastCount = count;
                    quietSince = System.nanoTime();
                } else if (System.nanoTime() - quietSince > TimeUnit.MILLISECONDS.toNanos(THREADED_QUIET_MS) && !done.isDone()
                        && !(hold != null && hold.holding())) {
                    return RunResult.Ending.QUIESCED;
                }
            }
            if (System.nanoTime() > deadline) return RunResult.Ending.WALL_LIMIT;
        }
    }
}
