package xensim.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file's lines are the events' own JSON, whatever the fields hold, in seq order, none lost. */
class JsonLinesFileSinkTest {
    @Test
    void eachLineIsTheEventsJson(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("events.jsonl");
        List<Event> emitted = new ArrayList<>();
        EventLog log = new EventLog(new JsonLinesFileSink(file), emitted::add);
        for (int i = 0; i < 20_000; i++) { // more than the appender's queue holds
            log.event(i % 7, "test", "KIND" + (i % 3)).with("n", i).with("neg", -1L * i).with("s", "q\"uote\\ \n é ✓ " + i)
                    .with("b", i % 2 == 0).with("list", List.of(1, "two")).with("arr", new long[] {i, i + 1}).with("nil", (Object) null)
                    .with("n", i + 1) // a repeated name keeps its first place and takes the last value
                    .emit();
        }
        log.close();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(emitted.size(), lines.size());
        ObjectMapper om = new ObjectMapper();
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(emitted.get(i).json(), lines.get(i), "line " + (i + 1));
        }
        JsonNode last = om.readTree(lines.get(lines.size() - 1));
        assertEquals(19_999 + 1, last.get("n").asLong());
        assertEquals(-19_999, last.get("neg").asLong());
        assertEquals("q\"uote\\ \n é ✓ 19999", last.get("s").asText());
        assertEquals(List.of("t", "seq", "dom", "comp", "ev", "n", "neg", "s", "b", "list", "arr", "nil"),
                iteratorToList(last.fieldNames()));
        assertEquals(20_000, last.get("seq").asLong());
    }

    private static List<String> iteratorToList(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
