package xensim.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.timeline.HtmlReportTest;

/**
 * explore's OUT/report.html: the heat map (every row × invariant), each failing cell linking to
 * its smallest failing seed's own report.html (which exists and renders) with its replay line,
 * the EBS orders per design, counts and environment — rendered by headless Chromium like the run
 * report (skipped without Chromium unless XENSIM_REQUIRE_NATIVE=1, as in CI).
 */
class ExploreReportTest {
    @TempDir
    Path tmp;

    private Path explore() {
        Path out = tmp.resolve("x");
        Cli.Result r = Cli.exec("explore", "--strategy", "all", "--seeds", "2", "--no-progress", "--out", out.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("report: " + out.resolve("report.html") + " (2 failing seeds run again"), r.out());
        return out;
    }

    private static List<String> seedLinks(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<a class=\"seed\" href=\"([^\"]+)\"").matcher(html);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    @Test
    void theReportHoldsTheMatrixLinksAndOrders() throws Exception {
        Path out = explore();
        String html = Files.readString(out.resolve("report.html"));
        assertFalse(html.contains("http://") || html.contains("https://"), "self-contained: nothing fetched");
        assertEquals(6 * 10, count(html, "<td class=\"cell "), "six designs × ten invariants");
        // disconnect: ALLOC_IN_EBS; naive-reset: STALE_MAPPING, RESET_ORDER, STALE_GRANT; 2 of 2 runs each
        assertEquals(4, count(html, "<td class=\"cell fail\""), html);
        assertTrue(html.contains("data-share=\"1.000\""));
        List<String> links = seedLinks(html);
        assertEquals(4, links.size(), "every failing cell links its seed's report");
        assertEquals(List.of("seeds/disconnect-1-seed1/report.html", "seeds/naive-reset-1-seed1/report.html"),
                links.stream().distinct().toList());
        for (String l : links) {
            String seed = Files.readString(out.resolve(l));
            assertTrue(seed.contains("<title>xensim timeline"), l);
        }
        assertTrue(Files.readString(out.resolve("seeds/naive-reset-1-seed1/report.html")).contains("VIOLATION STALE_MAPPING RESET_ORDER STALE_GRANT"));
        assertTrue(html.contains("./xensim run --strategy naive-reset --seed 1 --mode deterministic --profile linux --firmware-io ovmf"
                + " --xenstored c --edk2 head --ebs-order edk2"), "replay lines");
        // orders per design: refcount's child before the bus, edk2's own order, never failing; naive-reset's one order fails
        assertTrue(html.contains("<tr class=\"good\"><td>XenPvBlkDxe/51712 → XenBusDxe <i>edk2</i></td><td>2</td><td>0</td>"), html);
        assertTrue(html.contains("data-design=\"naive-reset\" data-failing-orders=\"1\""));
        assertTrue(html.contains("data-design=\"before-ebs\" data-failing-orders=\"0\""));
        assertTrue(html.contains("data-runs=\"12\"") && html.contains("seeds/min"));
        assertTrue(html.contains("<th>xensim</th>") && html.contains("<th>profile xenstored.flavour</th><td>c</td>"), "environment");
        assertFalse(Files.exists(out.resolve("seeds/naive-reset-1-seed1/events.jsonl")), "the page is what is kept");
    }

    @Test
    void headlessChromiumRendersTheHeatMapAndTheLinkedSeedReports() throws Exception {
        String chromium = HtmlReportTest.findChromium();
        if (chromium == null) {
            if ("1".equals(System.getenv("XENSIM_REQUIRE_NATIVE"))) fail("chromium missing — XENSIM_REQUIRE_NATIVE=1 forbids skipping");
            Assumptions.abort("chromium not installed");
        }
        Path out = explore();
        String dom = HtmlReportTest.dumpDom(chromium, out.resolve("report.html"));
        assertTrue(dom.contains("data-rendered=\"ok\""), "the inline script ran");
        assertTrue(dom.contains("data-cells=\"60\""), "the script counted the heat map's cells");
        assertTrue(dom.contains("data-failing-cells=\"4\"") && dom.contains("data-seed-links=\"4\""));
        assertTrue(dom.contains("data-order-tables=\"6\""));
        // the links work: each target renders as a run report of its own
        for (String l : seedLinks(dom).stream().distinct().toList()) {
            String seed = HtmlReportTest.dumpDom(chromium, out.resolve(l));
            assertTrue(seed.contains("data-rendered=\"ok\""), l + " rendered");
            assertTrue(seed.contains("VIOLATION"), l + " shows its violation");
        }
    }

    private static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) n++;
        return n;
    }
}
