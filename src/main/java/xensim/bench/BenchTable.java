package xensim.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A small aligned text table for bench output. */
public final class BenchTable {
    private final List<String[]> rows = new ArrayList<>();
    private final String[] header;

    public BenchTable(String... header) {
        this.header = header;
    }

    public BenchTable row(Object... cells) {
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) r[i] = String.valueOf(cells[i]);
        rows.add(r);
        return this;
    }

    public void print(PrintWriter out) {
        int[] w = new int[header.length];
        for (int i = 0; i < header.length; i++) w[i] = header[i].length();
        for (String[] r : rows) for (int i = 0; i < r.length && i < w.length; i++) w[i] = Math.max(w[i], r[i].length());
        line(out, header, w);
        StringBuilder sep = new StringBuilder();
        for (int i = 0; i < w.length; i++) sep.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
        out.println(sep);
        for (String[] r : rows) line(out, r, w);
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
}
