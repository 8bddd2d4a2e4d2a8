package xensim.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import xensim.dom0.xenstored.XenstoredSocketServer;
import xensim.firmware.ebs.Strategies;
import xensim.platform.Mode;
import xensim.runtime.Host;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;

/**
 * {@code xensim run}: one host and its guests through firmware, ExitBootServices and the OS; a
 * per-guest summary, the verdict line, {@code OUT/events.jsonl}; exit 0 clean, 1 violation.
 */
@Command(name = "run", description = "Run a simulation: guests boot through UEFI, exit boot services, hand over to an OS.")
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--strategy", description = "EBS design: disconnect, naive-reset, exit-callback, refcount, bus-tracks (default refcount)")
    String strategy;

    @Option(names = "--seed", description = "seed of every random choice (default 1)")
    Long seed;

    @Option(names = "--mode", description = "deterministic (default) or threaded")
    String mode;

    @Option(names = "--guests", description = "number of guests (default 1)")
    Integer guests;

    @Option(names = "--out", description = "output folder (default runs/<date>-<seed>/)")
    Path out;

    @Option(names = "--xenstore-socket", description = "serve this host's xenstored to real tools on this unix socket during the run")
    Path xenstoreSocket;

    @Option(names = "--hold", description = "keep the host up after the guests finish, until Ctrl-C")
    boolean hold;

    @Option(names = "--xenstored", description = "xenstored flavour: c (default) or ocaml")
    String flavour;

    @Override
    public Integer call() throws Exception {
        String strat = strategy == null ? "refcount" : strategy;
        if (!Strategies.NAMES.contains(strat)) {
            throw new BadInputException("unknown strategy '" + strat + "' (expected one of " + String.join(", ", Strategies.NAMES) + ")");
        }
        long s = seed == null ? 1 : seed;
        Mode m;
        try {
            m = mode == null ? Mode.DETERMINISTIC : Mode.parse(mode);
        } catch (IllegalArgumentException e) {
            m = null;
        }
        if (m == null) throw new BadInputException("unknown mode '" + mode + "' (expected deterministic or threaded)");
        int n = guests == null ? 1 : guests;
        if (n < 1 || n > 100_000) throw new BadInputException("--guests must be between 1 and 100000");
        String fl = flavour == null ? "c" : flavour;
        if (!fl.equals("c") && !fl.equals("ocaml")) throw new BadInputException("unknown xenstored flavour '" + fl + "' (expected c or ocaml)");
        Path dir = out != null ? out : Path.of("runs", LocalDate.now() + "-" + s);
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new BadInputException(dir + " exists and is not a directory");
        Files.createDirectories(dir.resolve("disks"));

        HostConfig base = HostConfig.defaults(dir.resolve("disks"));
        HostConfig cfg = new HostConfig(n, base.staggerNanos(), base.ramPages(), base.disksPerGuest(), base.diskSectors(),
                base.latencyMeanNanos(), base.tailProbability(), base.tailFactor(), base.backendQueueDepth(), fl,
                new xensim.firmware.FirmwareConfig(strat, base.firmware().queueDepth(), base.firmware().readAheadAtEbs(),
                        base.firmware().bootRecordWrite(), null), base.os(), base.diskDir(), List.of());
        RunResult r = runAndReport(spec.commandLine().getOut(), new RunSpec(s, m, strat, "default", dir, 1.0, 600_000), cfg,
                xenstoreSocket, hold);
        return r.clean() ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION;
    }

    static RunResult runAndReport(PrintWriter out, RunSpec rs, HostConfig cfg, Path socket, boolean hold) throws Exception {
        List<XenstoredSocketServer> servers = new ArrayList<>();
        CountDownLatch forever = new CountDownLatch(1);
        RunResult r = Simulation.run(rs, (seam, done) -> {
            CompletableFuture<Object> hostDone = new CompletableFuture<>();
            if (hold) hostDone.thenAccept(rep -> {
                out.println("guests finished; holding the host up (Ctrl-C to stop)");
                out.flush();
            });
            else hostDone.whenComplete((v, t) -> {
                if (t != null) done.completeExceptionally(t); else done.complete(v);
            });
            return Host.create(seam, cfg, hostDone, (parts, ctx) -> {
                if (socket != null) {
                    try {
                        servers.add(new XenstoredSocketServer(socket, parts.xenstored()));
                        out.println("xenstored listening on " + socket);
                        out.flush();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException("cannot listen on " + socket, e);
                    }
                }
            });
        });
        for (XenstoredSocketServer sv : servers) sv.close();
        if (hold) forever.await();
        printSummary(out, rs, r);
        writeTimeline(out, r);
        return r;
    }

    /** OUT/trace.json (Perfetto) and OUT/report.html, from the log just written, as {@code timeline} makes them. */
    static void writeTimeline(PrintWriter out, RunResult r) {
        if (r.eventsFile() == null) return;
        Path dir = r.eventsFile().getParent();
        try {
            xensim.timeline.TimelineAnalysis.analyse(r.eventsFile(), new xensim.timeline.TimelineAnalysis.Options(
                    xensim.timeline.Filter.ALL, true, true, dir.resolve("trace.json"), dir.resolve("report.html")));
            out.println("report: " + dir.resolve("report.html") + "  trace: " + dir.resolve("trace.json") + " (ui.perfetto.dev)");
        } catch (java.io.IOException | RuntimeException e) {
            out.println("report: not written (" + e.getMessage() + ")");
        }
        out.flush();
    }

    static void printSummary(PrintWriter out, RunSpec rs, RunResult r) {
        out.printf("xensim run: seed %d, mode %s, strategy %s, %d events, %.3f ms virtual, ended %s%n", rs.seed(),
                rs.mode().cliName(), rs.strategy(), r.events(), r.virtualNanos() / 1e6, r.ending());
        if (r.hostReport() instanceof Host.Report rep) {
            out.println("guest   dom  boot+EBS(ms)  OS(ms)  devices  requests  reconnects  verify-fail  xenstore    deferred  leaked");
            for (Host.GuestSummary g : rep.guests()) {
                int reconnects = g.connected() + ("reconnect".equals(g.xenstore()) ? 1 : 0);
                out.printf("%-7s %4d  %12.3f  %6.3f  %3d/%-3d  %8d  %10d  %11d  %-10s  %8d  %6d%n", g.name(), g.domid(),
                        (g.handoffAt() - g.createdAt()) / 1e6, (g.doneAt() - g.handoffAt()) / 1e6, g.connected(), g.devices(),
                        g.ios(), reconnects, g.verifyFailures(), g.xenstore(), g.deferredGrants(), g.leakedGrants());
            }
        }
        if (r.eventsFile() != null) out.println("events: " + r.eventsFile());
        out.println(r.verdictLine());
        if (!r.clean()) {
            out.println("replay: ./xensim run --strategy " + rs.strategy() + " --seed " + rs.seed() + " --mode " + rs.mode().cliName());
        }
        out.flush();
    }
}
