package xensim.bench;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small aligned text table for bench output, and the same rows as JSON ({@code bench … --json F},
 * {@link #writeJson}): one object per row with its name, each cell's value and unit, and, where the
 * row has them, the raw-tell baseline measured in the same run and the row's share of the bound.
 *
 * <p>A cell may be a {@link Value} (a number with its unit and its printed text) or anything else,
 * printed with {@code toString()}; a printed number ("1,234,568", "0.42", "31.4%") becomes a JSON
 * number too, its unit taken from the column header's parentheses ("peak heap (MB)" → MB), else the
 * header itself ("seconds", "requests/s"), or — in a two-column measure/value table — from the row
 * name's parentheses ("raw Akka tell (msg/s)" → msg/s). Text cells stay text.
 */
public final class BenchTable {
    /** A number, its unit and how the table prints it. */
    public record Value(double value, String unit, String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    /** The figure a row is measured against in the same run (raw Akka tell). */
    public record Baseline(String name, double value, String unit) {}

    /** The bound a row is judged against (raw tell ÷ messages per unit of work) and the row's share of it. */
    public record Bound(double value, String unit, double share) {}

    private static final class Row {
        final Object[] cells;
        final String[] text;
        Baseline baseline;
        Bound bound;

        Row(Object[] cells) {
            this.cells = cells;
            text = new String[cells.length];
            for (int i = 0; i < cells.length; i++) text[i] = String.valueOf(cells[i]);
        }
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<String[]> targets = new ArrayList<>(); // {text, met}
    private final String[] header;

    public BenchTable(String... header) {
        this.header = header;
    }

    /** A cell with a number and its unit, printed as {@code text}. */
    public static Value v(double value, String unit, String text) {
        return new Value(value, unit, text);
    }

    public BenchTable row(Object... cells) {
        rows.add(new Row(cells));
        return this;
    }

    /** The last row was measured against this baseline (in the same run). */
    public BenchTable baseline(String name, double value, String unit) {
        last().baseline = new Baseline(name, value, unit);
        return this;
    }

    /** The last row is judged against this bound, and {@code share} is its fraction of it (0.31 = 31 %). */
    public BenchTable bound(double value, String unit, double share) {
        last().bound = new Bound(value, unit, share);
        return this;
    }

    /** A target line ("target: … -> met"), printed after the table and kept in the JSON. */
    public BenchTable target(String text, boolean met) {
        targets.add(new String[] {text, Boolean.toString(met)});
        return this;
    }

    private Row last() {
        if (rows.isEmpty()) throw new IllegalStateException("no row yet");
        return rows.get(rows.size() - 1);
    }

    public void print(PrintWriter out) {
        int[] w = new int[header.length];
        for (int i = 0; i < header.length; i++) w[i] = header[i].length();
        for (Row r : rows) for (int i = 0; i < r.text.length && i < w.length; i++) w[i] = Math.max(w[i], r.text[i].length());
        line(out, header, w);
        StringBuilder sep = new StringBuilder();
        for (int i = 0; i < w.length; i++) sep.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
        out.println(sep);
        for (Row r : rows) line(out, r.text, w);
        for (String[] t : targets) out.println("target: " + t[0] + " -> " + (Boolean.parseBoolean(t[1]) ? "met" : "NOT met"));
        out.flush();
    }

    private static void line(PrintWriter out, String[] cells, int[] w) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) sb.append("  ");
            sb.append(i == 0 ? String.format("%-" + w[i] + "s", cells[i]) : String.format("%" + w[i] + "s", cells[i]));
        }
        out.println(sb.toString().stripTrailing());
    }

    /** 1234567.8 → "1,234,568". */
    public static String num(double v) {
        return String.format("%,.0f", v);
    }

    // --- JSON ------------------------------------------------------------------------------------

    /** Where and what a bench file was measured: written once per file, before the rows. */
    public record Meta(String bench, String command, String date, String version, String commit, int cores, String java,
                       String os, long maxHeapBytes, double loadAverage) {}

    private static final Pattern NUMBER = Pattern.compile("-?[0-9][0-9,]*(\\.[0-9]+)?(%)?");
    private static final Pattern PAREN_UNIT = Pattern.compile("\\(([^()]+)\\)\\s*$");

    /** Writes {@code meta} and the tables' rows as one JSON object ({@code "rows": [...]}), UTF-8. */
    public static void writeJson(OutputStream out, Meta meta, List<BenchTable> tables) throws IOException {
        try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("schema", "xensim-bench/1");
            g.writeStringField("bench", meta.bench());
            g.writeStringField("command", meta.command());
            g.writeStringField("date", meta.date());
            g.writeObjectFieldStart("xensim");
            g.writeStringField("version", meta.version());
            g.writeStringField("commit", meta.commit());
            g.writeEndObject();
            g.writeObjectFieldStart("machine");
            g.writeNumberField("cores", meta.cores());
            g.writeStringField("java", meta.java());
            g.writeStringField("os", meta.os());
            g.writeNumberField("maxHeapMB", meta.maxHeapBytes() >> 20);
            if (meta.loadAverage() >= 0) g.writeNumberField("loadAverage", round(meta.loadAverage(), 2));
            g.writeEndObject();
            g.writeArrayFieldStart("rows");
            for (BenchTable t : tables) for (Row r : t.rows) t.writeRow(g, r);
            g.writeEndArray();
            g.writeArrayFieldStart("targets");
            for (BenchTable t : tables) {
                for (String[] tg : t.targets) {
                    g.writeStartObject();
                    g.writeStringField("target", tg[0]);
                    g.writeBooleanField("met", Boolean.parseBoolean(tg[1]));
                    g.writeEndObject();
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    private void writeRow(JsonGenerator g, Row r) throws IOException {
        g.writeStartObject();
        String name = r.text.length > 0 ? r.text[0].strip() : "";
        g.writeStringField("row", name);
        g.writeStringField("column", header.length > 0 ? header[0] : "");
        g.writeArrayFieldStart("values");
        boolean measureValue = header.length == 2;
        for (int i = 1; i < r.cells.length; i++) {
            String column = i < header.length ? header[i] : "column " + i;
            g.writeStartObject();
            g.writeStringField("name", column);
            Object c = r.cells[i];
            if (c instanceof Value v) {
                number(g, v.value());
                g.writeStringField("unit", v.unit());
            } else if (c instanceof Number n && !(c instanceof Double d && !Double.isFinite(d))) {
                number(g, n.doubleValue());
                g.writeStringField("unit", unit(column, name, measureValue));
            } else {
                Matcher m = NUMBER.matcher(r.text[i].strip());
                if (m.matches()) {
                    String digits = r.text[i].strip().replace(",", "").replace("%", "");
                    number(g, Double.parseDouble(digits));
                    g.writeStringField("unit", m.group(2) != null ? "%" : unit(column, name, measureValue));
                }
            }
            g.writeStringField("text", r.text[i]);
            g.writeEndObject();
        }
        g.writeEndArray();
        if (r.baseline != null) {
            g.writeObjectFieldStart("baseline");
            g.writeStringField("name", r.baseline.name());
            number(g, r.baseline.value());
            g.writeStringField("unit", r.baseline.unit());
            g.writeEndObject();
        }
        if (r.bound != null) {
            g.writeObjectFieldStart("bound");
            number(g, r.bound.value());
            g.writeStringField("unit", r.bound.unit());
            g.writeEndObject();
            g.writeNumberField("shareOfBound", round(r.bound.share(), 4));
        }
        g.writeEndObject();
    }

    /** The unit of a printed number: the column's parentheses, else the column's name; a measure/value table's row's. */
    static String unit(String column, String row, boolean measureValue) {
        String label = measureValue ? row : column;
        Matcher m = PAREN_UNIT.matcher(label);
        if (m.find() && UNIT.matcher(m.group(1)).matches()) return m.group(1);
        Matcher rate = RATE.matcher(label);
        if (rate.find()) return rate.group();
        return measureValue ? "" : column;
    }

    /** What a unit in parentheses looks like: "MB", "ms", "msg/s", "events/s" (not "32 in flight"). */
    private static final Pattern UNIT = Pattern.compile("[A-Za-z%\u00b5]{1,10}(/[A-Za-z]{1,4})?");
    /** A rate named in a label: "requests/s", "seeds/min". */
    private static final Pattern RATE = Pattern.compile("[A-Za-z]+/(s|min)\\b");

    private static void number(JsonGenerator g, double v) throws IOException {
        g.writeFieldName("value");
        if (!Double.isFinite(v)) g.writeNull();
        else if (v == Math.rint(v) && Math.abs(v) < 1e15) g.writeNumber((long) v);
        else g.writeNumber(v);
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
