package xensim.cluster;

import akka.actor.typed.ActorRef;
import akka.actor.typed.receptionist.ServiceKey;
import java.util.List;

/**
 * The messages between coordinator and workers. A worker finds the coordinator through the
 * Receptionist ({@link #COORDINATOR}), registers with its version and slots, is welcomed with the
 * coordinator's version and the design jars, and pulls work: {@link Pull} asks for as many items
 * as it has free slots, each {@link Done} returns a result and frees a slot, which it asks to fill
 * again. {@link Finished} ends the run.
 */
public final class Protocol {
    private Protocol() {}

    public static final ServiceKey<ToCoordinator> COORDINATOR = ServiceKey.create(ToCoordinator.class, "xensim-coordinator");

    /** Messages the coordinator receives. */
    public interface ToCoordinator {}

    /** Messages a worker receives. */
    public interface ToWorker {}

    /** A worker joins: its version (the coordinator checks it too), its slots, its host (for the log). */
    public record Register(ActorRef<ToWorker> worker, String version, int slots, String node) implements ToCoordinator, ClusterSerializable {}

    /** A worker refuses the coordinator's work (its version differs); the coordinator logs why. */
    public record Refusing(ActorRef<ToWorker> worker, String reason) implements ToCoordinator, ClusterSerializable {}

    /** A worker asks for {@code n} more items. */
    public record Pull(ActorRef<ToWorker> worker, int n) implements ToCoordinator, ClusterSerializable {}

    /** A worker's result of one item. */
    public record Done(ActorRef<ToWorker> worker, ItemResult result) implements ToCoordinator, ClusterSerializable {}

    /** An item whose run threw (e.g. a design that threw: bad input); the explore stops with the message. */
    public record Failed(ActorRef<ToWorker> worker, long index, String message, boolean badInput) implements ToCoordinator, ClusterSerializable {}

    /** The coordinator's answer to {@link Register}: its version and the run's design jars (once per worker). */
    public record Welcome(String version, List<DesignJar> jars) implements ToWorker, ClusterSerializable {}

    /** The coordinator will not use this worker (another version). */
    public record Refused(String reason) implements ToWorker, ClusterSerializable {}

    /** Items to run. */
    public record Work(List<WorkItem> items) implements ToWorker, ClusterSerializable {}

    /** Every item is done: the worker leaves. */
    public record Finished(String summary) implements ToWorker, ClusterSerializable {}
}
