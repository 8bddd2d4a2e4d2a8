package xensim.platform;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;

/**
 * Appends events as JSON lines (UTF-8) to a growing byte buffer: the events file's writer. It
 * writes exactly what {@link Event#writeJson} writes through Jackson — the same fields in the same
 * order, no spaces — for what nearly every event holds (integers, booleans, nulls, lists of them,
 * and strings of printable ASCII without a quote or a backslash), straight into the buffer with no
 * generator per event; any event holding anything else (a double, a string that Jackson would
 * escape or encode as more than one byte per character) is written by Jackson itself, so the
 * bytes are Jackson's in every case (JsonLineWriterTest compares them on real runs' events and on
 * awkward values). Not thread-safe: one writer per file.
 */
final class JsonLineWriter {
    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] T = ascii("{\"t\":");
    private static final byte[] SEQ = ascii(",\"seq\":");
    private static final byte[] DOM = ascii(",\"dom\":");
    private static final byte[] COMP = ascii(",\"comp\":");
    private static final byte[] EV = ascii(",\"ev\":");
    private static final byte[] NULL = ascii("null");
    private static final byte[] TRUE = ascii("true");
    private static final byte[] FALSE = ascii("false");
    private static final byte[] MIN_LONG = ascii(Long.toString(Long.MIN_VALUE));

    private byte[] buf;
    private int len;
    private final ByteArrayBuilder jackson = new ByteArrayBuilder(512);

    JsonLineWriter(int capacity) {
        buf = new byte[Math.max(64, capacity)];
    }

    private static byte[] ascii(String s) {
        byte[] b = new byte[s.length()];
        for (int i = 0; i < b.length; i++) b[i] = (byte) s.charAt(i);
        return b;
    }

    /** The bytes written since the last {@link #reset}. */
    byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    int size() {
        return len;
    }

    void reset() {
        len = 0;
    }

    /** Appends {@code e}'s JSON object and a newline. */
    void line(Event e) {
        int mark = len;
        if (!fast(e)) {
            len = mark;
            viaJackson(e);
        }
        put((byte) '\n');
    }

    private void viaJackson(Event e) {
        jackson.reset();
        try (JsonGenerator g = JSON.createGenerator(jackson, JsonEncoding.UTF8)) {
            e.writeJson(g);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        byte[] b = jackson.toByteArray();
        put(b, b.length);
    }

    /** Writes {@code e} the quick way; false (having written some of it) when Jackson must. */
    private boolean fast(Event e) {
        put(T, T.length);
        number(e.t());
        put(SEQ, SEQ.length);
        number(e.seq());
        put(DOM, DOM.length);
        number(e.dom());
        put(COMP, COMP.length);
        if (!string(e.comp())) return false;
        put(EV, EV.length);
        if (!string(e.ev())) return false;
        Map<String, Object> fields = e.fields();
        if (fields instanceof EventFields f) {
            for (int i = 0, n = f.size(); i < n; i++) {
                if (!name(f.keyAt(i))) return false;
                if (f.isNumberAt(i)) number(f.numberAt(i));
                else if (!value(f.objectAt(i))) return false;
            }
        } else {
            for (Map.Entry<String, Object> en : fields.entrySet()) {
                if (!name(en.getKey()) || !value(en.getValue())) return false;
            }
        }
        put((byte) '}');
        return true;
    }

    private boolean name(String key) {
        put((byte) ',');
        if (key == null || !string(key)) return false;
        put((byte) ':');
        return true;
    }

    /** As Event.writeValue, for the values written here; false for the rest. */
    private boolean value(Object v) {
        if (v == null) put(NULL, NULL.length);
        else if (v instanceof Long l) number(l);
        else if (v instanceof Integer i) number(i);
        else if (v instanceof Short s) number(s);
        else if (v instanceof Byte b) number(b);
        else if (v instanceof Double) return false;
        else if (v instanceof Boolean b) {
            if (b) put(TRUE, TRUE.length);
            else put(FALSE, FALSE.length);
        } else if (v instanceof Collection<?> c) {
            put((byte) '[');
            boolean first = true;
            for (Object o : c) {
                if (!first) put((byte) ',');
                first = false;
                if (!value(o)) return false;
            }
            put((byte) ']');
        } else if (v instanceof long[] a) {
            put((byte) '[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) put((byte) ',');
                number(a[i]);
            }
            put((byte) ']');
        } else return string(v.toString());
        return true;
    }

    /** A quoted string of printable ASCII without '"' or '\\' (what Jackson writes unchanged); false for any other. */
    private boolean string(String s) {
        if (s == null) {
            put(NULL, NULL.length);
            return true;
        }
        int n = s.length();
        ensure(n + 2);
        byte[] b = buf;
        int p = len;
        b[p++] = '"';
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
            b[p++] = (byte) c;
        }
        b[p++] = '"';
        len = p;
        return true;
    }

    private void number(long v) {
        if (v == Long.MIN_VALUE) {
            put(MIN_LONG, MIN_LONG.length);
            return;
        }
        ensure(20);
        if (v < 0) {
            buf[len++] = '-';
            v = -v;
        }
        int digits = 1;
        for (long x = v; x >= 10; x /= 10) digits++;
        int p = len + digits;
        len = p;
        do {
            buf[--p] = (byte) ('0' + (int) (v % 10));
            v /= 10;
        } while (v != 0);
    }

    private void put(byte c) {
        ensure(1);
        buf[len++] = c;
    }

    private void put(byte[] b, int n) {
        ensure(n);
        System.arraycopy(b, 0, buf, len, n);
        len += n;
    }

    private void ensure(int more) {
        if (len + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
}
