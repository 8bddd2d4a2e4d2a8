package xensim.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.bench.TimelineBench;
import xensim.cli.Main;

/** The bench's generated log is plausible and clean, and the check's memory does not follow the log's size. */
class TimelineBenchTest {
    @TempDir
    Path dir;

    @Test
    void theGeneratedLogIsCleanCompleteAndHasEveryPhase() throws Exception {
        Path log = dir.resolve("gen.jsonl");
        long n = TimelineBench.generate(log, 20_000, 3);
        assertTrue(n >= 20_000, "at least the events asked for: " + n);
        TimelineAnalysis.Result r = TimelineAnalysis.analyse(log, new TimelineAnalysis.Options(Filter.ALL, true, false, null, null));
        assertEquals(n, r.run().events());
        assertEquals(0, r.warningCount());
        assertEquals("verdict: clean", r.checker().verdictLine(), r.checker().findings().toString());
        assertTrue(r.agrees());
        assertEquals(3, r.timeline().guests().size());
        for (Timeline.Guest g : r.timeline().guests()) {
            assertEquals(java.util.List.of("create", "firmware boot", "disk read", "EBS", "handoff", "OS reconnect", "I/O", "shutdown"),
                    g.phases().stream().map(Timeline.Phase::name).toList());
            assertTrue(g.phases().stream().allMatch(Timeline.Phase::complete), g.phases().toString());
        }
    }

    @Test
    void aLogLargerThanTheHeapIsCheckedInAFreshJvm() throws Exception {
        Path log = dir.resolve("big.jsonl");
        TimelineBench.generate(log, 300_000, 4);
        assertTrue(Files.size(log) > 32L << 20, "the log (" + Files.size(log) + " bytes) is larger than the child's heap");
        TimelineBench.Measurement m = TimelineBench.checkInChildJvm(log, "32m");
        assertTrue(m.events() >= 300_000);
        assertEquals("verdict: clean", m.verdict());
    }

    @Test
    void benchTimelineCommandPrintsEventsPerSecondAndPeakHeap() {
        var cl = Main.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        int code = cl.execute("bench", "timeline", "--events", "20000", "--guests", "2", "--child-heap", "none");
        assertEquals(Main.EXIT_CLEAN, code, out.toString());
        assertTrue(out.toString().matches("(?s).*timeline --check, in-process run 2 \\(events/s\\)\\s+[0-9,]+\n.*"), out.toString());
        assertTrue(out.toString().matches("(?s).*read the log, lines counted, no parse \\(lines/s\\)\\s+[0-9,]+\n.*"), out.toString());
        assertTrue(out.toString().matches("(?s).*run 2 peak heap \\(heap pools\\)\\s+[0-9,]+ MB\n.*"), out.toString());
        assertTrue(out.toString().matches("(?s).*events checked\\s+20,012 \\(0 reader warnings\\).*"), out.toString());
        assertTrue(out.toString().contains("target: timeline --check >= 1,000,000 events/s (in-process) -> "), out.toString());
        assertEquals(Main.EXIT_BAD_INPUT, cl.execute("bench", "timeline", "--events", "5"));
    }
}
