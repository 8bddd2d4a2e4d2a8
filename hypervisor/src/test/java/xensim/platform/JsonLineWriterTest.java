package xensim.platform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The events file's writer writes Jackson's bytes (what the file held when a Jackson generator
 * wrote every event), for every kind of value an event can hold: on its quick path and when it
 * hands an event to Jackson.
 */
class JsonLineWriterTest {
    private enum Colour { RED }

    /** The line as Jackson's UTF-8 generator writes it (the encoder before the writer), newline included. */
    static byte[] jackson(Event e) throws Exception {
        ByteArrayBuilder b = new ByteArrayBuilder();
        try (JsonGenerator g = new JsonFactory().createGenerator(b, JsonEncoding.UTF8)) {
            e.writeJson(g);
        }
        b.write('\n');
        return b.toByteArray();
    }

    private static List<Object> values() {
        List<Object> v = new ArrayList<>(List.of(0L, -1L, 7L, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MIN_VALUE, 42, (short) -3, (byte) 9,
                1.5, -0.0, Double.NaN, Double.POSITIVE_INFINITY, 1e300, true, false, "", "plain text", "with space/slash",
                "q\"uote", "back\\slash", "tab\tnew\nline\r", "\u0000\u001f\u007f", "é ✓ ü", "emoji \uD83D\uDE00", Colour.RED,
                List.of(), List.of(1, 2L, "three"), List.of(List.of(1.25), true), new long[] {}, new long[] {-5, 0, Long.MIN_VALUE},
                new StringBuilder("a builder")));
        v.add(null);
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("k", 1);
        v.add(m); // written as its toString, as Event.writeValue does
        for (char c = 0; c < 0x180; c++) v.add("c" + c + "c");
        return v;
    }

    @Test
    void writesJacksonsBytesForEveryKindOfValue() throws Exception {
        List<Event> events = new ArrayList<>();
        EventLog log = new EventLog(events::add);
        List<Object> values = values();
        for (Object v : values) {
            log.event(3, "comp", "ONE").with("v", v).emit();
            log.event(-1, "c\"omp", "ODD\u00e9").with("n", 5).with("v", v).with("b", true).emit();
        }
        log.event(0, null, "NULL_COMP").emit();
        SplittableRandom r = new SplittableRandom(18);
        for (int i = 0; i < 5_000; i++) {
            var b = log.event(r.nextInt(-2, 10_000), "c" + r.nextInt(5), "E" + r.nextInt(30));
            int n = r.nextInt(12);
            for (int f = 0; f < n; f++) {
                String key = "f" + r.nextInt(8); // repeats too
                if (r.nextBoolean()) b.with(key, r.nextLong());
                else b.with(key, values.get(r.nextInt(values.size())));
            }
            b.emit();
        }
        JsonLineWriter w = new JsonLineWriter(16);
        ByteArrayBuilder all = new ByteArrayBuilder();
        for (Event e : events) {
            w.reset();
            w.line(e);
            assertArrayEquals(jackson(e), w.toByteArray(), e.json());
            all.write(jackson(e));
        }
        w.reset();
        for (Event e : events) w.line(e); // one buffer, many lines (a batch)
        assertArrayEquals(all.toByteArray(), w.toByteArray());
        assertTrue(events.size() > 5_000);
    }

    @Test
    void theEncoderWritesBatchesAsLines() throws Exception {
        List<Event> events = new ArrayList<>();
        EventLog log = new EventLog(events::add);
        for (int i = 0; i < 10; i++) log.event(1, "x", "E").with("i", i).emit();
        EventJsonEncoder enc = new EventJsonEncoder();
        Event[] batch = new Event[16];
        for (int i = 0; i < 10; i++) batch[i] = events.get(i);
        var le = new ch.qos.logback.classic.spi.LoggingEvent();
        le.setArgumentArray(new Object[] {batch});
        StringBuilder want = new StringBuilder();
        for (Event e : events) want.append(e.json()).append('\n');
        assertEquals(want.toString(), new String(enc.encode(le), java.nio.charset.StandardCharsets.UTF_8));
    }
}
