package xensim.timeline;

import java.math.BigDecimal;
import java.util.Locale;

/** Virtual time (the log's {@code t}, ns): parsing {@code 5ms}, {@code 200us}, {@code 1s}, {@code 750} and printing. */
public final class VirtualTime {
    private VirtualTime() {}

    /**
     * Parses a duration or instant in virtual time: a non-negative number with an optional unit
     * {@code ns}, {@code us} (or {@code µs}), {@code ms}, {@code s}; plain numbers are ns. Fractions
     * are allowed ({@code 1.5ms}); the result is rounded down to whole ns.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static long parse(String text) {
        if (text == null) throw new IllegalArgumentException("missing time");
        String s = text.trim().toLowerCase(Locale.ROOT);
        long scale;
        String num;
        if (s.endsWith("ns")) { scale = 1; num = s.substring(0, s.length() - 2); }
        else if (s.endsWith("us") || s.endsWith("µs")) { scale = 1_000; num = s.substring(0, s.length() - 2); }
        else if (s.endsWith("ms")) { scale = 1_000_000; num = s.substring(0, s.length() - 2); }
        else if (s.endsWith("s")) { scale = 1_000_000_000; num = s.substring(0, s.length() - 1); }
        else { scale = 1; num = s; }
        num = num.trim();
        if (num.isEmpty() || !num.matches("[0-9]+(\\.[0-9]*)?|\\.[0-9]+")) {
            throw new IllegalArgumentException("not a virtual time: '" + text + "' (use e.g. 5ms, 200us, 1s or plain ns)");
        }
        BigDecimal ns = new BigDecimal(num).multiply(BigDecimal.valueOf(scale));
        if (ns.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) throw new IllegalArgumentException("time too large: " + text);
        return ns.longValue();
    }

    /** 1234 → "1.234 µs", 5_000_000 → "5.000 ms", 12 → "12 ns". */
    public static String format(long ns) {
        long a = Math.abs(ns);
        String sign = ns < 0 ? "-" : "";
        if (a < 1_000) return sign + a + " ns";
        if (a < 1_000_000) return sign + fixed(a, 1_000) + " µs";
        if (a < 1_000_000_000) return sign + fixed(a, 1_000_000) + " ms";
        return sign + fixed(a, 1_000_000_000) + " s";
    }

    private static String fixed(long a, long unit) {
        long whole = a / unit;
        long frac = (a % unit) * 1000 / unit;
        return whole + "." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + frac;
    }

    /** ns → µs with exactly three decimals, as Chrome trace {@code ts}/{@code dur} want: 1234567 → "1234.567". */
    static String micros(long ns) {
        StringBuilder sb = new StringBuilder(24);
        if (ns < 0) {
            sb.append('-');
            ns = -ns;
        }
        long frac = ns % 1000;
        sb.append(ns / 1000).append('.');
        if (frac < 100) sb.append('0');
        if (frac < 10) sb.append('0');
        return sb.append(frac).toString();
    }
}
