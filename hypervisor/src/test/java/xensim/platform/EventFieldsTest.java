package xensim.platform;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class EventFieldsTest {
    @Test
    void keepsInsertionOrderAndReplacesInPlace() {
        EventFields f = new EventFields();
        f.put("ref", 8L);
        f.put("gfn", 1023L);
        f.put("ref", 9L);
        assertEquals(List.of("ref", "gfn"), List.copyOf(f.keySet()));
        assertEquals(9L, f.get(new String("ref")), "lookup by an equal, not identical, name");
        assertNull(f.get("missing"));
        assertFalse(f.containsKey("missing"));
        assertThrows(NullPointerException.class, () -> f.put(null, 1));
    }

    /** Behaves as the LinkedHashMap it replaces, for any sequence of puts (more than 8 keys included). */
    @Property(tries = 300)
    void agreesWithLinkedHashMap(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = 20) Integer> keys) {
        EventFields f = new EventFields();
        Map<String, Object> m = new LinkedHashMap<>();
        int v = 0;
        for (int k : keys) {
            assertEquals(m.put("k" + k, v), f.put("k" + k, v));
            v++;
        }
        assertEquals(m, f);
        assertEquals(List.copyOf(m.entrySet()), List.copyOf(f.entrySet()));
        assertEquals(m.hashCode(), f.hashCode());
        // the builder's path: append without looking, then seal
        EventFields g = new EventFields();
        v = 0;
        for (int k : keys) {
            if (v % 2 == 0) g.appendNumber(("k" + k).intern(), v);
            else g.append(("k" + k).intern(), (long) v);
            v++;
        }
        g.seal();
        assertEquals(List.copyOf(m.entrySet()).toString(), List.copyOf(g.entrySet()).toString());
        for (Map.Entry<String, Object> e : m.entrySet()) {
            assertEquals(((Integer) e.getValue()).longValue(), g.getLong(new String(e.getKey()), -1));
            assertTrue(g.isNumber(e.getKey()));
        }
        List<String> visited = new java.util.ArrayList<>();
        g.forEach(new EventFields.Visitor() {
            @Override
            public void number(String key, long value) {
                visited.add(key + "=" + value);
            }

            @Override
            public void object(String key, Object value) {
                visited.add(key + "=" + value);
            }
        });
        List<String> want = new java.util.ArrayList<>();
        m.forEach((k, x) -> want.add(k + "=" + x));
        assertEquals(want, visited);
    }
}
