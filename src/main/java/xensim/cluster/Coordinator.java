package xensim.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import xensim.cluster.Protocol.Done;
import xensim.cluster.Protocol.Failed;
import xensim.cluster.Protocol.Finished;
import xensim.cluster.Protocol.Pull;
import xensim.cluster.Protocol.Refusing;
import xensim.cluster.Protocol.Register;
import xensim.cluster.Protocol.ToCoordinator;
import xensim.cluster.Protocol.ToWorker;
import xensim.cluster.Protocol.Welcome;
import xensim.cluster.Protocol.Work;

/**
 * The coordinator: registered with the Receptionist, it welcomes workers, waits for
 * {@code minWorkers} of them (or gives up after {@code workerTimeout}), hands out items as workers
 * pull them ({@link WorkQueue}), re-queues a departed worker's unfinished items (a worker that dies
 * or is partitioned is downed by the split-brain resolver, then removed: its watch fires), and hands
 * each first result to {@code onResult}. It ends when every item is done (or a run failed, or no
 * worker is left for {@code workerTimeout}), completing {@code status}.
 */
public final class Coordinator extends AbstractBehavior<ToCoordinator> {

    /** How the run ended. */
    public record Status(Kind kind, String message) {
        public enum Kind { COMPLETED, NO_WORKERS, BAD_INPUT, FAILED }
    }

    /** What the coordinator is given: the items to do, the design jars, the limits, where results and log lines go. */
    public record Settings(String version, Map<Long, WorkItem> items, List<DesignJar> jars, int minWorkers, Duration workerTimeout,
                           Consumer<ItemResult> onResult, Consumer<String> log, CompletableFuture<Status> status) {}

    private record WorkerGone(ActorRef<ToWorker> worker) implements ToCoordinator {}

    private enum Tick implements ToCoordinator { INSTANCE }

    private enum WaitTimeout implements ToCoordinator { INSTANCE }

    private enum Linger implements ToCoordinator { INSTANCE }

    private final Settings s;
    private final WorkQueue<ActorRef<ToWorker>> queue;
    private final Map<ActorRef<ToWorker>, String> nodes = new HashMap<>();
    private final Set<ActorRef<ToWorker>> watched = new HashSet<>();
    private boolean started;
    private long noWorkerSince = System.nanoTime();
    private Status ending;
    private final long createdAt = System.nanoTime();
    private long startedAt;

    public static Behavior<ToCoordinator> create(Settings s) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Coordinator(ctx, timers, s)));
    }

    private Coordinator(ActorContext<ToCoordinator> ctx, TimerScheduler<ToCoordinator> timers, Settings s) {
        super(ctx);
        this.s = s;
        this.queue = new WorkQueue<>(s.items().keySet());
        ctx.getSystem().receptionist().tell(Receptionist.register(Protocol.COORDINATOR, ctx.getSelf()));
        timers.startSingleTimer(WaitTimeout.INSTANCE, s.workerTimeout());
        timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofSeconds(1));
        started = s.minWorkers() == 0;
        startedAt = System.nanoTime();
        if (queue.finished()) end(new Status(Status.Kind.COMPLETED, "nothing to do"));
    }

    @Override
    public Receive<ToCoordinator> createReceive() {
        return newReceiveBuilder()
                .onMessage(Register.class, this::onRegister)
                .onMessage(Refusing.class, this::onRefusing)
                .onMessage(Pull.class, this::onPull)
                .onMessage(Done.class, this::onDone)
                .onMessage(Failed.class, this::onFailed)
                .onMessage(WorkerGone.class, this::onGone)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessageEquals(WaitTimeout.INSTANCE, this::onWaitTimeout)
                .onMessageEquals(Linger.INSTANCE, () -> Behaviors.stopped(() -> {
                    s.status().complete(ending);
                }))
                .build();
    }

    private String name(ActorRef<ToWorker> w) {
        return nodes.getOrDefault(w, w.path().address().toString());
    }

    private Behavior<ToCoordinator> onRegister(Register r) {
        if (ending != null) {
            r.worker().tell(new Finished("the run is over"));
            return this;
        }
        nodes.put(r.worker(), Worker.LOCAL.equals(r.node()) ? "local" : r.worker().path().address().toString());
        if (watched.add(r.worker())) getContext().watchWith(r.worker(), new WorkerGone(r.worker()));
        r.worker().tell(new Welcome(s.version(), s.jars()));
        return this;
    }

    private Behavior<ToCoordinator> onRefusing(Refusing r) {
        s.log().accept("cluster: worker " + name(r.worker()) + " refused the work: " + r.reason());
        queue.remove(r.worker());
        return this;
    }

    private Behavior<ToCoordinator> onPull(Pull p) {
        if (ending != null) return this;
        if (!queue.has(p.worker())) {
            queue.addWorker(p.worker());
            s.log().accept("cluster: worker " + name(p.worker()) + " joined (" + p.n() + " slots); " + queue.workers() + " worker"
                    + (queue.workers() == 1 ? "" : "s"));
            if (!started && remoteWorkers() >= s.minWorkers()) {
                started = true;
                startedAt = System.nanoTime();
                s.log().accept("cluster: " + remoteWorkers() + " of at least " + s.minWorkers() + " workers joined: handing out "
                        + queue.waiting() + " items");
            }
        }
        queue.addDemand(p.worker(), p.n());
        dispatch();
        return this;
    }

    private int remoteWorkers() {
        int n = 0;
        for (ActorRef<ToWorker> w : nodes.keySet()) if (queue.has(w) && !Worker.LOCAL.equals(nodes.get(w))) n++;
        return n;
    }

    private void dispatch() {
        if (!started) return;
        for (Map.Entry<ActorRef<ToWorker>, List<Long>> e : queue.dispatch().entrySet()) {
            e.getKey().tell(new Work(e.getValue().stream().map(i -> s.items().get(i)).toList()));
        }
    }

    private Behavior<ToCoordinator> onDone(Done d) {
        long i = d.result().index();
        switch (queue.complete(d.worker(), i)) {
            case ACCEPTED -> s.onResult().accept(d.result());
            case DUPLICATE -> s.log().accept("cluster: dropped a late duplicate result of item " + i + " from " + name(d.worker()));
            case UNKNOWN -> s.log().accept("cluster: dropped a result of an unknown item " + i + " from " + name(d.worker()));
        }
        if (queue.finished()) {
            if (ending == null) {
                long now = System.nanoTime();
                s.log().accept(String.format(java.util.Locale.ROOT, "cluster: %d runs done in %.2f s from the first hand-out, %.2f s after the coordinator started",
                        queue.done(), (now - startedAt) / 1e9, (now - createdAt) / 1e9));
                end(new Status(Status.Kind.COMPLETED, queue.done() + " items done"));
            }
            return this;
        }
        queue.addDemand(d.worker(), 1); // the slot it freed
        dispatch();
        return this;
    }

    private Behavior<ToCoordinator> onFailed(Failed f) {
        if (ending == null) {
            s.log().accept("cluster: item " + f.index() + " failed on " + name(f.worker()) + ": " + f.message());
            end(new Status(f.badInput() ? Status.Kind.BAD_INPUT : Status.Kind.FAILED, f.message()));
        }
        return this;
    }

    private Behavior<ToCoordinator> onGone(WorkerGone g) {
        watched.remove(g.worker());
        boolean was = queue.has(g.worker());
        List<Long> back = queue.remove(g.worker());
        if (ending != null) {
            if (watched.isEmpty()) getContext().getSelf().tell(Linger.INSTANCE);
            return this;
        }
        if (was) {
            s.log().accept("cluster: worker " + name(g.worker()) + " left (downed or stopped) with " + back.size() + " unfinished item"
                    + (back.size() == 1 ? "" : "s") + (back.isEmpty() ? "" : ": re-queued " + back.stream().map(String::valueOf)
                    .collect(Collectors.joining(", "))));
        }
        if (queue.workers() == 0) noWorkerSince = System.nanoTime();
        dispatch();
        return this;
    }

    private Behavior<ToCoordinator> onTick() {
        if (ending == null && started && queue.workers() == 0
                && System.nanoTime() - noWorkerSince > s.workerTimeout().toNanos()) {
            end(new Status(Status.Kind.NO_WORKERS, "no worker left for " + s.workerTimeout().toSeconds() + " s with " + (queue.waiting()
                    + queue.running()) + " items not done"));
        }
        return this;
    }

    private Behavior<ToCoordinator> onWaitTimeout() {
        if (ending == null && !started) {
            end(new Status(Status.Kind.NO_WORKERS, remoteWorkers() + " of " + s.minWorkers() + " worker" + (s.minWorkers() == 1 ? "" : "s")
                    + " joined within " + s.workerTimeout().toSeconds() + " s"));
        }
        return this;
    }

    /** Tells every worker the run is over, then stops once they have left (or after 5 s). */
    private void end(Status st) {
        ending = st;
        for (ActorRef<ToWorker> w : watched) w.tell(new Finished(st.message()));
        if (watched.isEmpty()) getContext().getSelf().tell(Linger.INSTANCE);
        getContext().scheduleOnce(Duration.ofSeconds(5), getContext().getSelf(), Linger.INSTANCE);
    }
}
