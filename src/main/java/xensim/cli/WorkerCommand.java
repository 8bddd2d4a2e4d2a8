package xensim.cli;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.Behaviors;
import java.io.PrintWriter;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import xensim.cluster.ClusterNode;
import xensim.cluster.ItemRunner;
import xensim.cluster.Worker;

/**
 * {@code xensim worker --join HOST:PORT}: a cluster node that runs the simulations a coordinator
 * ({@code explore --cluster HOST:PORT}) hands it, {@code --jobs} at a time. Exit 0 when the
 * coordinator finished its run, 2 when it refused (or was refused: another xensim version), 3 when
 * the coordinator went away first (this node is then downed by the split-brain resolver).
 */
@Command(name = "worker", description = "Join an explore's cluster (explore --cluster HOST:PORT) and run the simulations it hands out.")
final class WorkerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--join", required = true, paramLabel = "HOST:PORT", description = "the coordinator's address (explore --cluster HOST:PORT)")
    String join;

    @Option(names = "--jobs", description = "runs at a time (default: the number of cores)")
    Integer jobs;

    @Option(names = "--host", description = "this node's address as the coordinator reaches it (default: the local address of the route to the coordinator)")
    String host;

    /** Tests: a worker that says it is of another xensim version. */
    @Option(names = "--as-version", hidden = true)
    String asVersion;

    /** bench cluster: answer each item at once with a clean result, to measure the coordinator's own cost per item. */
    @Option(names = "--noop", hidden = true)
    boolean noop;

    @Override
    public Integer call() throws Exception {
        String[] hp = ClusterNode.hostPort(join, false);
        if (hp == null) throw new BadInputException("--join '" + join + "': expected HOST:PORT, e.g. 10.0.0.5:2552");
        int slots = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        if (slots < 1 || slots > 1024) throw new BadInputException("--jobs must be between 1 and 1024");
        String me = host != null ? host : routeTo(hp[0], Integer.parseInt(hp[1]));
        String version = asVersion != null ? asVersion : xensim.runtime.Version.get();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path tmp = Files.createTempDirectory("xensim-worker");
        AtomicInteger code = new AtomicInteger(Main.EXIT_INTERNAL);
        AtomicReference<String> message = new AtomicReference<>();
        AtomicLong ran = new AtomicLong();
        ItemRunner explore = noop ? (item, jars) -> new xensim.cluster.ItemResult(item.index(), item.strategy(), item.seed(), null, java.util.List.of(),
                java.util.Map.of(), 0, 0, "COMPLETED", 0, java.util.Map.of(), java.util.Map.of(), null, null, java.util.List.of(), java.util.List.of(),
                item.scheduleSeed(), null, null) : ClusterExplore.runner(tmp);
        ItemRunner counted = (item, jars) -> {
            var r = explore.run(item, jars);
            ran.incrementAndGet();
            return r;
        };
        Behavior<Void> guardian = Behaviors.setup(ctx -> {
            ctx.watch(ctx.spawn(Worker.create(new Worker.Settings(version, slots, me, counted, tmp, (c, m) -> {
                code.set(c);
                message.set(m);
            })), "worker"));
            return Behaviors.receive(Void.class).onSignal(Terminated.class, sig -> Behaviors.stopped()).build();
        });
        ActorSystem<Void> sys;
        try {
            sys = ClusterNode.start(guardian, ClusterNode.config(me, 0, hp[0], Integer.parseInt(hp[1]), "worker"));
        } catch (RuntimeException e) {
            ExploreCommand.deleteTree(tmp);
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            throw new BadInputException("worker: cannot start a cluster node at " + me + " (" + root.getMessage() + ")");
        }
        out.println("worker: " + sys.address() + " (xensim " + version + ", " + slots + " slots) joining akka://" + ClusterNode.SYSTEM + "@" + join);
        out.flush();
        try {
            sys.getWhenTerminated().toCompletableFuture().get();
        } finally {
            ExploreCommand.deleteTree(tmp);
        }
        String m = message.get() != null ? message.get() : "this node left the cluster (downed: the coordinator was unreachable)";
        PrintWriter w = code.get() == Main.EXIT_CLEAN ? out : err;
        w.println("worker: " + m + "; " + ran.get() + " runs done here");
        w.flush();
        return code.get();
    }

    /** The local address of the route to {@code host} (no packet is sent). */
    static String routeTo(String host, int port) {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(InetAddress.getByName(host), port);
            InetAddress a = s.getLocalAddress();
            return a == null || a.isAnyLocalAddress() ? "127.0.0.1" : a.getHostAddress();
        } catch (java.io.IOException | RuntimeException e) {
            throw new BadInputException("--join " + host + ":" + port + ": no route to it (" + e.getMessage() + ")");
        }
    }
}
