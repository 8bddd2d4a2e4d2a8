package xensim.timeline;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Streams an {@code events.jsonl} file one line at a time with Jackson's streaming
 * {@link JsonParser}: nothing is kept but a read buffer (at most {@link #MAX_LINE_BYTES} plus one
 * read chunk), so a 1 GB log reads in a few MB of heap.
 *
 * <p>A line that is not one JSON object with the common fields ({@code t}, {@code seq}, {@code dom},
 * {@code comp}, {@code ev}) — malformed, truncated (the last line of a killed run), or longer than
 * {@link #MAX_LINE_BYTES} — is skipped and reported as a {@link Warning} with its 1-based line
 * number; it is never fatal. A {@code seq} that does not increase is reported but the event is kept.
 * Blank lines are ignored.
 */
public final class LogReader implements Closeable {
    /** Longest line accepted; longer ones are skipped with a warning (bounds memory). */
    public static final int MAX_LINE_BYTES = 1 << 20;
    /** Warnings kept verbatim; later ones are only counted. */
    public static final int MAX_WARNINGS_KEPT = 1000;

    private static final JsonFactory JSON = new JsonFactory();
    private static final int CHUNK = 1 << 18;

    /** A skipped or suspicious line. */
    public record Warning(long line, String message) {
        @Override
        public String toString() {
            return "line " + line + ": " + message;
        }
    }

    private final InputStream in;
    private byte[] buf = new byte[CHUNK];
    private int pos;       // start of unconsumed data
    private int lim;       // end of data
    private int scan;      // where to look for the next '\n'
    private boolean eof;
    private boolean skippingLongLine;
    private boolean firstLine = true;
    private long lineNo;
    private int lineStart;
    private int lineLen;
    private boolean lineUnterminated;
    private long lastSeq = Long.MIN_VALUE;
    private long events;
    private long bytes;
    private final List<Warning> warnings = new ArrayList<>();
    private long warningCount;
    private final String[] strings = new String[1024];

    public LogReader(InputStream in) {
        this(in, true);
    }

    /** {@code fast = false}: every line through Jackson (tests compare the two paths). */
    LogReader(InputStream in, boolean fast) {
        this.in = in;
        this.fast = fast;
    }

    private final boolean fast;

    /** Opens a log file for streaming. */
    public static LogReader open(Path file) throws IOException {
        return new LogReader(Files.newInputStream(file));
    }

    /** The next well-formed event, or null at the end of the input. */
    public LogEvent next() throws IOException {
        while (nextLine()) {
            LogEvent e = parseLine();
            if (e != null) {
                events++;
                return e;
            }
        }
        return null;
    }

    /** The raw text of the line {@link #next()} last returned (decoded on demand). */
    public String currentLine() {
        return new String(buf, lineStart, lineLen, StandardCharsets.UTF_8);
    }

    /** Lines read so far (including skipped and blank ones). */
    public long lines() { return lineNo; }
    /** Events returned so far. */
    public long events() { return events; }
    /** Bytes read so far. */
    public long bytes() { return bytes; }
    /** The first {@link #MAX_WARNINGS_KEPT} warnings. */
    public List<Warning> warnings() { return Collections.unmodifiableList(warnings); }
    /** All warnings, including those not kept. */
    public long warningCount() { return warningCount; }

    @Override
    public void close() throws IOException {
        in.close();
    }

    // --- lines ---------------------------------------------------------------------------------

    private boolean nextLine() throws IOException {
        while (true) {
            int nl = -1;
            for (int i = scan; i < lim; i++) {
                if (buf[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            if (nl >= 0) {
                lineNo++;
                lineStart = pos;
                lineLen = nl - pos;
                if (lineLen > 0 && buf[nl - 1] == '\r') lineLen--;
                pos = scan = nl + 1;
                lineUnterminated = false;
                if (skippingLongLine) {
                    skippingLongLine = false;
                    warn(lineNo, "longer than " + MAX_LINE_BYTES + " bytes, skipped");
                    continue;
                }
                stripBom();
                if (isBlank()) continue;
                return true;
            }
            scan = lim;
            if (eof) {
                if (pos < lim || skippingLongLine) {
                    lineNo++;
                    lineStart = pos;
                    lineLen = lim - pos;
                    pos = scan = lim;
                    lineUnterminated = true;
                    if (skippingLongLine) {
                        skippingLongLine = false;
                        warn(lineNo, "longer than " + MAX_LINE_BYTES + " bytes, skipped");
                        continue;
                    }
                    stripBom();
                    if (isBlank()) continue;
                    return true;
                }
                return false;
            }
            fill();
        }
    }

    private void fill() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            scan -= pos;
            pos = 0;
        }
        if (lim == buf.length) {
            if (buf.length < MAX_LINE_BYTES + CHUNK) {
                byte[] bigger = new byte[Math.min(buf.length * 2, MAX_LINE_BYTES + CHUNK)];
                System.arraycopy(buf, 0, bigger, 0, lim);
                buf = bigger;
            } else {
                // a line longer than the limit: drop what we have and skip to its end
                skippingLongLine = true;
                pos = scan = lim = 0;
            }
        }
        int n = in.read(buf, lim, buf.length - lim);
        if (n < 0) eof = true;
        else {
            lim += n;
            bytes += n;
        }
    }

    private void stripBom() {
        if (firstLine) {
            firstLine = false;
            if (lineLen >= 3 && (buf[lineStart] & 0xff) == 0xef && (buf[lineStart + 1] & 0xff) == 0xbb
                    && (buf[lineStart + 2] & 0xff) == 0xbf) {
                lineStart += 3;
                lineLen -= 3;
            }
        }
    }

    private boolean isBlank() {
        for (int i = lineStart, end = lineStart + lineLen; i < end; i++) {
            byte b = buf[i];
            if (b != ' ' && b != '\t' && b != '\r') return false;
        }
        return true;
    }

    private void warn(long line, String message) {
        warningCount++;
        if (warnings.size() < MAX_WARNINGS_KEPT) warnings.add(new Warning(line, message));
    }

    // --- one line ------------------------------------------------------------------------------

    private LogEvent parseLine() throws IOException {
        LogEvent e = fast ? parseFlat() : null;
        return e != null ? e : parseWithJackson();
    }

    // --- the fast path: one flat object as EventJsonEncoder writes it ---------------------------

    /**
     * Parses the line when it is a flat JSON object of the plain kind the simulator writes (keys and
     * string values of printable ASCII without escapes, integers that fit a long, booleans, null);
     * returns null for anything else (floats, escapes, non-ASCII, arrays, objects, malformed or
     * truncated lines, a missing or mistyped common field), which {@link #parseWithJackson} then
     * reads — and warns about — exactly as before. Both give the same event for a line both accept.
     */
    private LogEvent parseFlat() {
        final byte[] b = buf;
        int i = lineStart;
        final int end = lineStart + lineLen;
        i = ws(b, i, end);
        if (i >= end || b[i] != '{') return null;
        i = ws(b, i + 1, end);
        long t = 0;
        long seq = 0;
        long dom = 0;
        String comp = null;
        String ev = null;
        int have = 0;
        String[] names = null;
        Object[] values = null;
        int n = 0;
        if (i < end && b[i] == '}') return null; // {}: let the full parser say what is missing
        while (true) {
            if (i >= end || b[i] != '"') return null;
            int ks = i + 1;
            int ke = plainStringEnd(b, ks, end);
            if (ke < 0) return null;
            int keyHash = hash;
            i = ws(b, ke + 1, end);
            if (i >= end || b[i] != ':') return null;
            i = ws(b, i + 1, end);
            if (i >= end) return null;
            int klen = ke - ks;
            int common = klen <= 4 ? commonField(b, ks, klen) : -1;
            byte c = b[i];
            Object value;
            int next;
            if (c == '"') {
                int vs = i + 1;
                int ve = plainStringEnd(b, vs, end);
                if (ve < 0) return null;
                value = ve - vs <= 32 ? cachedAscii(b, vs, ve - vs, hash) : new String(b, vs, ve - vs, StandardCharsets.ISO_8859_1);
                next = ve + 1;
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                int j = i;
                boolean neg = c == '-';
                if (neg) j++;
                int ds = j;
                long v = 0;
                while (j < end && b[j] >= '0' && b[j] <= '9') {
                    v = v * 10 + (b[j] - '0');
                    j++;
                }
                int digits = j - ds;
                if (digits == 0 || digits > 18 || (digits > 1 && b[ds] == '0')) return null;
                if (j < end && (b[j] == '.' || b[j] == 'e' || b[j] == 'E')) return null; // floats: Jackson's
                value = neg ? -v : v;
                next = j;
            } else if (c == 't' && match(b, i, end, "true")) {
                value = Boolean.TRUE;
                next = i + 4;
            } else if (c == 'f' && match(b, i, end, "false")) {
                value = Boolean.FALSE;
                next = i + 5;
            } else if (c == 'n' && match(b, i, end, "null")) {
                value = null;
                next = i + 4;
            } else {
                return null; // arrays, objects, anything odd
            }
            switch (common) {
                case 0 -> {
                    if (!(value instanceof Long l)) return null;
                    t = l;
                    have |= 1;
                }
                case 1 -> {
                    if (!(value instanceof Long l)) return null;
                    seq = l;
                    have |= 2;
                }
                case 2 -> {
                    if (!(value instanceof Long l)) return null;
                    dom = l;
                    have |= 4;
                }
                case 3 -> {
                    if (!(value instanceof String s)) return null;
                    comp = s;
                    have |= 8;
                }
                case 4 -> {
                    if (!(value instanceof String s)) return null;
                    ev = s;
                    have |= 16;
                }
                default -> {
                    if (names == null) {
                        names = new String[12];
                        values = new Object[12];
                    } else if (n == names.length) {
                        names = java.util.Arrays.copyOf(names, n * 2);
                        values = java.util.Arrays.copyOf(values, n * 2);
                    }
                    names[n] = name(b, ks, klen, keyHash);
                    values[n] = value;
                    n++;
                }
            }
            i = ws(b, next, end);
            if (i >= end) return null;
            if (b[i] == ',') {
                i = ws(b, i + 1, end);
                continue;
            }
            if (b[i] != '}') return null;
            if (ws(b, i + 1, end) != end) return null;
            break;
        }
        if (have != 31 || dom < Integer.MIN_VALUE || dom > Integer.MAX_VALUE) return null;
        if (seq <= lastSeq) warn(lineNo, "seq " + seq + " does not follow " + lastSeq);
        lastSeq = seq;
        if (names == null) {
            names = new String[0];
            values = new Object[0];
        }
        return new LogEvent(lineNo, t, seq, (int) dom, comp, ev, names, values, n);
    }

    private static int ws(byte[] b, int i, int end) {
        while (i < end) {
            byte c = b[i];
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
            i++;
        }
        return i;
    }

    /** The index of the closing quote of a string of printable ASCII without escapes from {@code i}, or -1. */
    private int plainStringEnd(byte[] b, int i, int end) {
        int h = 0;
        for (; i < end; i++) {
            byte c = b[i];
            if (c == '"') {
                hash = h;
                return i;
            }
            if (c == '\\' || c < 0x20) return -1; // escapes, control characters and (negative) non-ASCII bytes
            h = 31 * h + c;
        }
        return -1;
    }

    /** The hash of the string {@link #plainStringEnd} last found. */
    private int hash;

    private static boolean match(byte[] b, int i, int end, String word) {
        if (end - i < word.length()) return false;
        for (int k = 0; k < word.length(); k++) if (b[i + k] != word.charAt(k)) return false;
        return true;
    }

    /** t, seq, dom, comp, ev → 0..4; anything else -1. */
    private static int commonField(byte[] b, int s, int len) {
        switch (len) {
            case 1:
                return b[s] == 't' ? 0 : -1;
            case 2:
                return b[s] == 'e' && b[s + 1] == 'v' ? 4 : -1;
            case 3:
                if (b[s] == 's' && b[s + 1] == 'e' && b[s + 2] == 'q') return 1;
                if (b[s] == 'd' && b[s + 1] == 'o' && b[s + 2] == 'm') return 2;
                return -1;
            case 4:
                return b[s] == 'c' && b[s + 1] == 'o' && b[s + 2] == 'm' && b[s + 3] == 'p' ? 3 : -1;
            default:
                return -1;
        }
    }

    private final String[] asciiStrings = new String[4096];
    private final byte[][] asciiStringBytes = new byte[4096][];
    private final String[] asciiNames = new String[1024];
    private final byte[][] asciiNameBytes = new byte[1024][];

    /** A field name, interned (as Jackson's names are), from a small cache; {@code h}: its {@link #hash}. */
    private String name(byte[] b, int off, int len, int h) {
        int slot = slot(asciiNames.length, h);
        byte[] k = asciiNameBytes[slot];
        if (k != null && java.util.Arrays.equals(k, 0, k.length, b, off, off + len)) return asciiNames[slot];
        String s = new String(b, off, len, StandardCharsets.ISO_8859_1).intern();
        asciiNames[slot] = s;
        asciiNameBytes[slot] = java.util.Arrays.copyOfRange(b, off, off + len);
        return s;
    }

    /** A short ASCII string value from a small cache (component, event and state names repeat). */
    private String cachedAscii(byte[] b, int off, int len, int h) {
        int slot = slot(asciiStrings.length, h);
        byte[] k = asciiStringBytes[slot];
        if (k != null && java.util.Arrays.equals(k, 0, k.length, b, off, off + len)) return asciiStrings[slot];
        String s = new String(b, off, len, StandardCharsets.ISO_8859_1);
        asciiStrings[slot] = s;
        asciiStringBytes[slot] = java.util.Arrays.copyOfRange(b, off, off + len);
        return s;
    }

    private static int slot(int size, int h) {
        return (h ^ (h >>> 11) ^ (h >>> 22)) & (size - 1);
    }

    // --- the general path ------------------------------------------------------------------------

    private LogEvent parseWithJackson() throws IOException {
        long t = 0;
        long seq = 0;
        long dom = 0;
        String comp = null;
        String ev = null;
        int have = 0; // bits: t, seq, dom, comp, ev
        String[] names = new String[8];
        Object[] values = new Object[8];
        int n = 0;
        try (JsonParser p = JSON.createParser(buf, lineStart, lineLen)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                warn(lineNo, "not a JSON object, skipped");
                return null;
            }
            JsonToken tok;
            while ((tok = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken vt = p.nextToken();
                switch (name) {
                    case "t" -> {
                        if (vt != JsonToken.VALUE_NUMBER_INT) return bad("t is not an integer");
                        t = p.getLongValue();
                        have |= 1;
                    }
                    case "seq" -> {
                        if (vt != JsonToken.VALUE_NUMBER_INT) return bad("seq is not an integer");
                        seq = p.getLongValue();
                        have |= 2;
                    }
                    case "dom" -> {
                        if (vt != JsonToken.VALUE_NUMBER_INT) return bad("dom is not an integer");
                        dom = p.getLongValue();
                        have |= 4;
                    }
                    case "comp" -> {
                        if (vt != JsonToken.VALUE_STRING) return bad("comp is not a string");
                        comp = text(p);
                        have |= 8;
                    }
                    case "ev" -> {
                        if (vt != JsonToken.VALUE_STRING) return bad("ev is not a string");
                        ev = text(p);
                        have |= 16;
                    }
                    default -> {
                        if (n == names.length) {
                            names = java.util.Arrays.copyOf(names, n * 2);
                            values = java.util.Arrays.copyOf(values, n * 2);
                        }
                        names[n] = name;
                        values[n] = value(p, vt);
                        n++;
                    }
                }
            }
            if (tok != JsonToken.END_OBJECT) {
                return bad("not a flat JSON object");
            }
            if (p.nextToken() != null) return bad("trailing data after the JSON object");
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            int cut = msg.indexOf('\n');
            if (cut > 0) msg = msg.substring(0, cut);
            return bad((lineUnterminated ? "truncated or malformed JSON (last line, no newline): " : "malformed JSON: ") + msg);
        }
        if (have != 31) {
            String[] common = {"t", "seq", "dom", "comp", "ev"};
            StringBuilder missing = new StringBuilder();
            for (int i = 0; i < 5; i++) if ((have & (1 << i)) == 0) missing.append(missing.length() == 0 ? "" : ", ").append(common[i]);
            return bad("missing " + missing);
        }
        if (dom < Integer.MIN_VALUE || dom > Integer.MAX_VALUE) return bad("dom out of range");
        if (seq <= lastSeq) warn(lineNo, "seq " + seq + " does not follow " + lastSeq);
        lastSeq = seq;
        return new LogEvent(lineNo, t, seq, (int) dom, comp, ev, names, values, n);
    }

    private LogEvent bad(String why) {
        warn(lineNo, why + ", skipped");
        return null;
    }

    private Object value(JsonParser p, JsonToken vt) throws IOException {
        switch (vt) {
            case VALUE_NUMBER_INT:
                return switch (p.getNumberType()) {
                    case INT, LONG -> Long.valueOf(p.getLongValue());
                    default -> p.getNumberValue();
                };
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_STRING:
                return text(p);
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                JsonToken t;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (t == null) throw new JsonParseException(p, "unterminated array");
                    list.add(value(p, t));
                }
                return list;
            }
            case START_OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                JsonToken t;
                while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    map.put(k, value(p, p.nextToken()));
                }
                if (t != JsonToken.END_OBJECT) throw new JsonParseException(p, "unterminated object");
                return map;
            }
            default:
                throw new JsonParseException(p, "unexpected token " + vt);
        }
    }

    /** A string value; short ones (component, event and state names) come from a small cache. */
    private String text(JsonParser p) throws IOException {
        int len = p.getTextLength();
        if (len > 32) return p.getText();
        char[] cs = p.getTextCharacters();
        int off = p.getTextOffset();
        int h = len;
        for (int i = 0; i < len; i++) h = 31 * h + cs[off + i];
        int slot = (h ^ (h >>> 13)) & (strings.length - 1);
        String s = strings[slot];
        if (s != null && s.length() == len) {
            boolean same = true;
            for (int i = 0; i < len; i++) {
                if (s.charAt(i) != cs[off + i]) {
                    same = false;
                    break;
                }
            }
            if (same) return s;
        }
        s = new String(cs, off, len);
        strings[slot] = s;
        return s;
    }
}
