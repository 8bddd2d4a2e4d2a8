package xensim.platform;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Map;

/**
 * One structured event (DESIGN.md §8, docs/events.md): virtual time {@code t} in ns, the run-global
 * {@code seq}, the domain it concerns, the emitting component, the event name, then its fields in
 * insertion order. Its JSON line is computed once, on demand.
 */
public final class Event {
    private static final JsonFactory JSON = new JsonFactory();

    private final long t;
    private final long seq;
    private final int dom;
    private final String comp;
    private final String ev;
    private final Map<String, Object> fields;
    private String json;

    Event(long t, long seq, int dom, String comp, String ev, Map<String, Object> fields) {
        this.t = t;
        this.seq = seq;
        this.dom = dom;
        this.comp = comp;
        this.ev = ev;
        this.fields = fields;
    }

    public long t() { return t; }
    public long seq() { return seq; }
    public int dom() { return dom; }
    public String comp() { return comp; }
    public String ev() { return ev; }
    public Map<String, Object> fields() { return fields; }

    public Object get(String field) {
        return fields.get(field);
    }

    public long getLong(String field) {
        if (fields instanceof EventFields f && f.isNumber(field)) return f.getLong(field, 0);
        Object v = fields.get(field);
        if (v instanceof Number n) return n.longValue();
        throw new IllegalArgumentException(ev + " has no numeric field " + field);
    }

    public String getString(String field) {
        Object v = fields.get(field);
        return v == null ? null : v.toString();
    }

    /** The event as one JSON object on one line (no trailing newline). */
    public String json() {
        String j = json;
        if (j == null) {
            StringWriter w = new StringWriter(64 + fields.size() * 24);
            try (JsonGenerator g = JSON.createGenerator(w)) {
                writeJson(g);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            json = j = w.toString();
        }
        return j;
    }

    /** Writes the event as one JSON object to {@code g} (the log file's writer calls this on its own thread). */
    public void writeJson(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeNumberField("t", t);
        g.writeNumberField("seq", seq);
        g.writeNumberField("dom", dom);
        g.writeStringField("comp", comp);
        g.writeStringField("ev", ev);
        if (fields instanceof EventFields ef) {
            try {
                ef.forEach(new EventFields.Visitor() {
                    @Override
                    public void number(String key, long value) {
                        try {
                            g.writeNumberField(key, value);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }

                    @Override
                    public void object(String key, Object value) {
                        try {
                            g.writeFieldName(key);
                            writeValue(g, value);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        } else {
            for (Map.Entry<String, Object> f : fields.entrySet()) {
                g.writeFieldName(f.getKey());
                writeValue(g, f.getValue());
            }
        }
        g.writeEndObject();
    }

    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v == null) g.writeNull();
        else if (v instanceof Long l) g.writeNumber(l);
        else if (v instanceof Integer i) g.writeNumber(i);
        else if (v instanceof Short s) g.writeNumber(s);
        else if (v instanceof Byte b) g.writeNumber(b);
        else if (v instanceof Double d) g.writeNumber(d);
        else if (v instanceof Boolean b) g.writeBoolean(b);
        else if (v instanceof Collection<?> c) {
            g.writeStartArray();
            for (Object o : c) writeValue(g, o);
            g.writeEndArray();
        } else if (v instanceof long[] a) {
            g.writeStartArray();
            for (long x : a) g.writeNumber(x);
            g.writeEndArray();
        } else g.writeString(v.toString());
    }

    @Override
    public String toString() {
        return json();
    }
}
