package xensim.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.receptionist.Receptionist;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import xensim.cluster.Protocol.Done;
import xensim.cluster.Protocol.Failed;
import xensim.cluster.Protocol.Finished;
import xensim.cluster.Protocol.Pull;
import xensim.cluster.Protocol.Refused;
import xensim.cluster.Protocol.Refusing;
import xensim.cluster.Protocol.Register;
import xensim.cluster.Protocol.ToCoordinator;
import xensim.cluster.Protocol.ToWorker;
import xensim.cluster.Protocol.Welcome;
import xensim.cluster.Protocol.Work;

/**
 * A worker: finds the coordinator through the Receptionist, registers, checks the coordinator's
 * version against its own (and refuses its work when they differ), writes the design jars it is
 * sent to {@code jarDir}, then pulls: it asks for {@code slots} items and runs each on a thread of
 * its own pool; each result it returns frees a slot, which the coordinator fills. It ends (through
 * {@code onExit}: exit status, message) when the coordinator says the run is over (0), when it
 * refuses (2), or when the coordinator is gone before that (3).
 */
public final class Worker extends AbstractBehavior<ToWorker> {
    /** The node name of the coordinator's own worker (its local slots; not counted as one of --min-workers). */
    public static final String LOCAL = "local";

    public record Settings(String version, int slots, String node, ItemRunner runner, Path jarDir, BiConsumer<Integer, String> onExit) {}

    private record Found(Receptionist.Listing listing) implements ToWorker {}

    private record Ran(ItemResult result) implements ToWorker {}

    private record RunFailed(long index, String message, boolean badInput) implements ToWorker {}

    private enum CoordinatorGone implements ToWorker { INSTANCE }

    private final Settings s;
    private final ExecutorService pool;
    private final Map<String, Path> jars = new HashMap<>();
    private ActorRef<ToCoordinator> coordinator;
    private boolean over;

    public static Behavior<ToWorker> create(Settings s) {
        return Behaviors.setup(ctx -> new Worker(ctx, s));
    }

    private Worker(ActorContext<ToWorker> ctx, Settings s) {
        super(ctx);
        this.s = s;
        // each slot's thread runs its items' simulations in one warm ActorSystem (FIFO runs: see WarmSystems)
        this.pool = Executors.newFixedThreadPool(s.slots(), xensim.platform.WarmSystems.threads("xensim-worker-run", true));
        ActorRef<Receptionist.Listing> found = ctx.messageAdapter(Receptionist.Listing.class, Found::new);
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(Protocol.COORDINATOR, found));
    }

    @Override
    public Receive<ToWorker> createReceive() {
        return newReceiveBuilder()
                .onMessage(Found.class, this::onFound)
                .onMessage(Welcome.class, this::onWelcome)
                .onMessage(Refused.class, r -> exit(2, "refused by the coordinator: " + r.reason()))
                .onMessage(Work.class, this::onWork)
                .onMessage(Ran.class, r -> {
                    if (!over) coordinator.tell(new Done(getContext().getSelf(), r.result().withNode(s.node())));
                    return this;
                })
                .onMessage(RunFailed.class, f -> {
                    if (!over) coordinator.tell(new Failed(getContext().getSelf(), f.index(), f.message(), f.badInput()));
                    return this;
                })
                .onMessage(Finished.class, f -> exit(0, "the coordinator finished (" + f.summary() + ")"))
                .onMessageEquals(CoordinatorGone.INSTANCE, () -> exit(3, "the coordinator left the cluster before the run was done"))
                .onSignal(PostStop.class, sig -> {
                    pool.shutdownNow();
                    return this;
                })
                .build();
    }

    private Behavior<ToWorker> onFound(Found f) {
        if (coordinator != null || over) return this;
        var all = f.listing().getServiceInstances(Protocol.COORDINATOR);
        if (all.isEmpty()) return this;
        coordinator = all.iterator().next();
        getContext().watchWith(coordinator, CoordinatorGone.INSTANCE);
        coordinator.tell(new Register(getContext().getSelf(), s.version(), s.slots(), s.node()));
        return this;
    }

    private Behavior<ToWorker> onWelcome(Welcome w) {
        if (!s.version().equals(w.version())) {
            String why = "the coordinator runs xensim " + w.version() + ", this worker xensim " + s.version()
                    + ": a worker runs work only of its own version (start a worker of the coordinator's build)";
            coordinator.tell(new Refusing(getContext().getSelf(), why));
            return exit(2, "refusing the coordinator's work: " + why);
        }
        try {
            for (DesignJar j : w.jars()) {
                if (!DesignJar.sha256(j.bytes()).equals(j.sha256())) return exit(3, "design jar " + j.name() + " arrived damaged (SHA-256 differs)");
                Path p = s.jarDir().resolve(j.sha256() + "-" + Path.of(j.name()).getFileName());
                if (!Files.exists(p)) Files.write(p, j.bytes());
                jars.put(j.sha256(), p);
            }
        } catch (java.io.IOException e) {
            return exit(3, "cannot write the design jars to " + s.jarDir() + ": " + e.getMessage());
        }
        coordinator.tell(new Pull(getContext().getSelf(), s.slots()));
        return this;
    }

    private Behavior<ToWorker> onWork(Work w) {
        ActorRef<ToWorker> self = getContext().getSelf();
        for (WorkItem item : w.items()) {
            if (!s.version().equals(item.version())) {
                self.tell(new RunFailed(item.index(), "item " + item.index() + " is of xensim " + item.version() + ", this worker " + s.version(), true));
                continue;
            }
            List<Path> mine = new ArrayList<>();
            for (String sha : item.designJars()) {
                Path p = jars.get(sha);
                if (p == null) {
                    self.tell(new RunFailed(item.index(), "item " + item.index() + " needs design jar " + sha + ", which this worker was not sent", true));
                    mine = null;
                    break;
                }
                mine.add(p);
            }
            if (mine == null) continue;
            List<Path> jarsOfItem = mine;
            pool.execute(() -> {
                try {
                    self.tell(new Ran(s.runner().run(item, jarsOfItem)));
                } catch (ItemRunner.BadItem e) {
                    self.tell(new RunFailed(item.index(), e.getMessage(), true));
                } catch (Throwable e) {
                    self.tell(new RunFailed(item.index(), "item " + item.index() + ": " + e, false));
                }
            });
        }
        return this;
    }

    private Behavior<ToWorker> exit(int status, String message) {
        if (!over) {
            over = true;
            s.onExit().accept(status, message);
        }
        return Behaviors.stopped();
    }
}
