package xensim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.cli.CliProcess;

/**
 * The cluster as users run it: the shaded jar as separate {@code java -jar} processes on
 * 127.0.0.1 (a coordinator, workers started from a folder without the scenario file), run by the
 * integration-test phase once {@code package} built the jar (system property {@code xensim.jar}).
 * Every process is killed after each test; every wait is bounded.
 */
class ClusterProcessesIT {
    /**
     * One explore: 3 designs (one of them from a design jar, which the workers are sent) × 2 backend
     * profiles × 2 schedules (FIFO and random, whose schedule seeds the replay lines carry), seed 1,
     * from a scenario file (12 runs).
     */
    private static final List<String> EXPLORE = List.of("explore", "--scenario", "", "--design-jar", "", "--strategy",
            "refcount-tpl-notify,naive-reset,disconnect", "--profile", "linux,drain", "--schedule", "fifo,random", "--seeds", "1", "--no-progress");
    private static Path designJar;
    private static Path jar;
    private static Path scenario;
    private static String localMatrix;
    private static final List<CliProcess> started = new ArrayList<>();

    @BeforeAll
    static void theJar(@TempDir Path tmp) throws Exception {
        String j = System.getProperty("xensim.jar");
        Assumptions.assumeTrue(j != null, "run by the integration-test phase (mvn verify), which names the shaded jar");
        jar = Path.of(j).toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "the shaded jar " + jar + " (built in package)");
        scenario = Path.of("..", "scenarios", "backend-stall-at-ebs.conf").toAbsolutePath();
        Path src = Path.of("..", "examples", "my-design", "src", "main", "java", "org", "example", "mydesign", "RefcountTplNotify.java");
        designJar = xensim.testing.DesignJars.build(tmp, "my-design", java.util.Map.of("org.example.mydesign.RefcountTplNotify", Files.readString(src)),
                List.of("org.example.mydesign.RefcountTplNotify")).toAbsolutePath();
        CliProcess local = start(tmp, "local", explore(tmp.resolve("local"), "--jobs", "2"));
        assertEquals(1, local.awaitExit(300), local.all());
        localMatrix = Files.readString(tmp.resolve("local/matrix.json"));
        assertTrue(localMatrix.contains("\"replay\""), "the explore finds violations: " + localMatrix);
        assertTrue(localMatrix.contains("\"strategy\" : \"refcount-tpl-notify\""), "the jar's design is a row: " + localMatrix);
    }

    @AfterEach
    void killAll() throws InterruptedException {
        synchronized (started) {
            for (CliProcess p : started) p.close();
            started.clear();
        }
    }

    private static String[] explore(Path out, String... more) {
        List<String> a = new ArrayList<>(EXPLORE);
        a.set(2, scenario.toString());
        a.set(4, designJar.toString());
        a.add("--out");
        a.add(out.toString());
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void aCoordinatorAndTwoWorkersMakeTheLocalMatrix(@TempDir Path tmp) throws Exception {
        int port = freePort();
        String at = "127.0.0.1:" + port;
        CliProcess c = start(tmp, "coordinator", explore(tmp.resolve("c"), "--cluster", at, "--no-local", "--min-workers", "2", "--worker-timeout", "120s"));
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere")); // no scenario file there
        CliProcess w1 = start(elsewhere, "w1", "worker", "--join", at, "--jobs", "1");
        CliProcess w2 = start(elsewhere, "w2", "worker", "--join", at, "--jobs", "1");
        assertEquals(1, c.awaitExit(300), c.all());
        assertEquals(localMatrix, Files.readString(tmp.resolve("c/matrix.json")), "cell for cell, replay for replay");
        assertEquals(0, w1.awaitExit(60), w1.all());
        assertEquals(0, w2.awaitExit(60), w2.all());
        int r1 = runsDone(w1.stdout()), r2 = runsDone(w2.stdout());
        assertTrue(r1 > 0 && r2 > 0, "both workers ran some: " + r1 + ", " + r2);
        assertEquals(12, r1 + r2, "each run once");
        assertEquals(12, distinctResults(tmp.resolve("c/results.jsonl")));
        assertTrue(c.stderr().contains("2 of at least 2 workers joined"), c.stderr());
    }

    @Test
    void aWorkerKilledMidRunHasItsRunsRequeuedAndTheMatrixIsTheSame(@TempDir Path tmp) throws Exception {
        int port = freePort();
        String at = "127.0.0.1:" + port;
        CliProcess c = start(tmp, "coordinator", explore(tmp.resolve("c"), "--cluster", at, "--no-local", "--min-workers", "2", "--worker-timeout", "120s"));
        CliProcess w1 = start(tmp, "w1", "worker", "--join", at, "--jobs", "1");
        CliProcess w2 = start(tmp, "w2", "worker", "--join", at, "--jobs", "1");
        Path results = tmp.resolve("c/results.jsonl");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (lines(results) < 1 + 3 && System.nanoTime() < deadline && c.alive()) Thread.sleep(20);
        assertTrue(lines(results) >= 4 && lines(results) < 1 + 12, "killed mid-run: " + lines(results) + " lines\n" + c.all());
        w1.close(); // kill -9
        assertEquals(1, c.awaitExit(300), c.all());
        assertEquals(localMatrix, Files.readString(tmp.resolve("c/matrix.json")));
        Matcher m = Pattern.compile("worker \\S+ left \\(downed or stopped\\) with 1 unfinished item: re-queued \\d+").matcher(c.stderr());
        assertTrue(m.find(), "the log shows the killed worker's run re-queued: " + c.stderr());
        assertEquals(12, distinctResults(results));
        assertEquals(0, w2.awaitExit(60), w2.all());
    }

    @Test
    void aWorkerOfAnotherVersionIsRefusedAndACoordinatorWithoutWorkersGivesUpWithExit2AndOneLine(@TempDir Path tmp) throws Exception {
        String at = "127.0.0.1:" + freePort();
        // the worker first (it keeps trying to join), so the coordinator's wait does not race a JVM's start
        CliProcess w = start(tmp, "w", "worker", "--join", at, "--as-version", "0.0.0-other");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!w.stdout().contains("worker: akka://") && System.nanoTime() < deadline && w.alive()) Thread.sleep(50);
        CliProcess c = start(tmp, "coordinator", explore(tmp.resolve("c"), "--cluster", at, "--no-local", "--worker-timeout", "20s"));
        assertEquals(2, w.awaitExit(120), w.all());
        assertTrue(w.stderr().contains("worker: refusing the coordinator's work: the coordinator runs xensim ")
                && w.stderr().contains(", this worker xensim 0.0.0-other"), w.all());
        assertEquals(2, c.awaitExit(120), c.all());
        assertTrue(c.stderr().contains("refused the work: the coordinator runs xensim"), c.stderr());
        assertEquals(0, lines(tmp.resolve("c/results.jsonl")) - 1, "nothing ran");
        List<String> errs = c.stderr().strip().lines().filter(l -> l.startsWith("xensim:")).toList();
        assertEquals(1, errs.size(), c.stderr());
        assertTrue(errs.get(0).contains("0 of 1 worker joined within 20 s") && errs.get(0).contains("./xensim worker --join " + at), errs.get(0));
        assertTrue(!c.stderr().contains("Exception") && !c.stderr().contains("\tat "), "no stack trace: " + c.stderr());
    }

    @Test
    void whenTheCoordinatorDiesWorkersExitAndResumeFinishesTheMatrix(@TempDir Path tmp) throws Exception {
        String at = "127.0.0.1:" + freePort();
        CliProcess c = start(tmp, "coordinator", explore(tmp.resolve("c"), "--cluster", at, "--no-local", "--worker-timeout", "120s"));
        CliProcess w = start(tmp, "w", "worker", "--join", at, "--jobs", "1");
        Path results = tmp.resolve("c/results.jsonl");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (lines(results) < 1 + 3 && System.nanoTime() < deadline && c.alive()) Thread.sleep(20);
        assertTrue(lines(results) >= 4 && lines(results) < 1 + 12, lines(results) + " lines\n" + c.all());
        c.close(); // kill -9
        int code = w.awaitExit(120);
        assertEquals(3, code, "the worker exits when its coordinator is gone: " + w.all());
        // a new explore (here without a cluster) continues from the runs written
        CliProcess r = start(tmp, "resume", explore(tmp.resolve("c"), "--resume", tmp.resolve("c").toString(), "--jobs", "2"));
        assertEquals(1, r.awaitExit(300), r.all());
        assertTrue(r.stdout().contains("resume: ") && r.stdout().contains(" runs already in "), r.stdout());
        assertEquals(localMatrix, Files.readString(tmp.resolve("c/matrix.json")));
        assertEquals(12, distinctResults(results));
    }

    /**
     * {@code run --hosts 3} from a scenario file (the workers have none), under a random schedule (each host's schedule
     * seed derived from its own seed) with faults whose verdict depends on the seed: through a coordinator
     * ({@code --no-local}) and one worker, the same per-host verdict and replay lines and the same hosts.json as
     * the same command run here; every host's run.txt written by the coordinator, and with {@code --host-logs
     * violations} each violating host run again on the coordinator for its log: byte for byte the local one. The
     * local run starts first and overlaps the cluster's forming.
     */
    @Test
    void runHostsThroughACoordinatorAndOneWorkerGivesTheLocalRunsVerdicts(@TempDir Path tmp) throws Exception {
        String at = "127.0.0.1:" + freePort();
        Path restart = Path.of("..", "scenarios", "xenstored-restart.conf").toAbsolutePath();
        List<String> hosts = List.of("run", "--scenario", restart.toString(), "--strategy", "refcount", "--seed", "5", "--schedule", "random",
                "--fault", "backend-crash@requests=14", "--fault", "backend-lost-writes@requests=1", "--hosts", "3");
        CliProcess local = start(tmp, "local", plus(hosts, "--jobs", "1", "--out", tmp.resolve("local").toString()));
        CliProcess c = start(tmp, "coordinator", plus(hosts, "--out", tmp.resolve("c").toString(), "--cluster", at, "--no-local", "--worker-timeout", "120s",
                "--host-logs", "violations"));
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere")); // no scenario file there
        CliProcess w = start(elsewhere, "w", "worker", "--join", at, "--jobs", "2");
        assertEquals(1, local.awaitExit(300), local.all());
        assertEquals(1, c.awaitExit(300), "the worst host's exit, as here: " + c.all());
        assertEquals(0, w.awaitExit(60), w.all());
        assertEquals(3, runsDone(w.stdout()), w.all());
        List<String> localLines = hostLines(local.stdout()), clusterLines = hostLines(c.stdout());
        assertEquals(3 * 2 + 3, localLines.size(), local.stdout());
        assertTrue(localLines.stream().anyMatch(l -> l.contains("verdict: clean")) && localLines.stream().anyMatch(l -> l.contains("verdict: VIOLATION")),
                "both verdicts among the hosts: " + localLines);
        assertEquals(localLines, clusterLines, "host for host, replay for replay, and the sum");
        assertEquals(Files.readString(tmp.resolve("local/hosts.json")), Files.readString(tmp.resolve("c/hosts.json")));
        for (int k = 1; k <= 3; k++) {
            String here = Files.readString(tmp.resolve("local/host-" + k + "/run.txt")), there = Files.readString(tmp.resolve("c/host-" + k + "/run.txt"));
            assertEquals(withoutLogLines(here), withoutLogLines(there), "host " + k + "'s run.txt");
            boolean clean = localLines.get(2 * (k - 1)).contains("verdict: clean");
            Path log = tmp.resolve("c/host-" + k + "/events.jsonl");
            assertEquals(!clean, Files.exists(log), "host " + k + ": a log where it violated an invariant");
            if (!clean) assertTrue(java.util.Arrays.equals(Files.readAllBytes(tmp.resolve("local/host-" + k + "/events.jsonl")), Files.readAllBytes(log)),
                    "host " + k + "'s log, run again on the coordinator, is the local one");
        }
        assertTrue(c.stderr().contains("1 of at least 1 workers joined: handing out 3 items"), c.stderr());
    }

    private static String[] plus(List<String> args, String... more) {
        List<String> a = new ArrayList<>(args);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** run --hosts's per-host lines, replay lines and sum (not the header and footer, which say where it ran and how fast). */
    private static List<String> hostLines(String out) {
        return out.lines().filter(l -> l.startsWith("host ") || l.startsWith("  replay: ") || l.startsWith("hosts by ") || l.startsWith("verdict: ")).toList();
    }

    /** A run.txt without the lines naming its log (written here only) and the executor's step count (it varies by one between runs). */
    private static String withoutLogLines(String runTxt) {
        return runTxt.lines().filter(l -> !l.startsWith("events: ") && !l.startsWith("report: ")).map(l -> l.replaceAll("\\d+ steps", "N steps") + "\n")
                .reduce("", String::concat);
    }

    // ---

    private static int runsDone(String out) {
        Matcher m = Pattern.compile("; (\\d+) runs done here").matcher(out);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The results.jsonl lines after its header, each index once (asserted). */
    private static int distinctResults(Path p) throws IOException {
        List<String> ls = Files.readAllLines(p);
        Set<String> idx = new HashSet<>();
        Pattern ix = Pattern.compile("^\\{\"index\":(\\d+),");
        for (String l : ls.subList(1, ls.size())) {
            Matcher m = ix.matcher(l);
            assertTrue(m.find(), l);
            assertTrue(idx.add(m.group(1)), "run " + m.group(1) + " counted twice");
        }
        return idx.size();
    }

    private static long lines(Path p) {
        try {
            return Files.exists(p) ? Files.readAllLines(p).size() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static CliProcess start(Path dir, String name, String... args) throws IOException {
        CliProcess p = CliProcess.jar(jar, dir, name, args);
        synchronized (started) {
            started.add(p);
        }
        return p;
    }
}
