package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * explore over edk2's own drivers ({@code --firmware ovmf-c}), which run one guest per process: with
 * {@code --jobs 2} the explore starts two {@code xensim worker} processes that join its cluster on
 * 127.0.0.1. The shaded jar as users run it ({@code java -jar}, the integration-test phase names it);
 * the matrix equals the one-process explore's cell for cell and replay for replay, the --ovmf-patch
 * reaches the workers (its STALE_MAPPING is in both), and the workers ran the runs between them, each once.
 */
class OvmfExploreProcessesIT {
    @TempDir
    Path tmp;

    @Test
    void workerProcessesGiveTheOneProcessMatrix() throws Exception {
        String j = System.getProperty("xensim.jar");
        Assumptions.assumeTrue(j != null, "run by the integration-test phase (mvn verify), which names the shaded jar");
        RealOvmfTest.requireDrivers();
        Path jar = Path.of(j).toAbsolutePath();
        String patch = Path.of("..", "examples", "ovmf-patches", "skip-shutdown-handshake.patch").toAbsolutePath().toString();
        String matrix = null;
        for (String jobs : List.of("1", "2")) {
            Path out = tmp.resolve("jobs" + jobs);
            try (CliProcess p = CliProcess.jar(jar, tmp, "jobs" + jobs, "explore", "--firmware", "ovmf-c", "--ovmf-patch", patch, "--seeds", "3",
                    "--jobs", jobs, "--no-progress", "--out", out.toString())) {
                int code = p.awaitExit(300);
                assertEquals(Main.EXIT_VIOLATION, code, p.stdout() + p.stderr());
                assertTrue(p.stdout().contains("3 runs in ") && p.stdout().contains("3 with a violation"), p.stdout());
                assertTrue(p.stdout().contains("| disconnect | 3 |"), "strategy all is edk2's one design, 3 seeds: " + p.stdout());
                String m = Files.readString(out.resolve("matrix.json"));
                if (matrix == null) {
                    matrix = m;
                    assertTrue(m.contains("STALE_MAPPING") && m.contains("--firmware ovmf-c") && m.contains("--ovmf-patch"), m);
                    continue;
                }
                assertTrue(p.stderr().contains("2 worker processes on 127.0.0.1:"), p.stderr());
                assertEquals(matrix, m, "cell for cell, replay for replay");
                int ran = 0;
                for (int w = 1; w <= 2; w++) {
                    String log = Files.readString(out.resolve("workers/worker-" + w + ".log"));
                    Matcher r = Pattern.compile("(\\d+) runs done here").matcher(log);
                    assertTrue(r.find(), "worker " + w + " ended after the coordinator: " + log);
                    ran += Integer.parseInt(r.group(1));
                }
                assertEquals(3, ran, "the two workers ran the 3 runs between them, each once");
            }
        }
    }
}
