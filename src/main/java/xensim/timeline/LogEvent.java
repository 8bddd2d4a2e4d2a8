package xensim.timeline;

import java.util.List;

/**
 * One line of {@code events.jsonl} as {@link LogReader} parsed it: the common fields of
 * docs/events.md ({@code t} in virtual ns, {@code seq}, {@code dom}, {@code comp}, {@code ev}) and
 * the event's own fields in file order. Values are {@link Long}, {@link Double}, {@link Boolean},
 * {@link String}, {@code null}, {@link List} (JSON arrays) or {@link java.util.Map} (JSON objects).
 * Immutable; cheap to create (parallel arrays, no map).
 */
public final class LogEvent {
    private final long line;
    private final long t;
    private final long seq;
    private final int dom;
    private final String comp;
    private final String ev;
    private final String[] names;
    private final Object[] values;
    private final int size;

    LogEvent(long line, long t, long seq, int dom, String comp, String ev, String[] names, Object[] values, int size) {
        this.line = line;
        this.t = t;
        this.seq = seq;
        this.dom = dom;
        this.comp = comp;
        this.ev = ev;
        this.names = names;
        this.values = values;
        this.size = size;
    }

    /** 1-based line number in the log file. */
    public long line() { return line; }
    /** Virtual time, ns since the run began. */
    public long t() { return t; }
    public long seq() { return seq; }
    public int dom() { return dom; }
    public String comp() { return comp; }
    public String ev() { return ev; }

    /** Number of event-specific fields (the common five excluded). */
    public int fieldCount() { return size; }
    public String fieldName(int i) { return names[i]; }
    public Object fieldValue(int i) { return values[i]; }

    /** Whether the field is present (even with a JSON null). */
    public boolean has(String field) {
        return indexOf(field) >= 0;
    }

    /** The field's value, or null when absent or JSON null. */
    public Object get(String field) {
        int i = indexOf(field);
        return i < 0 ? null : values[i];
    }

    /** The field as a long when it is a JSON number, else {@code dflt}. */
    public long getLong(String field, long dflt) {
        return get(field) instanceof Number n ? n.longValue() : dflt;
    }

    /** The field as text (numbers and booleans printed), or null when absent or null. */
    public String getString(String field) {
        Object v = get(field);
        return v == null ? null : v.toString();
    }

    /** True only for a JSON {@code true}. */
    public boolean isTrue(String field) {
        return Boolean.TRUE.equals(get(field));
    }

    /** True only for a JSON {@code false} (absent is not false). */
    public boolean isFalse(String field) {
        return Boolean.FALSE.equals(get(field));
    }

    private int indexOf(String field) {
        for (int i = 0; i < size; i++) {
            String n = names[i];
            if (n == field || n.equals(field)) return i;
        }
        return -1;
    }

    /** {@code #seq t dom comp EV k=v …} — one line for chains and listings. */
    public String describe() {
        StringBuilder sb = new StringBuilder(96);
        sb.append('#').append(seq).append(' ').append(VirtualTime.format(t)).append(" dom").append(dom)
                .append(' ').append(comp).append(' ').append(ev);
        for (int i = 0; i < size; i++) {
            sb.append(' ').append(names[i]).append('=');
            Object v = values[i];
            if (v instanceof String s && (s.isEmpty() || s.indexOf(' ') >= 0)) sb.append('"').append(s).append('"');
            else sb.append(v);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
