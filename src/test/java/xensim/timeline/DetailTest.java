package xensim.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A large run's trace and report are thinned to a few guests' events and every guest's phases; a small one is whole. */
class DetailTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code n} clean guests, guest 13 with an online STALE_MAPPING violation. */
    private Path log(int n) throws IOException {
        TestLog log = new TestLog().begin();
        for (int d = 1; d <= n; d++) log.cleanGuest(d);
        if (n >= 13) log.ev(13, "checker", "VIOLATION", "invariant", "STALE_MAPPING", "evidence", List.of(2L), "detail", "x");
        log.end(n >= 13 ? "VIOLATION STALE_MAPPING" : "clean");
        return log.write(dir.resolve("events-" + n + ".jsonl"));
    }

    /** pid → the names of its X slices that are events (not phases), and every pid with a phase. */
    private record Trace(Set<Integer> eventDoms, Set<Integer> phaseDoms, Set<Integer> hostRelated, long events) {}

    private static Trace read(JsonNode root) {
        Set<Integer> ev = new TreeSet<>();
        Set<Integer> ph = new TreeSet<>();
        Set<Integer> host = new TreeSet<>();
        long n = 0;
        for (JsonNode e : root.get("traceEvents")) {
            n++;
            if (!e.get("ph").asText().equals("X")) continue;
            int dom = e.get("pid").asInt() - 1;
            if ("phase".equals(e.path("cat").asText())) ph.add(dom);
            else if (dom > 0) ev.add(dom);
            else if (e.get("args").has("remoteDom")) host.add(e.get("args").get("remoteDom").asInt());
        }
        return new Trace(ev, ph, host, n);
    }

    @Test
    void aLargeRunsTraceHasEveryGuestsPhasesButTheEventsOfAFew() throws IOException {
        Path log = log(20);
        Path trace = dir.resolve("trace.json");
        Path html = dir.resolve("report.html");
        TimelineAnalysis.Result r = TimelineAnalysis.analyse(log, new TimelineAnalysis.Options(Filter.ALL, true, true, trace, html));
        assertFalse(r.detail().all());
        Trace t = read(JSON.readTree(trace.toFile()));
        TreeSet<Integer> all = new TreeSet<>();
        for (int d = 1; d <= 20; d++) all.add(d);
        assertEquals(all, t.phaseDoms(), "every guest's phases");
        // the guest with a violation first, then the lowest domids, eight in all
        assertEquals(Set.of(13, 1, 2, 3, 4, 5, 6, 7), t.eventDoms());
        assertEquals(t.eventDoms(), t.hostRelated(), "the host's events about the guests shown, and only those");
        String page = Files.readString(html);
        assertEquals(20, count(page, "<tr class=\"guest-row\""), "every guest in the summary");
        assertEquals(9, count(page, "<svg class=\"lanes\""), "lanes of the eight guests and the host");
        assertTrue(page.contains("id=\"lanes-thinned\" data-shown=\"8\" data-guests=\"20\""), page);
        assertTrue(page.contains("--guest 8 --html dom8.html"), "how to draw another guest's lanes");
        assertTrue(r.perfettoEvents() < 0.6 * wholeTraceEvents(log), "thinned");
    }

    private long wholeTraceEvents(Path log) throws IOException {
        Path trace = dir.resolve("whole.json");
        TimelineAnalysis.Result r = TimelineAnalysis.analyse(log, new TimelineAnalysis.Options(Filter.ALL, true, false, trace, null, Detail.ALL));
        assertTrue(r.detail().all());
        Trace t = read(JSON.readTree(trace.toFile()));
        assertEquals(20, t.eventDoms().size());
        return r.perfettoEvents();
    }

    @Test
    void aSmallRunIsShownWholeAndAGzNameIsCompressed() throws IOException {
        Path log = log(3);
        Path plain = dir.resolve("t.json");
        Path gz = dir.resolve("t.json.gz");
        TimelineAnalysis.Result r = TimelineAnalysis.analyse(log, new TimelineAnalysis.Options(Filter.ALL, true, true, plain, dir.resolve("r.html")));
        assertTrue(r.detail().all());
        TimelineAnalysis.analyse(log, new TimelineAnalysis.Options(Filter.ALL, true, false, gz, null));
        byte[] unzipped;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            unzipped = in.readAllBytes();
        }
        assertEquals(Files.readString(plain), new String(unzipped, java.nio.charset.StandardCharsets.UTF_8), "the same trace, compressed");
        assertEquals(Set.of(1, 2, 3), read(JSON.readTree(plain.toFile())).eventDoms());
        String page = Files.readString(dir.resolve("r.html"));
        assertFalse(page.contains("lanes-thinned"));
        assertEquals(4, count(page, "<svg class=\"lanes\""));
    }

    @Test
    void aLargeRunsSummaryIsPagedWithEveryGuestInIt() throws Exception {
        Path html = dir.resolve("big.html");
        TimelineAnalysis.analyse(log(230), new TimelineAnalysis.Options(Filter.ALL, true, true, null, html));
        String page = Files.readString(html);
        assertEquals(230, count(page, "<tr class=\"guest-row\""));
        assertEquals(3, count(page, "<tbody class=\"page\""));
        assertEquals(2, count(page, "<tbody class=\"page\" data-page=\"1\" hidden>") + count(page, "<tbody class=\"page\" data-page=\"2\" hidden>"),
                "only the first page shows");
        assertTrue(page.contains("id=\"summary-pager\" data-pages=\"3\""), page.substring(0, 2000));
        assertTrue(page.contains("guests 1–100 of 230"));
        assertEquals(9, count(page, "<svg class=\"lanes\""));
        String chromium = HtmlReportTest.findChromium();
        if (chromium != null) {
            String dom = HtmlReportTest.dumpDom(chromium, html);
            assertTrue(dom.contains("data-rendered=\"ok\"") && dom.contains("data-pager=\"ok\""), "both scripts ran");
        } else if ("1".equals(System.getenv("XENSIM_REQUIRE_NATIVE"))) {
            org.junit.jupiter.api.Assertions.fail("chromium missing — XENSIM_REQUIRE_NATIVE=1 forbids skipping");
        }
        String small = Files.readString(writeSmall());
        assertFalse(small.contains("summary-pager") || small.contains("<tbody"), "a small run's table is as it was");
    }

    private Path writeSmall() throws IOException {
        Path html = dir.resolve("small.html");
        TimelineAnalysis.analyse(log(3), new TimelineAnalysis.Options(Filter.ALL, true, true, null, html));
        return html;
    }

    @Test
    void theHostsEventsNameTheirGuest() {
        TestLog log = new TestLog();
        log.ev(0, "xenstored", "XS_REQ", "type", "XS_READ", "path", "/local/domain/0/backend/vbd/12/51712/state");
        log.ev(0, "xenstored", "XS_REQ", "type", "XS_READ", "path", "/local/domain/7/device/vbd/51712/state");
        log.ev(0, "hypervisor", "EVTCHN_SEND", "port", 1, "remoteDom", 5, "remotePort", 2);
        log.ev(0, "xenstored", "XS_REQ", "type", "XS_WRITE", "path", "/local/domain/0/name");
        List<Integer> rel = new java.util.ArrayList<>();
        try (LogReader r = new LogReader(new java.io.ByteArrayInputStream(log.text().getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
            LogEvent e;
            while ((e = r.next()) != null) rel.add(Detail.relatedDomain(e));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(List.of(12, 7, 5, -1), rel);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
