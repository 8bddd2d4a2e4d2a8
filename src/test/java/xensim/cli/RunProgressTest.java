package xensim.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.runtime.RunResult;
import xensim.scenario.Scenario;

/** {@code run --guests N}'s progress bar: on a terminal with N > 1 only, counting finished guests and violations; never on stdout. */
class RunProgressTest {
    @TempDir
    Path tmp;

    @Test
    void shownOnlyForSeveralGuestsOnATerminalWithoutNoProgress() {
        assertTrue(RunProgress.shows(2, false, true));
        assertFalse(RunProgress.shows(1, false, true), "one guest: no bar");
        assertFalse(RunProgress.shows(4, true, true), "--no-progress");
        assertFalse(RunProgress.shows(4, false, false), "not a terminal");
        assertNull(RunProgress.start(4, false, false, System.err));
    }

    @Test
    void theBarCountsFinishedGuestsAndViolations() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Scenario sc = RunCommand.scenario(null, "naive-reset", 1L, null, 3, null, List.of());
        Path dir = RunCommand.outDir(tmp.resolve("r"), 1);
        StringWriter out = new StringWriter();
        RunResult r;
        RunProgress p;
        try (RunProgress progress = RunProgress.start(3, false, true, new PrintStream(err, true, StandardCharsets.UTF_8))) {
            p = progress;
            r = RunCommand.runAndReport(new PrintWriter(out, true), RunCommand.runSpec(sc, dir), sc.hostConfig(dir.resolve("disks")), null,
                    false, "replay", null, progress);
        }
        assertFalse(r.clean());
        assertEquals(3, p.finished(), "every guest was destroyed at the end");
        assertTrue(p.violations() >= 3, "naive-reset's violations were counted: " + p.violations());
        String bar = err.toString(StandardCharsets.UTF_8);
        assertTrue(bar.contains("guests") && bar.contains("3/3") && bar.contains("violations: " + p.violations()), bar);
        assertFalse(out.toString().contains("3/3"), "the bar is never on stdout: " + out);
    }

    @Test
    void quietWhenNotATerminalAndNoProgressIsAccepted() {
        Cli.Result r = Cli.exec("run", "--guests", "2", "--out", tmp.resolve("a").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals("", r.err());
        assertFalse(r.out().contains("2/2"), r.out());
        assertEquals(0, Cli.exec("run", "--guests", "2", "--no-progress", "--out", tmp.resolve("b").toString()).code());
    }
}
