package xensim.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import xensim.bench.BenchTable;

/**
 * {@code bench … --json F}: the bench's rows as JSON beside the printed table
 * ({@link BenchTable#writeJson}), with the machine's cores and load, the xensim version and commit
 * and the date, so {@code bench/compare.py A.json B.json} can set two runs side by side.
 */
public final class BenchJsonOption {
    @Option(names = "--json", paramLabel = "F", description = "also write the results as JSON to F (compare two with bench/compare.py A.json B.json)")
    Path json;

    /** Refuses a bad --json path before anything is measured (exit 2). */
    void check() {
        if (json != null) UserPaths.outputFile(json, "--json");
    }

    /** Writes the tables to --json F, if given. */
    void write(CommandSpec spec, BenchTable... tables) {
        if (json == null) return;
        BenchTable.Meta meta = meta(spec);
        try (OutputStream out = Files.newOutputStream(json)) {
            BenchTable.writeJson(out, meta, List.of(tables));
        } catch (IOException e) {
            throw new BadInputException("--json " + json + ": cannot write it (" + UserPaths.reason(json, e) + ")", e);
        }
        spec.commandLine().getOut().println("json: wrote " + json);
        spec.commandLine().getOut().flush();
    }

    static BenchTable.Meta meta(CommandSpec spec) {
        List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        String command = "xensim " + String.join(" ", args);
        Runtime rt = Runtime.getRuntime();
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return new BenchTable.Meta(spec.name(), command, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                xensim.runtime.Version.get(), commit(), rt.availableProcessors(), System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), rt.maxMemory(), load);
    }

    /**
     * The git commit of the checkout the jar was built in (the jar lives in its src/target/), with
     * "-dirty" when tracked files differ from it; "unknown" without git or outside a checkout.
     */
    static String commit() {
        try {
            Path jar = Path.of(BenchJsonOption.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = Files.isDirectory(jar) ? jar : jar.getParent();
            String head = git(dir, "rev-parse", "--short=12", "HEAD");
            if (head == null || head.isEmpty()) return "unknown";
            String status = git(dir, "status", "--porcelain", "--untracked-files=no");
            return head + (status != null && !status.isEmpty() ? "-dirty" : "");
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static String git(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return null;
        }
        return p.exitValue() == 0 ? out : null;
    }
}
