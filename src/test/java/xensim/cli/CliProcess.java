package xensim.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The CLI in a JVM of its own (this test JVM's classpath), for what only a real process shows:
 * signals, shutdown hooks, the exit status. Its stdout lines are collected as they come.
 */
final class CliProcess implements AutoCloseable {
    private final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder stdout = new StringBuilder();
    private final Thread pump;

    private CliProcess(Process p) {
        this.process = p;
        pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    synchronized (stdout) {
                        stdout.append(l).append('\n');
                    }
                    lines.add(l);
                }
            } catch (IOException e) {
                // the process went away
            }
        }, "cli-process-stdout");
        pump.setDaemon(true);
        pump.start();
    }

    static CliProcess start(Path workDir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.redirectError(workDir.resolve("stderr.txt").toFile());
        return new CliProcess(pb.start());
    }

    /** Waits (wall-time guard) for a stdout line containing {@code text}; the line, or null. */
    String awaitLine(String text, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String l = lines.poll(100, TimeUnit.MILLISECONDS);
            if (l != null && l.contains(text)) return l;
            if (l == null && !process.isAlive() && lines.isEmpty()) return null;
        }
        return null;
    }

    /** SIGTERM, as {@code kill PID} or a service manager sends it. */
    void terminate() {
        process.destroy();
    }

    /** The exit status, or -1 if the process is still running after {@code seconds}. */
    int awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) return -1;
        pump.join(10_000);
        return process.exitValue();
    }

    String stdout() {
        synchronized (stdout) {
            return stdout.toString();
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
