package xensim.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Worker processes on this machine for an explore whose runs cannot share a JVM: edk2's own
 * drivers ({@code --firmware ovmf-c}) map their guest's RAM at its guest-physical addresses in
 * the process, so one process runs one guest at a time. The explore becomes the coordinator of a
 * cluster on 127.0.0.1 (a free port) and {@code n} copies of this xensim join it as
 * {@code xensim worker --jobs 1}; their output goes to {@code workers/worker-<i>.log} in the
 * explore's folder. They start once the coordinator is up; {@link #close} ends them (they exit by themselves when the coordinator is done).
 */
final class LocalWorkers implements AutoCloseable {
    private final String address;
    private final int n;
    private final Path logDir;
    private final List<Process> processes = new ArrayList<>();

    private LocalWorkers(String address, int n, Path logDir) {
        this.address = address;
        this.n = n;
        this.logDir = logDir;
    }

    /** The coordinator's HOST:PORT the workers join. */
    String address() {
        return address;
    }

    /** A free port on 127.0.0.1 for {@code n} workers, their logs to go under {@code logDir}; {@link #start} starts them. */
    static LocalWorkers plan(int n, Path logDir) throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.createDirectories(logDir);
        return new LocalWorkers("127.0.0.1:" + port, n, logDir);
    }

    /** Starts the workers (once the coordinator listens: a worker's join then succeeds at its first try). */
    void start(PrintWriter err) throws IOException {
        List<Process> ps = processes;
        LocalWorkers w = this;
        try {
            for (int i = 1; i <= n; i++) {
                List<String> cmd = new ArrayList<>();
                cmd.add(ProcessHandle.current().info().command().orElse("java"));
                cmd.add("-Xmx512m"); // the guest's RAM is native memory, not heap
                cmd.add("-cp");
                cmd.add(System.getProperty("java.class.path"));
                for (String p : List.of("xensim.ovmf.spinMillis")) { // settings a run reads, as this process has them
                    String v = System.getProperty(p);
                    if (v != null) cmd.add("-D" + p + "=" + v);
                }
                cmd.add(Main.class.getName());
                cmd.addAll(List.of("worker", "--join", address, "--host", "127.0.0.1", "--jobs", "1"));
                Path log = logDir.resolve("worker-" + i + ".log");
                ps.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start());
            }
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
        err.println("explore: edk2's drivers run one guest per process: " + n + " worker processes on " + address + " (their logs: " + logDir + ")");
        err.flush();
    }

    @Override
    public void close() {
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
