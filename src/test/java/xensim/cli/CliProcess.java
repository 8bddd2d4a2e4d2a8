package xensim.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The CLI in a JVM of its own (this test JVM's classpath), for what only a real process shows:
 * signals, shutdown hooks, the exit status. Its stdout and stderr go to files in the work folder.
 */
public final class CliProcess implements AutoCloseable {
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private CliProcess(Process p, Path stdout, Path stderr) {
        this.process = p;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    static CliProcess start(Path workDir, String... args) throws IOException {
        return start(workDir, List.of(), args);
    }

    /** As above, with these JVM options too (system properties, say). */
    static CliProcess start(Path workDir, List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xmx512m");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return start(cmd, workDir, "stdout.txt", "stderr.txt");
    }

    /** The CLI from a shaded jar ({@code java -jar}), its output in {@code NAME.out} and {@code NAME.err} of the work folder. */
    public static CliProcess jar(Path jar, Path workDir, String name, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx384m", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Files.createDirectories(workDir);
        return start(cmd, workDir, name + ".out", name + ".err");
    }

    private static CliProcess start(List<String> cmd, Path workDir, String outName, String errName) throws IOException {
        Path out = workDir.resolve(outName);
        Path err = workDir.resolve(errName);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return new CliProcess(pb.start(), out, err);
    }

    /** Waits (a wall-time guard) for a stdout line containing {@code text}; the line, or null. */
    public String awaitLine(String text, long seconds) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            for (String l : stdout().split("\n", -1)) if (l.contains(text)) return l;
            if (!process.isAlive()) return null;
            Thread.sleep(50);
        }
        return null;
    }

    /** SIGTERM, as {@code kill PID} or a service manager sends it. */
    void terminate() {
        process.destroy();
    }

    /** The exit status, or -1 if the process is still running after {@code seconds}. */
    public int awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) return -1;
        return process.exitValue();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** stdout and stderr, for a failing assertion's message. */
    public String all() throws IOException {
        return "stdout:\n" + stdout() + "\nstderr:\n" + stderr();
    }

    public String stdout() throws IOException {
        return Files.exists(stdout) ? Files.readString(stdout, StandardCharsets.UTF_8) : "";
    }

    public String stderr() throws IOException {
        return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "";
    }

    /** kill -9; waits (bounded) until it is gone. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
