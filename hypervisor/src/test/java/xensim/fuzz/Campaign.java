package xensim.fuzz;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hostile-guest campaign's book-keeping: how many generated inputs each area fed to the host
 * (one input = one frame, request, ring-index game or hypercall a hostile guest makes) and how long
 * it took. {@link HostileGuestProperties} prints the table and asserts the total after every area
 * has run.
 */
public final class Campaign {
    private Campaign() {}

    /** The total every CI run must reach. */
    public static final long REQUIRED_TOTAL = 1_000_000;

    private static final Map<String, AtomicLong> INPUTS = new ConcurrentSkipListMap<>();
    private static final Map<String, AtomicLong> NANOS = new ConcurrentSkipListMap<>();

    /** Counts {@code n} inputs of {@code area}. */
    public static void inputs(String area, long n) {
        INPUTS.computeIfAbsent(area, k -> new AtomicLong()).addAndGet(n);
    }

    /** Adds the wall time one try of {@code area} took (reporting only; nothing asserts speed). */
    public static void time(String area, long nanos) {
        NANOS.computeIfAbsent(area, k -> new AtomicLong()).addAndGet(nanos);
    }

    public static long total() {
        return INPUTS.values().stream().mapToLong(AtomicLong::get).sum();
    }

    public static Map<String, Long> byArea() {
        Map<String, Long> m = new TreeMap<>();
        INPUTS.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** One line per area and the total, for the build log. */
    public static String report() {
        StringBuilder sb = new StringBuilder("hostile-guest campaign: generated inputs per area\n");
        long totalNanos = 0;
        long total = 0;
        for (Map.Entry<String, Long> e : byArea().entrySet()) {
            AtomicLong t = NANOS.get(e.getKey());
            long ns = t == null ? 0 : t.get();
            totalNanos += ns;
            total += e.getValue();
            sb.append(String.format("  %-34s %,11d inputs  %7.1f s%n", e.getKey(), e.getValue(), ns / 1e9));
        }
        sb.append(String.format("  %-34s %,11d inputs  %7.1f s (required: %,d)%n", "TOTAL", total, totalNanos / 1e9,
                REQUIRED_TOTAL));
        return sb.toString();
    }
}
