package xensim.cli;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.dom0.xenstored.XenstoredCore;
import xensim.dom0.xenstored.XenstoredSocketServer;
import xensim.platform.EventLog;
import xensim.platform.JsonLinesFileSink;
import xensim.platform.Mode;
import xensim.platform.SimSystem;

/**
 * {@code xensim xenstored --socket PATH}: a standalone simulated xenstored for real dom0 tools
 * ({@code XENSTORED_PATH=PATH xenstore-ls}). Runs on real threads and real time; stays up until
 * SIGTERM or Ctrl-C, then removes its socket and exits 0. PATH must be free or a stale socket:
 * a file, a directory or a socket a live server answers on is bad input (exit 2).
 */
@Command(name = "xenstored", description = "Serve a simulated xenstored on a unix socket for real xenstore tools.")
public final class XenstoredCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--socket", required = true, description = "unix socket path to listen on (what XENSTORED_PATH names)")
    Path socket;

    @Option(names = "--out", description = "write the JSON event log to DIR/events.jsonl")
    Path out;

    @Option(names = "--flavour", defaultValue = "c", description = "c-4.17, c-4.21, c-4.22 (C xenstored of those Xen versions), ocaml (oxenstored), or c (= c-4.22); default ${DEFAULT-VALUE}")
    String flavour;

    /** Set by tests to stop the server; null when run from the command line. */
    CountDownLatch stop;

    @Override
    public Integer call() throws Exception {
        XenstoredCore.Flavour fl;
        try {
            fl = XenstoredCore.Flavour.parse(flavour);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        UserPaths.socketPath(socket, "--socket");
        if (out != null) UserPaths.outputDir(out, "--out");
        XenstoredSocketServer server;
        try {
            server = XenstoredSocketServer.bind(socket);
        } catch (XenstoredSocketServer.PathInUseException e) {
            throw new BadInputException("--socket " + e.getMessage());
        } catch (java.io.IOException e) {
            throw new BadInputException("--socket " + socket + ": cannot listen there (" + UserPaths.reason(socket, e) + ")");
        }
        CountDownLatch stopping = stop != null ? stop : new CountDownLatch(1);
        SignalStop signals = stop != null ? null : SignalStop.install(stopping);
        EventLog log = new EventLog();
        CompletableFuture<ActorRef<XenstoredActor.Command>> ref = new CompletableFuture<>();
        SimSystem<Void> sim = null;
        try {
            if (out != null) log.addSink(new JsonLinesFileSink(out.resolve("events.jsonl")));
            sim = SimSystem.start("xenstored", Mode.THREADED, 0, log, 1.0, seam -> Behaviors.setup(ctx -> {
                XenstoredCore core = new XenstoredCore(fl, seam.events());
                core.initDom0("Domain-0");
                ref.complete(ctx.spawn(XenstoredActor.create(seam, core, null), "xenstored"));
                return Behaviors.empty();
            }));
            server.serve(ref.get(30, TimeUnit.SECONDS));
            spec.commandLine().getOut().println("listening on " + server.path());
            spec.commandLine().getOut().flush();
            stopping.await();
        } finally {
            server.close(); // the socket file goes first: no tool connects to a xenstored going away
            if (sim != null) sim.close();
            log.close();
            if (signals != null) {
                signals.finished(Main.EXIT_CLEAN);
                signals.close();
            }
        }
        return Main.EXIT_CLEAN;
    }
}
