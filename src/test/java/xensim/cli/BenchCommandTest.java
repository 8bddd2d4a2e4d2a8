package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The bench commands run end to end and report what they measured; no figure is asserted (no timed tests). */
class BenchCommandTest {


    private static Cli.Result exec(String... args) {
        return Cli.exec(args);
    }

    @Test
    void lifecycleRunsEveryGuestThroughAndJudgesIt() {
        Cli.Result r = exec("bench", "lifecycle", "--guests", "3,6", "--repeat", "1", "--warmup", "0", "--events");
        assertEquals(Main.EXIT_CLEAN, r.code(), r.out() + r.err());
        for (int n : new int[] {3, 6}) {
            // guests, seconds, CPU s, per guest, net, vs first, peak heap, live heap, requests, events, steps per guest, verdict
            Matcher m = Pattern.compile("(?m)^" + n + "(?:\\s+\\S+){7}\\s+([0-9,]+)\\s+([0-9,]+)\\s+([0-9,]+)\\s+(.+)$")
                    .matcher(r.out());
            assertTrue(m.find(), "no row for " + n + " guests:\n" + r.out());
            long requests = Long.parseLong(m.group(1).replace(",", ""));
            // the firmware's boot path and read-ahead (~64), the OS's 64 verified I/Os and its read-back of
            // what was written (~half of them are writes), for every guest
            assertTrue(requests >= n * 145L && requests <= n * 175L, "requests " + requests + " for " + n + " guests");
            assertTrue(Long.parseLong(m.group(2).replace(",", "")) > requests, "events");
            long steps = Long.parseLong(m.group(3).replace(",", ""));
            assertTrue(steps > 1000 && steps < 20_000, "executor steps per guest: " + steps);
            assertEquals("clean", m.group(4).trim(), "a completed, clean run for " + n + " guests");
        }
        assertTrue(r.out().contains("fixed cost of a run"), r.out());
    }

    @Test
    void exploreCountsSeedsOnEveryCoreAndOne() {
        Cli.Result r = exec("bench", "explore", "--seeds", "10", "--strategy", "naive-reset");
        assertEquals(Main.EXIT_CLEAN, r.code(), r.out() + r.err());
        Matcher m = Pattern.compile("(?m)^1\\s+10\\s+\\S+\\s+[0-9,]+\\s+(\\d+)$").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals("10", m.group(1), "naive-reset violates on every seed, and the bench counts it");
        assertTrue(r.out().contains("seeds/min"), r.out());
    }

    @Test
    void badBenchInputIsExit2() {
        assertEquals(Main.EXIT_BAD_INPUT, exec("bench", "lifecycle", "--guests", "0").code());
        assertEquals(Main.EXIT_BAD_INPUT, exec("bench", "lifecycle", "--repeat", "0").code());
        assertEquals(Main.EXIT_BAD_INPUT, exec("bench", "explore", "--seeds", "5").code());
        Cli.Result r = exec("bench", "explore", "--strategy", "nope");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertTrue(r.err().contains("nope"), r.err());
    }

    @Test
    void timelineWritesItsRowsAsJsonWithTheBaselineAndTheTarget(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path f = dir.resolve("t.json");
        Cli.Result r = exec("bench", "timeline", "--events", "20000", "--child-heap", "none", "--json", f.toString());
        assertEquals(Main.EXIT_CLEAN, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("target: timeline --check >= 1,000,000 events/s (in-process) -> "), r.out());
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(f.toFile());
        assertEquals("timeline", j.get("bench").asText());
        assertEquals(Runtime.getRuntime().availableProcessors(), j.get("machine").get("cores").asInt());
        assertTrue(j.get("date").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), j.get("date").asText());
        com.fasterxml.jackson.databind.JsonNode check = null;
        for (com.fasterxml.jackson.databind.JsonNode row : j.get("rows")) {
            if (row.get("row").asText().equals("timeline --check, in-process run 1 (events/s)")) check = row;
        }
        assertTrue(check != null, j.toString());
        assertEquals("events/s", check.get("values").get(0).get("unit").asText());
        assertTrue(check.get("values").get(0).get("value").asDouble() > 0);
        assertTrue(check.get("baseline").get("value").asDouble() > 0);
        assertTrue(check.get("shareOfBound").asDouble() > 0);
        assertEquals(1, j.get("targets").size());
        assertEquals(Main.EXIT_BAD_INPUT, exec("bench", "akka", "--json", dir.resolve("no/such/dir/x.json").toString()).code());
    }
}
