package xensim.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import xensim.bench.BenchTable;

/**
 * {@code xensim bench cluster}: explore's throughput locally and through the cluster on this
 * machine (a coordinator with --no-local plus 1 and 2 worker processes, the same total cores), as
 * ratios to local; then the coordinator's own ceiling, with workers that answer each item at once
 * (hidden {@code worker --noop}); and from the two, where a cluster of real nodes saturates.
 * Each measurement is its own JVM processes, as users start them; the cluster's time counts from
 * the first item handed out (forming the cluster is shown apart).
 */
@Command(name = "cluster", description = "explore locally vs through the cluster (coordinator + 1 and 2 worker processes, same cores); the coordinator's items/s ceiling.")
final class ClusterBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seeds", defaultValue = "10", description = "seeds of each measured explore, every built-in design (default ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--jobs", description = "cores to use in total (default: the number of cores)")
    Integer jobs;

    @Option(names = "--repeat", defaultValue = "2", description = "rounds of the three explores, interleaved; each one's best is shown (default ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--noop-items", defaultValue = "12000", description = "items of the coordinator-ceiling measurement (default ${DEFAULT-VALUE})")
    int noopItems;

    private static final Pattern LOCAL = Pattern.compile("(\\d+) runs in ([\\d.]+) s");
    private static final Pattern CLUSTER = Pattern.compile("cluster: (\\d+) runs done in ([\\d.]+) s from the first hand-out, ([\\d.]+) s after the coordinator started");

    record Measured(int runs, double seconds, double formSeconds) {
        double perMinute() {
            return runs / seconds * 60;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (seeds < 1 || seeds > 100_000) throw new BadInputException("--seeds must be 1..100000");
        if (noopItems < 100 || noopItems > 1_000_000) throw new BadInputException("--noop-items must be 100..1000000");
        if (repeat < 1 || repeat > 10) throw new BadInputException("--repeat must be 1..10");
        int cores = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        if (cores < 1 || cores > 256) throw new BadInputException("--jobs must be 1..256");
        PrintWriter out = spec.commandLine().getOut();
        int designs = xensim.firmware.DesignCatalog.builtIn().names().size();
        Path tmp = Files.createTempDirectory("xensim-bench-cluster");
        try {
            List<String> explore = List.of("explore", "--strategy", "all", "--seeds", String.valueOf(seeds), "--no-progress");
            out.printf("explore --strategy all --seeds %d (%d runs) on %d cores: locally, then coordinator (--no-local) + workers; best of %d interleaved rounds%n",
                    seeds, seeds * designs, cores, repeat);
            out.flush();
            Measured local = null, one = null, two = null;
            for (int r = 0; r < repeat; r++) { // interleaved, so a burst of load elsewhere hits one round, not one kind
                local = best(local, local(tmp.resolve("local" + r), explore, cores));
                one = best(one, cluster(tmp.resolve("one" + r), explore, List.of(cores), false));
                if (cores >= 2) two = best(two, cluster(tmp.resolve("two" + r), explore, List.of(cores - cores / 2, cores / 2), false));
            }
            BenchTable t = new BenchTable("how", "processes", "runs", "seconds", "runs/min", "seeds/min", "vs local", "forming (s)");
            row(t, "local, --jobs " + cores, 1, local, local, designs);
            row(t, "coordinator + 1 worker (--jobs " + cores + ")", 2, one, local, designs);
            if (two != null) row(t, "coordinator + 2 workers (--jobs " + (cores - cores / 2) + ", " + cores / 2 + ")", 3, two, local, designs);
            t.print(out);
            double ratio = one.perMinute() / local.perMinute();
            out.printf(Locale.ROOT, "cluster overhead with one worker on the same cores: ratio %.2f (target >= 0.90 -> %s)%n", ratio,
                    ratio >= 0.9 ? "met" : "NOT met");
            out.flush();
            int noopSeeds = Math.max(1, noopItems / designs);
            Measured ceiling = cluster(tmp.resolve("noop"), List.of("explore", "--strategy", "all", "--seeds", String.valueOf(noopSeeds), "--no-progress"),
                    List.of(64, 64), true);
            double perItem = cores * local.seconds() / local.runs(); // core-seconds per run
            double itemsPerSecond = ceiling.runs() / ceiling.seconds();
            out.printf(Locale.ROOT, "coordinator ceiling: %d no-op items through 2 workers in %.2f s: %.0f items/s (%.2f ms of coordinator per item)%n",
                    ceiling.runs(), ceiling.seconds(), itemsPerSecond, 1000 / itemsPerSecond);
            out.printf(Locale.ROOT, "model: a run costs %.0f core-ms here, so the coordinator keeps up with about %.0f cores (%.0f nodes of 8 cores) before it is the bottleneck%n",
                    perItem * 1000, itemsPerSecond * perItem, itemsPerSecond * perItem / 8);
            out.flush();
        } finally {
            ExploreCommand.deleteTree(tmp);
        }
        return Main.EXIT_CLEAN;
    }

    private static Measured best(Measured a, Measured b) {
        return a == null || b.perMinute() > a.perMinute() ? b : a;
    }

    private static void row(BenchTable t, String how, int procs, Measured m, Measured local, int designs) {
        t.row(how, String.valueOf(procs), String.valueOf(m.runs()), String.format(Locale.ROOT, "%.2f", m.seconds()), BenchTable.num(m.perMinute()),
                BenchTable.num(m.perMinute() / designs), String.format(Locale.ROOT, "%.2f", m.perMinute() / local.perMinute()),
                m.formSeconds() < 0 ? "—" : String.format(Locale.ROOT, "%.1f", m.formSeconds()));
    }

    private Measured local(Path dir, List<String> explore, int cores) throws Exception {
        List<String> a = new ArrayList<>(explore);
        a.addAll(List.of("--jobs", String.valueOf(cores), "--out", dir.resolve("out").toString()));
        Process p = start(dir, "explore", a);
        await(p, dir, "explore");
        Matcher m = LOCAL.matcher(Files.readString(dir.resolve("explore.out")));
        if (!m.find()) throw new IllegalStateException("bench: no timing line from the local explore");
        return new Measured(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)), -1);
    }

    private Measured cluster(Path dir, List<String> explore, List<Integer> workerJobs, boolean noop) throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        String at = "127.0.0.1:" + port;
        List<String> a = new ArrayList<>(explore);
        a.addAll(List.of("--cluster", at, "--no-local", "--min-workers", String.valueOf(workerJobs.size()), "--worker-timeout", "120s",
                "--out", dir.resolve("out").toString()));
        List<Process> ps = new ArrayList<>();
        try {
            Process c = start(dir, "coordinator", a);
            ps.add(c);
            for (int i = 0; i < workerJobs.size(); i++) {
                List<String> w = new ArrayList<>(List.of("worker", "--join", at, "--jobs", String.valueOf(workerJobs.get(i))));
                if (noop) w.add("--noop");
                ps.add(start(dir, "worker" + i, w));
            }
            await(c, dir, "coordinator");
            Matcher m = CLUSTER.matcher(Files.readString(dir.resolve("coordinator.err")));
            if (!m.find()) throw new IllegalStateException("bench: no timing line from the coordinator: " + Files.readString(dir.resolve("coordinator.err")));
            double s = Double.parseDouble(m.group(2));
            return new Measured(Integer.parseInt(m.group(1)), s, Double.parseDouble(m.group(3)) - s);
        } finally {
            for (Process p : ps) p.destroyForcibly();
            for (Process p : ps) p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static void await(Process p, Path dir, String name) throws Exception {
        if (!p.waitFor(3600, TimeUnit.SECONDS)) throw new IllegalStateException("bench: " + name + " did not finish within an hour");
        if (p.exitValue() > 1) {
            throw new IllegalStateException("bench: " + name + " exited " + p.exitValue() + ": " + Files.readString(dir.resolve(name + ".err"), StandardCharsets.UTF_8));
        }
    }

    /** This xensim (the same jar or class path) in a JVM of its own. */
    private static Process start(Path dir, String name, List<String> args) throws Exception {
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx1g", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    }
}
