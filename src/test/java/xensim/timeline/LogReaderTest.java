package xensim.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogReaderTest {

    private static List<LogEvent> readAll(LogReader r) throws IOException {
        List<LogEvent> out = new ArrayList<>();
        LogEvent e;
        while ((e = r.next()) != null) out.add(e);
        return out;
    }

    private static LogReader reader(String text) {
        return new LogReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsTheCommonFieldsAndTheEventsOwnInOrder() throws IOException {
        String line = "{\"t\":1500,\"seq\":7,\"dom\":3,\"comp\":\"blkback\",\"ev\":\"RING_REQ\",\"devid\":51712,\"id\":7,"
                + "\"op\":\"BLKIF_OP_READ\",\"ok\":true,\"x\":null,\"f\":1.5,\"evidence\":[1,2],\"nested\":{\"a\":\"b\"}}\n";
        try (LogReader r = reader(line)) {
            LogEvent e = r.next();
            assertEquals(1500, e.t());
            assertEquals(7, e.seq());
            assertEquals(3, e.dom());
            assertEquals("blkback", e.comp());
            assertEquals("RING_REQ", e.ev());
            assertEquals(1, e.line());
            assertEquals(51712L, e.get("devid"));
            assertEquals("BLKIF_OP_READ", e.getString("op"));
            assertTrue(e.isTrue("ok"));
            assertTrue(e.has("x"));
            assertNull(e.get("x"));
            assertEquals(1.5, e.get("f"));
            assertEquals(List.of(1L, 2L), e.get("evidence"));
            assertEquals(java.util.Map.of("a", "b"), e.get("nested"));
            assertEquals("devid", e.fieldName(0));
            assertEquals(line.trim(), r.currentLine());
            assertNull(r.next());
            assertEquals(0, r.warningCount());
        }
    }

    @Test
    void malformedAndTruncatedLinesAreSkippedWithTheirLineNumbers() throws IOException {
        TestLog log = new TestLog().begin();                                  // line 1
        log.ev(1, "toolstack", "DOMAIN_CREATED", "name", "g");                 // line 2
        log.raw("{\"t\":5,\"seq\":3,\"dom\":1,\"comp\":\"os\",\"ev\":\"OS_HAN");  // line 3: cut mid-line
        log.raw("");                                                           // line 4: blank, ignored
        log.raw("not json at all");                                            // line 5
        log.raw("[1,2,3]");                                                    // line 6: not an object
        log.raw("{\"seq\":9,\"dom\":1,\"comp\":\"os\",\"ev\":\"X\"}");           // line 7: no t
        log.raw("{\"t\":\"soon\",\"seq\":9,\"dom\":1,\"comp\":\"os\",\"ev\":\"X\"}"); // line 8: t not a number
        log.raw("{\"t\":1,\"seq\":10,\"dom\":1,\"comp\":\"os\",\"ev\":\"X\"} trailing"); // line 9
        log.ev(1, "os", "IO_VERIFY", "sector", 1, "count", 1, "ok", false);    // line 10
        String text = log.text() + "{\"t\":99,\"seq\":4,\"dom\":1,\"comp\":\"os\",\"ev\":\"IO_VE"; // line 11: truncated, no newline
        try (LogReader r = reader(text)) {
            List<LogEvent> events = readAll(r);
            assertEquals(List.of("RUN_BEGIN", "DOMAIN_CREATED", "IO_VERIFY"), events.stream().map(LogEvent::ev).toList());
            assertEquals(10, events.get(2).line());
            assertEquals(List.of(3L, 5L, 6L, 7L, 8L, 9L, 11L), r.warnings().stream().map(LogReader.Warning::line).toList(), r.warnings().toString());
            assertEquals(11, r.lines());
            assertTrue(r.warnings().get(6).message().contains("truncated"), r.warnings().get(6).toString());
            assertTrue(r.warnings().get(3).message().contains("missing t"), r.warnings().get(3).toString());
        }
    }

    @Test
    void aTruncatedLogIsStillAnalysed(@TempDir Path dir) throws IOException {
        String full = new TestLog().begin().cleanGuest(1).end("clean").text();
        // cut the log in the middle of a line, after the guest's EBS began
        int cut = full.indexOf("\"ev\":\"EBS_NOTIFY_END\"");
        Path f = dir.resolve("events.jsonl");
        Files.writeString(f, full.substring(0, cut + 10));
        TimelineAnalysis.Result r = TimelineAnalysis.analyse(f, new TimelineAnalysis.Options(Filter.ALL, true, true, null, null));
        assertEquals(1, r.warningCount());
        long lines = full.substring(0, cut).chars().filter(c -> c == '\n').count() + 1;
        assertEquals(lines, r.warnings().get(0).line());
        assertTrue(r.run().events() > 20);
        assertTrue(!r.checker().progressJudged(), "no RUN_END in a truncated log");
        Timeline.Guest g = r.timeline().guest(1);
        assertEquals(List.of("create", "firmware boot", "disk read", "EBS"), g.phases().stream().map(Timeline.Phase::name).toList());
        assertTrue(!g.phase("EBS").complete());
        assertEquals(List.of(), r.checker().verdict());
    }

    @Test
    void seqThatGoesBackIsReportedButKept() throws IOException {
        String text = "{\"t\":1,\"seq\":5,\"dom\":0,\"comp\":\"os\",\"ev\":\"A\"}\r\n{\"t\":2,\"seq\":4,\"dom\":0,\"comp\":\"os\",\"ev\":\"B\"}\n";
        try (LogReader r = reader(text)) {
            assertEquals(2, readAll(r).size());
            assertEquals(1, r.warningCount());
            assertEquals(2, r.warnings().get(0).line());
        }
    }

    @Test
    void anOverlongLineIsSkippedAndReadingGoesOn() throws IOException {
        StringBuilder sb = new StringBuilder("{\"t\":1,\"seq\":1,\"dom\":0,\"comp\":\"os\",\"ev\":\"A\"}\n");
        sb.append("{\"t\":2,\"seq\":2,\"dom\":0,\"comp\":\"os\",\"ev\":\"B\",\"pad\":\"").append("x".repeat(LogReader.MAX_LINE_BYTES + 300_000))
                .append("\"}\n");
        sb.append("{\"t\":3,\"seq\":3,\"dom\":0,\"comp\":\"os\",\"ev\":\"C\"}\n");
        try (LogReader r = reader(sb.toString())) {
            assertEquals(List.of("A", "C"), readAll(r).stream().map(LogEvent::ev).toList());
            assertEquals(1, r.warningCount());
            assertEquals(2, r.warnings().get(0).line());
            assertTrue(r.warnings().get(0).message().contains("longer than"));
        }
    }

    @Test
    void linesAcrossReadBoundariesAndABomAreHandled() throws IOException {
        TestLog log = new TestLog().begin().cleanGuest(1).cleanGuest(2).end("clean");
        byte[] body = log.text().getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[body.length + 3];
        bytes[0] = (byte) 0xef;
        bytes[1] = (byte) 0xbb;
        bytes[2] = (byte) 0xbf;
        System.arraycopy(body, 0, bytes, 3, body.length);
        // a stream that hands out 7 bytes at a time
        InputStream trickle = new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 7));
            }
        };
        try (LogReader r = new LogReader(trickle)) {
            List<LogEvent> events = readAll(r);
            assertEquals(log.seq(), events.size());
            assertEquals(0, r.warningCount(), r.warnings().toString());
            assertEquals(bytes.length, r.bytes());
        }
    }

    /** The fast path for the simulator's flat lines and Jackson's path read every line alike, warnings included. */
    @Test
    void theFastPathAndJacksonReadEveryLineAlike() throws IOException {
        StringBuilder sb = new StringBuilder(new TestLog().begin().cleanGuest(1).cleanGuest(2).end("clean").text());
        String[] odd = {
            "{\"t\":1,\"seq\":100,\"dom\":0,\"comp\":\"os\",\"ev\":\"A\",\"f\":1.5,\"g\":-2e3}",
            "{\"t\":2,\"seq\":101,\"dom\":0,\"comp\":\"os\",\"ev\":\"B\",\"s\":\"a\\\"b\\u00e9\",\"u\":\"\u00e9t\u00e9\"}",
            " { \"t\" : 3 , \"seq\":102,\"dom\":-1,\"comp\":\"os\",\"ev\":\"C\",\"n\":null,\"b\":false,\"z\":-0 } ",
            "{\"t\":4,\"seq\":103,\"dom\":0,\"comp\":\"os\",\"ev\":\"D\",\"big\":12345678901234567890123}",
            "{\"t\":5,\"seq\":104,\"dom\":0,\"comp\":\"os\",\"ev\":\"E\",\"lead\":012}",
            "{\"t\":6,\"seq\":105,\"dom\":0,\"comp\":\"os\",\"ev\":\"F\",\"a\":[1,\"x\",{\"k\":true}]}",
            "{\"t\":7,\"seq\":106,\"dom\":0,\"comp\":\"os\",\"ev\":\"G\",}",
            "{\"t\":8,\"seq\":107,\"dom\":4294967296,\"comp\":\"os\",\"ev\":\"H\"}",
            "{\"t\":9,\"seq\":107,\"dom\":0,\"comp\":7,\"ev\":\"I\"}",
            "{\"t\":10,\"seq\":99,\"dom\":0,\"comp\":\"os\",\"ev\":\"J\",\"t\":11}",
            "{\"t\":12,\"seq\":108,\"dom\":0,\"comp\":\"os\",\"ev\":\"K\",\"x\":tru}",
            "{}", "{\"t\":13}", "{\"t\":14,\"seq\":109,\"dom\":0,\"comp\":\"os\",\"ev\":\"L\"}{}",
            "{\"t\":15,\"seq\":110,\"dom\":0,\"comp\":\"os\",\"ev\":\"M\",\"max\":999999999999999999,\"min\":-999999999999999999}",
            "{\"t\":16,\"seq\":111,\"dom\":0,\"comp\":\"os\",\"ev\":\"N\",\"p\":\"" + "y".repeat(40) + "\"}",
            "{\"t\":17,\"seq\":112,\"dom\":0,\"comp\":\"os\",\"ev\":\"O\",\"tab\":\"a\tb\"}",
            "{\"t\":18,\"seq\":113,\"dom\":0,\"comp\":\"os\",\"ev\":\"P\"",
        };
        for (String o : odd) sb.append(o).append('\n');
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        List<String> fast = new ArrayList<>();
        List<String> jackson = new ArrayList<>();
        List<String> fastWarn;
        List<String> jacksonWarn;
        try (LogReader r = new LogReader(new ByteArrayInputStream(bytes), true)) {
            for (LogEvent e : readAll(r)) fast.add(e.line() + " " + e.describe() + " " + types(e));
            fastWarn = r.warnings().stream().map(LogReader.Warning::toString).toList();
        }
        try (LogReader r = new LogReader(new ByteArrayInputStream(bytes), false)) {
            for (LogEvent e : readAll(r)) jackson.add(e.line() + " " + e.describe() + " " + types(e));
            jacksonWarn = r.warnings().stream().map(LogReader.Warning::toString).toList();
        }
        assertEquals(jackson, fast);
        assertEquals(jacksonWarn, fastWarn);
        assertTrue(fast.size() > 40 && jacksonWarn.size() >= 8, fast.size() + " events, warnings " + jacksonWarn);
        assertTrue(fast.stream().anyMatch(l -> l.contains(" M max=999999999999999999 min=-999999999999999999")), fast.toString());
    }

    private static String types(LogEvent e) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < e.fieldCount(); i++) {
            Object v = e.fieldValue(i);
            sb.append(v == null ? "null" : v.getClass().getSimpleName()).append(',');
        }
        return sb.toString();
    }

    @Test
    void virtualTimes() {
        assertEquals(5_000_000, VirtualTime.parse("5ms"));
        assertEquals(200_000, VirtualTime.parse("200us"));
        assertEquals(200_000, VirtualTime.parse("200µs"));
        assertEquals(1_000_000_000, VirtualTime.parse("1s"));
        assertEquals(1_500_000, VirtualTime.parse("1.5ms"));
        assertEquals(750, VirtualTime.parse("750"));
        assertEquals(750, VirtualTime.parse("750ns"));
        for (String bad : new String[] {"", "ms", "-5ms", "5 parsecs", "1e3"}) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> VirtualTime.parse(bad), bad);
        }
        assertEquals("12 ns", VirtualTime.format(12));
        assertEquals("1.234 µs", VirtualTime.format(1234));
        assertEquals("5.000 ms", VirtualTime.format(5_000_000));
        assertEquals("2.500 s", VirtualTime.format(2_500_000_000L));
        assertEquals("1234.567", VirtualTime.micros(1_234_567));
        assertEquals("0.005", VirtualTime.micros(5));
    }
}
