package xensim.cli;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.Behaviors;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import xensim.cluster.ClusterNode;
import xensim.cluster.Coordinator;
import xensim.cluster.DesignJar;
import xensim.cluster.ItemResult;
import xensim.cluster.ItemRunner;
import xensim.cluster.WorkItem;
import xensim.cluster.Worker;
import xensim.scenario.Scenario;

/**
 * {@code explore --cluster} and {@code run --hosts H --cluster}: this process forms the cluster and
 * coordinates it (with a worker of its own on --jobs slots unless --no-local); each first result
 * goes to {@code onResult} as it arrives. Ends normally when every item is done; a coordinator with
 * no workers is bad input (exit 2); a coordinator whose node went down is
 * {@link ClusterLostException} (exit 3).
 */
final class ClusterExplore {
    private ClusterExplore() {}

    /** The design jars' size limit: a Welcome carries them in one message (xensim-cluster.conf's maximum-frame-size is 4 MiB). */
    static final long MAX_JAR_BYTES = 3L << 20;

    /**
     * {@code command} names the coordinator in its messages ("explore", "run --hosts"); with
     * {@code resumable} they point at {@code OUT/results.jsonl} and {@code --resume OUT}.
     */
    record Options(String command, String cluster, int minWorkers, boolean noLocal, Duration workerTimeout, int localJobs, Path outDir,
                   boolean resumable) {}

    static String[] hostPort(String s) {
        return ClusterNode.hostPort(s, false);
    }

    /** "60s", "5m" → a duration of 1 s .. 1 day; bad input otherwise. */
    static Duration timeout(String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(s|m|h)?").matcher(s.trim());
        if (!m.matches()) throw new BadInputException("--worker-timeout '" + s + "': expected a duration such as 60s or 5m");
        long v = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "s" -> Duration.ofSeconds(v);
            case "m" -> Duration.ofMinutes(v);
            default -> Duration.ofHours(v);
        };
        if (d.toSeconds() < 1 || d.toHours() > 24) throw new BadInputException("--worker-timeout must be between 1s and 24h");
        return d;
    }

    /** The scenario's design jars, to send each worker once. */
    static List<DesignJar> jars(Scenario sc) {
        List<DesignJar> out = new ArrayList<>();
        for (Path j : sc.designs().jars()) {
            byte[] b;
            try {
                b = Files.readAllBytes(j);
            } catch (java.io.IOException e) {
                throw new BadInputException("--design-jar " + j + ": cannot read it (" + e.getMessage() + ")");
            }
            if (b.length > MAX_JAR_BYTES) throw new BadInputException("--design-jar " + j + ": " + b.length / 1024 + " KiB; the cluster carries design jars of at most 3 MiB");
            out.add(new DesignJar(j.getFileName().toString(), DesignJar.sha256(b), b));
        }
        return out;
    }

    /**
     * A node's runner: explore's per-item code, or a host of {@code run --hosts} run as
     * {@code xensim run} runs it (no log written: the node is not where the user reads it); the
     * scenario made from the item's text once per node.
     */
    static ItemRunner runner(Path disks) {
        ExploreItems.Scenarios made = new ExploreItems.Scenarios();
        return (item, jars) -> {
            try {
                Scenario sc = made.of(item.scenario(), jars);
                return item.kind() == WorkItem.Kind.HOST ? RunHosts.runHost(item, sc, null, disks, null) : ExploreItems.run(item, sc, disks);
            } catch (BadInputException e) {
                throw new ItemRunner.BadItem(e.getMessage());
            }
        };
    }

    static void run(Options o, Map<Long, WorkItem> items, List<DesignJar> jars, Consumer<ItemResult> onResult, PrintWriter err) throws Exception {
        run(o, items, jars, onResult, err, () -> {});
    }

    /** As above; {@code onUp} runs once the coordinator's node is up (workers started then join at the first try). */
    static void run(Options o, Map<Long, WorkItem> items, List<DesignJar> jars, Consumer<ItemResult> onResult, PrintWriter err, Runnable onUp)
            throws Exception {
        String[] hp = hostPort(o.cluster());
        String host = hp[0];
        int port = Integer.parseInt(hp[1]);
        Consumer<String> log = line -> {
            synchronized (err) {
                err.println(line);
                err.flush();
            }
        };
        CompletableFuture<Coordinator.Status> status = new CompletableFuture<>();
        String version = xensim.runtime.Version.get();
        Path tmp = Files.createTempDirectory("xensim-coordinator");
        Coordinator.Settings cs = new Coordinator.Settings(version, items, jars, o.minWorkers(), o.workerTimeout(), onResult, log, status);
        Behavior<Void> guardian = Behaviors.setup(ctx -> {
            ActorRef<xensim.cluster.Protocol.ToCoordinator> c = ctx.spawn(Coordinator.create(cs), "coordinator");
            ctx.watch(c);
            if (!o.noLocal()) {
                ctx.spawn(Worker.create(new Worker.Settings(version, o.localJobs(), Worker.LOCAL, runner(tmp), tmp, (code, msg) -> {})), "local-worker");
            }
            return Behaviors.receive(Void.class).onSignal(Terminated.class, sig -> Behaviors.stopped()).build();
        });
        // a port in use or an address not of this machine: said in one line (Akka would log its own stack trace first)
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(new java.net.InetSocketAddress(host, port));
        } catch (java.io.IOException | RuntimeException e) {
            ExploreCommand.deleteTree(tmp);
            throw new BadInputException("--cluster " + o.cluster() + ": cannot listen there (" + e.getMessage() + ")");
        }
        ActorSystem<Void> sys;
        try {
            sys = ClusterNode.start(guardian, ClusterNode.config(host, port, host, port, "coordinator"));
        } catch (RuntimeException e) {
            ExploreCommand.deleteTree(tmp);
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            throw new BadInputException("--cluster " + o.cluster() + ": cannot form the cluster there (" + root.getMessage() + ")");
        }
        log.accept("cluster: coordinator at akka://" + ClusterNode.SYSTEM + "@" + host + ":" + port + " with " + items.size() + " runs to hand out"
                + (o.noLocal() ? "" : ", " + o.localJobs() + " of them at a time here") + "; workers join with: ./xensim worker --join " + o.cluster());
        sys.getWhenTerminated().whenComplete((d, e) -> status.complete(null)); // went down before the coordinator ended the run
        Coordinator.Status st;
        try {
            onUp.run();
            st = status.get();
        } finally {
            sys.terminate();
            try {
                sys.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                log.accept("cluster: the coordinator's node did not stop within 30 s");
            }
            ExploreCommand.deleteTree(tmp);
        }
        if (st == null) {
            throw new ClusterLostException(o.command() + " --cluster " + o.cluster() + ": the coordinator's cluster node went down before the run was done"
                    + (o.resumable() ? "; the runs done so far are in " + o.outDir().resolve(ResultsLog.FILE) + ": continue with --resume " + o.outDir()
                    : "; nothing was written: run it again"));
        }
        switch (st.kind()) {
            case COMPLETED -> { }
            case NO_WORKERS -> throw new BadInputException(o.command() + " --cluster " + o.cluster() + ": " + st.message()
                    + " (start workers with ./xensim worker --join " + o.cluster()
                    + (o.resumable() ? "; the runs done so far are in " + o.outDir().resolve(ResultsLog.FILE) : "") + ")");
            case BAD_INPUT -> throw new BadInputException(st.message());
            case FAILED -> {
                // FW_SPIN of edk2's drivers on a worker: the same modelling error (exit 3) as a local run's
                String marker = ModellingErrorException.class.getName() + ": ";
                int at = st.message() == null ? -1 : st.message().indexOf(marker);
                if (at >= 0) throw new ModellingErrorException(st.message().substring(at + marker.length()) + " (" + st.message().substring(0, at).strip().replaceFirst(":$", "") + ", on a worker)");
                throw new IllegalStateException("a run failed on a worker: " + st.message());
            }
        }
    }
}
