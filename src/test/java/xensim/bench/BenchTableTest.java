package xensim.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench table as JSON: one object per row, numbers with units, the baseline and the share of the bound. */
class BenchTableTest {
    private static final BenchTable.Meta META = new BenchTable.Meta("blkback", "xensim bench blkback --json x.json",
            "2026-12-02T03:00:00Z", "0.1.0-SNAPSHOT", "0123456789ab", 2, "17.0.15", "Linux amd64", 2048L << 20, 3.5);

    private static JsonNode json(BenchTable... tables) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BenchTable.writeJson(out, META, List.of(tables));
        return new ObjectMapper().readTree(out.toByteArray());
    }

    @Test
    void aMeasureValueTableWritesEachRowWithItsValueUnitBaselineAndShare() throws IOException {
        BenchTable t = new BenchTable("measure", "value")
                .row("raw Akka tell, deterministic (msg/s)", BenchTable.num(5_123_456.4))
                .row("blkif 4 KiB READ requests/s (32 in flight)", BenchTable.num(640_000))
                .baseline("raw Akka tell, deterministic", 5_123_456.4, "msg/s")
                .bound(962_000, "requests/s", 640_000 / 962_000.0)
                .row("requests/s as a share of that bound", "66.5%")
                .row("offline verdict", "verdict: clean")
                .target(">= 50% of the bound", true);
        JsonNode j = json(t);
        assertEquals("xensim-bench/1", j.get("schema").asText());
        assertEquals("blkback", j.get("bench").asText());
        assertEquals(2, j.get("machine").get("cores").asInt());
        assertEquals(2048, j.get("machine").get("maxHeapMB").asInt());
        assertEquals("0.1.0-SNAPSHOT", j.get("xensim").get("version").asText());
        assertEquals("0123456789ab", j.get("xensim").get("commit").asText());
        assertEquals("2026-12-02T03:00:00Z", j.get("date").asText());
        JsonNode rows = j.get("rows");
        assertEquals(4, rows.size());

        JsonNode tell = rows.get(0).get("values").get(0);
        assertEquals("raw Akka tell, deterministic (msg/s)", rows.get(0).get("row").asText());
        assertEquals(5_123_456, tell.get("value").asLong(), "the printed number, commas dropped");
        assertEquals("msg/s", tell.get("unit").asText());
        assertFalse(rows.get(0).has("baseline"));

        JsonNode req = rows.get(1);
        assertEquals(640_000, req.get("values").get(0).get("value").asLong());
        assertEquals("requests/s", req.get("values").get(0).get("unit").asText(), "a rate named in the label, not '32 in flight'");
        assertEquals("raw Akka tell, deterministic", req.get("baseline").get("name").asText());
        assertEquals(5_123_456.4, req.get("baseline").get("value").asDouble(), 1e-6);
        assertEquals("msg/s", req.get("baseline").get("unit").asText());
        assertEquals(962_000, req.get("bound").get("value").asLong());
        assertEquals(0.6653, req.get("shareOfBound").asDouble(), 1e-9);

        JsonNode share = rows.get(2).get("values").get(0);
        assertEquals(66.5, share.get("value").asDouble(), 1e-9);
        assertEquals("%", share.get("unit").asText());

        JsonNode verdict = rows.get(3).get("values").get(0);
        assertFalse(verdict.has("value"), "text stays text");
        assertEquals("verdict: clean", verdict.get("text").asText());

        assertEquals(">= 50% of the bound", j.get("targets").get(0).get("target").asText());
        assertTrue(j.get("targets").get(0).get("met").asBoolean());
    }

    @Test
    void aManyColumnTableTakesUnitsFromItsHeaderAndTypedCellsTheirOwn() throws IOException {
        BenchTable t = new BenchTable("guests", "seconds", "peak heap (MB)", "seeds/min", "rate", "verdict")
                .row("1000", "2.35", "1,234", "5,800", BenchTable.v(1.5e6, "events/s", "1.5 M"), "clean");
        JsonNode row = json(t).get("rows").get(0);
        assertEquals("1000", row.get("row").asText());
        assertEquals("guests", row.get("column").asText());
        JsonNode v = row.get("values");
        assertEquals("seconds", v.get(0).get("name").asText());
        assertEquals(2.35, v.get(0).get("value").asDouble(), 1e-9);
        assertEquals("seconds", v.get(0).get("unit").asText());
        assertEquals(1234, v.get(1).get("value").asLong());
        assertEquals("MB", v.get(1).get("unit").asText());
        assertEquals("seeds/min", v.get(2).get("unit").asText());
        assertEquals(1_500_000, v.get(3).get("value").asLong());
        assertEquals("events/s", v.get(3).get("unit").asText());
        assertEquals("1.5 M", v.get(3).get("text").asText());
        assertFalse(v.get(4).has("value"));
    }

    @Test
    void theTextTableIsUnchangedAndPrintsItsTargets() {
        StringWriter s = new StringWriter();
        new BenchTable("measure", "value").row("a (msg/s)", "1,000").baseline("raw", 1, "msg/s").row("bb", "2")
                .target("x >= 1", false).print(new PrintWriter(s));
        assertEquals(String.join("\n", "measure    value", "---------  -----", "a (msg/s)  1,000", "bb             2",
                "target: x >= 1 -> NOT met", ""), s.toString().replace("\r", ""));
    }
}
