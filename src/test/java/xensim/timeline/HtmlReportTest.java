package xensim.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML report: self-contained, and — rendered by headless Chromium (Debian's {@code chromium},
 * installed by .ci/run) — showing the swimlanes and each violation with working evidence links.
 * Without Chromium the rendering test is skipped, unless {@code XENSIM_REQUIRE_NATIVE=1} (CI).
 */
public class HtmlReportTest {
    @TempDir
    Path dir;

    private Path report() throws IOException {
        Path log = PerfettoWriterTest.sample().write(dir.resolve("events.jsonl"));
        Path html = dir.resolve("report.html");
        TimelineAnalysis.analyse(log, new TimelineAnalysis.Options(Filter.ALL, true, true, null, html));
        return html;
    }

    @Test
    void theReportIsSelfContained() throws IOException {
        String html = Files.readString(report());
        assertFalse(html.matches("(?s).*(src|href)=\"(https?:)?//.*"), "no network references");
        assertFalse(html.contains("<link"), "no external stylesheets");
        assertFalse(html.contains("<script src"), "no external scripts");
        assertTrue(html.contains("<style>") && html.contains("<svg"));
    }

    @Test
    void headlessChromiumRendersSwimlanesAndEveryViolation() throws Exception {
        String chromium = findChromium();
        if (chromium == null) {
            if ("1".equals(System.getenv("XENSIM_REQUIRE_NATIVE"))) fail("chromium missing — XENSIM_REQUIRE_NATIVE=1 forbids skipping");
            Assumptions.abort("chromium not installed");
        }
        Path html = report();
        String dom = dumpDom(chromium, html);

        assertTrue(dom.contains("data-rendered=\"ok\""), "the inline script ran");
        assertTrue(dom.contains("data-violations=\"4\""), "the script counted the violation blocks (STALE_GRANT: the firmware never ended ref 8)");
        // swimlanes: one per (domain, component) plus a phases lane per guest
        int lanes = count(dom, "<g class=\"swimlane");
        assertTrue(lanes >= 3 * 8, "swimlanes: " + lanes);
        for (int d = 1; d <= 3; d++) assertTrue(dom.contains("data-dom=\"" + d + "\" data-comp=\"phases\""), "phases lane of dom" + d);
        assertTrue(dom.contains("data-comp=\"blkback\""));
        assertTrue(dom.contains("data-phase=\"EBS\""));
        // each violation: a block with its invariant, a marker in the lanes linking to it, evidence anchors that resolve
        for (String inv : List.of("STALE_MAPPING", "RESET_ORDER", "HANG", "STALE_GRANT")) {
            assertTrue(dom.contains("<div class=\"violation\" id=\"v-" + inv + "-2\" data-invariant=\"" + inv + "\""), inv);
            assertTrue(dom.contains("class=\"violation-marker\" data-invariant=\"" + inv + "\""), inv + " marker");
            assertTrue(dom.contains("href=\"#v-" + inv + "-2\""), inv + " linked");
        }
        Set<String> ids = new HashSet<>();
        Matcher m = Pattern.compile(" id=\"([^\"]+)\"").matcher(dom);
        while (m.find()) ids.add(m.group(1));
        List<String> dangling = new ArrayList<>();
        Matcher a = Pattern.compile("href=\"#([^\"]+)\"").matcher(dom);
        int links = 0;
        while (a.find()) {
            links++;
            if (!ids.contains(a.group(1))) dangling.add(a.group(1));
        }
        assertTrue(links > 10);
        assertEquals(List.of(), dangling, "every in-page link has its target");
        assertTrue(dom.contains("offline and online verdicts agree"));
    }

    public static String findChromium() {
        for (String name : new String[] {"chromium", "chromium-browser", "google-chrome"}) {
            String path = System.getenv("PATH");
            if (path == null) return null;
            for (String d : path.split(File.pathSeparator)) {
                File f = new File(d, name);
                if (f.canExecute()) return f.getPath();
            }
        }
        return null;
    }

    public static String dumpDom(String chromium, Path html) throws Exception {
        Path profile = Files.createTempDirectory("xensim-chromium");
        Path out = profile.resolve("dom.html");
        Path err = profile.resolve("stderr.txt");
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
                "--dump-dom", html.toUri().toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 60 s");
        }
        String dom = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "chromium failed: " + Files.readString(err));
        assertTrue(dom.contains("</html>"), "no DOM dumped: " + Files.readString(err));
        return dom;
    }

    private static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) n++;
        return n;
    }
}
