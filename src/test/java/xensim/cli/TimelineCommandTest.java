package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code xensim timeline}: exit codes, the verdict line, warnings, outputs and filters. */
class TimelineCommandTest {
    @TempDir
    Path dir;


    private static Cli.Result exec(String... args) {
        return Cli.exec(args);
    }

    /** A clean run of one guest, in the events.jsonl layout. */
    static String cleanLog() {
        return line(0, 1, 0, "runtime", "RUN_BEGIN", "\"seed\":7,\"mode\":\"deterministic\",\"strategy\":\"exit-callback\"")
                + line(1000, 2, 1, "toolstack", "DOMAIN_CREATED", "\"name\":\"guest-1\",\"memory\":65536")
                + line(1000, 3, 1, "toolstack", "DEVICE_CREATED", "\"kind\":\"vbd\",\"devid\":51712")
                + line(5000, 4, 1, "fw.core", "EBS_BEGIN", "\"mapKey\":1")
                + line(5000, 5, 1, "fw.core", "EBS_NOTIFY_BEGIN", "\"driver\":\"XenBusDxe\",\"index\":0,\"tpl\":8")
                + line(6000, 6, 1, "fw.core", "EBS_NOTIFY_END", "\"driver\":\"XenBusDxe\",\"index\":0,\"tpl\":8")
                + line(6000, 7, 1, "fw.core", "EBS_END", "\"status\":\"EFI_SUCCESS\"")
                + line(9000, 8, 1, "os", "OS_HANDOFF", "\"memoryMapEntries\":4")
                + line(20_000, 9, 1, "os", "OS_DEVICE_CONNECTED", "\"devid\":51712");
    }

    static String line(long t, long seq, int dom, String comp, String ev, String fields) {
        return "{\"t\":" + t + ",\"seq\":" + seq + ",\"dom\":" + dom + ",\"comp\":\"" + comp + "\",\"ev\":\"" + ev + "\""
                + (fields.isEmpty() ? "" : "," + fields) + "}\n";
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void checkOfACleanLogPrintsCleanAndExitsZero() throws IOException {
        Path log = write("clean.jsonl", cleanLog() + line(30_000, 10, 0, "runtime", "RUN_END", "\"verdict\":\"clean\""));
        Cli.Result r = exec("timeline", log.toString(), "--check");
        assertEquals(Main.EXIT_CLEAN, r.code(), r.err());
        assertTrue(r.out().contains("verdict: clean\n"), r.out());
        assertTrue(r.out().contains("online verdict (RUN_END): clean (agrees)"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void checkOfAViolatingLogPrintsTheViolationAndExitsOne() throws IOException {
        Path log = write("bad.jsonl", cleanLog()
                + line(21_000, 10, 1, "os", "IO_VERIFY", "\"sector\":8,\"count\":8,\"ok\":false")
                + line(21_000, 11, 1, "checker", "VIOLATION", "\"invariant\":\"DATA_INTEGRITY\",\"evidence\":[10],\"detail\":\"x\"")
                + line(22_000, 12, 1, "fw.core", "ALLOC_CALL", "\"service\":\"AllocatePool\"")
                + line(30_000, 13, 0, "runtime", "RUN_END", "\"verdict\":\"VIOLATION DATA_INTEGRITY\""));
        Cli.Result r = exec("timeline", log.toString(), "--check");
        assertEquals(Main.EXIT_VIOLATION, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("verdict: VIOLATION DATA_INTEGRITY\n"), r.out());
        assertTrue(r.out().contains("VIOLATION DATA_INTEGRITY dom1 at #10"), r.out());
        assertTrue(r.out().contains("(agrees)"), r.out());
    }

    @Test
    void aDisagreementWithTheOnlineVerdictIsReported() throws IOException {
        Path log = write("differs.jsonl", cleanLog() + line(30_000, 10, 0, "runtime", "RUN_END", "\"verdict\":\"VIOLATION HANG\""));
        Cli.Result r = exec("timeline", log.toString(), "--check");
        assertEquals(Main.EXIT_CLEAN, r.code());
        assertTrue(r.out().contains("online verdict (RUN_END): VIOLATION HANG (DIFFERS from offline)"), r.out());
    }

    @Test
    void missingOrUnreadableLogIsBadInput() throws IOException {
        Cli.Result r = exec("timeline", dir.resolve("nope.jsonl").toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertTrue(r.err().contains("no such file"), r.err());
        r = exec("timeline", dir.toString(), "--check");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        r = exec("timeline", write("empty.jsonl", "garbage\n\n").toString(), "--check");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertTrue(r.err().contains("line 1:"), r.err());
        assertTrue(r.err().contains("no events"), r.err());
        r = exec("timeline");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
    }

    @Test
    void badOptionsAreBadInput() throws IOException {
        Path log = write("clean.jsonl", cleanLog());
        assertEquals(Main.EXIT_BAD_INPUT, exec("timeline", log.toString(), "--from", "soon").code());
        assertEquals(Main.EXIT_BAD_INPUT, exec("timeline", log.toString(), "--from", "2ms", "--to", "1ms").code());
        assertEquals(Main.EXIT_BAD_INPUT, exec("timeline", log.toString(), "--guest", "x").code());
        assertEquals(Main.EXIT_BAD_INPUT, exec("timeline", log.toString(), "--perfetto", dir.resolve("no/such/dir/t.json").toString()).code());
        assertEquals(Main.EXIT_BAD_INPUT, exec("timeline", log.toString(), "--html", dir.toString()).code());
    }

    @Test
    void malformedLinesAreWarnedWithLineNumbersAndSkipped() throws IOException {
        String text = cleanLog().replace("\"ev\":\"EBS_NOTIFY_END\"", "\"ev\":\"EBS_NOTIFY_END\"}}}") // line 6 broken
                + line(30_000, 10, 0, "runtime", "RUN_END", "\"verdict\":\"clean\"")
                + "{\"t\":31000,\"seq\":11,\"dom\":0,\"co"; // truncated last line 11
        Cli.Result r = exec("timeline", write("broken.jsonl", text).toString(), "--check");
        assertEquals(Main.EXIT_CLEAN, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("broken.jsonl: line 6: "), r.err());
        assertTrue(r.err().contains("broken.jsonl: line 11: truncated"), r.err());
        assertTrue(r.out().contains("verdict: clean"), r.out());
    }

    @Test
    void withoutCheckItPrintsPhasesAndChainsAndExitsZero() throws IOException {
        Path log = write("bad.jsonl", cleanLog()
                + line(21_000, 10, 1, "os", "IO_VERIFY", "\"sector\":8,\"count\":8,\"ok\":false")
                + line(30_000, 11, 0, "runtime", "RUN_END", "\"verdict\":\"VIOLATION DATA_INTEGRITY\""));
        Cli.Result r = exec("timeline", log.toString());
        assertEquals(Main.EXIT_CLEAN, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("run: seed=7 mode=deterministic strategy=exit-callback"), out);
        assertTrue(out.contains("dom1 (guest-1)"), out);
        assertTrue(out.matches("(?s).*EBS\\s+5\\.000 µs\\s+6\\.000 µs\\s+1\\.000 µs\\s+notify order: 0 XenBusDxe.*"), out);
        assertTrue(out.matches("(?s).*OS reconnect\\s+9\\.000 µs\\s+20\\.000 µs\\s+11\\.000 µs.*"), out);
        assertTrue(out.contains("DATA_INTEGRITY dom1 at #10"), out);
        assertTrue(out.contains("    #10 21.000 µs dom1 os IO_VERIFY sector=8 count=8 ok=false"), out);
        assertTrue(out.contains("verdict: VIOLATION DATA_INTEGRITY"), out);
    }

    @Test
    void writesPerfettoAndHtmlAndAppliesFilters() throws IOException {
        Path log = write("clean.jsonl", cleanLog() + line(30_000, 10, 0, "runtime", "RUN_END", "\"verdict\":\"clean\""));
        Path trace = dir.resolve("trace.json");
        Path html = dir.resolve("report.html");
        Cli.Result r = exec("timeline", log.toString(), "--perfetto", trace.toString(), "--html", html.toString(), "--guest", "1",
                "--from", "4us", "--to", "10us");
        assertEquals(Main.EXIT_CLEAN, r.code(), r.err());
        assertTrue(r.out().contains("showing dom1 from 4.000 µs to 10.000 µs"), r.out());
        assertTrue(r.out().contains("perfetto: wrote " + trace), r.out());
        String t = Files.readString(trace);
        assertTrue(t.contains("\"name\":\"EBS_BEGIN\""), t);
        assertFalse(t.contains("\"name\":\"DOMAIN_CREATED\""), "before the window");
        assertFalse(t.contains("\"name\":\"OS_DEVICE_CONNECTED\""), "after the window");
        assertFalse(t.contains("RUN_END"), "dom0 filtered out");
        assertTrue(Files.readString(html).contains("class=\"swimlane"), "html written");
        // the verdict stays the whole log's even when a filter hides the guest
        r = exec("timeline", log.toString(), "--guest", "2");
        assertTrue(r.out().contains("verdict: clean"), r.out());
    }

    @Test
    void helpListsTheTimelineCommand() {
        Cli.Result r = exec("--help");
        assertTrue(r.out().contains("timeline"), r.out());
        r = exec("timeline", "--help");
        assertTrue(r.out().contains("--perfetto"), r.out());
    }
}
