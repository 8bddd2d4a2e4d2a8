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
    private static final Map<String, AtomicLong> CPU = new ConcurrentSkipListMap<>();
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** A start mark for {@link #time}: wall and this thread's CPU nanoseconds. */
    public static long[] start() {
        return new long[] {System.nanoTime(), THREADS.getCurrentThreadCpuTime()};
    }

    /**
     * Adds the wall time and this thread's CPU time since {@code start} to {@code area} (reporting
     * only; nothing asserts speed). On a busy machine the CPU time is the better figure for a
     * pure-core area; an actor area's work runs on the simulation's thread, so only wall time says
     * much there.
     */
    public static void time(String area, long[] start) {
        NANOS.computeIfAbsent(area, k -> new AtomicLong()).addAndGet(System.nanoTime() - start[0]);
        CPU.computeIfAbsent(area, k -> new AtomicLong()).addAndGet(THREADS.getCurrentThreadCpuTime() - start[1]);
    }

    /** Counts {@code n} inputs of {@code area}. */
    public static void inputs(String area, long n) {
        INPUTS.computeIfAbsent(area, k -> new AtomicLong()).addAndGet(n);
    }

    private static long get(Map<String, AtomicLong> m, String k) {
        AtomicLong v = m.get(k);
        return v == null ? 0 : v.get();
    }

    private static final Map<String, AtomicLong> CHECKS = new ConcurrentSkipListMap<>();

    /** Counts one asserted expectation (an oracle rule that decided an answer), for the report. */
    public static void checked(String rule) {
        checked(rule, 1);
    }

    /** Counts {@code n} asserted expectations of {@code rule}. */
    public static void checked(String rule, long n) {
        CHECKS.computeIfAbsent(rule, k -> new AtomicLong()).addAndGet(n);
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
        long totalCpu = 0;
        long total = 0;
        for (Map.Entry<String, Long> e : byArea().entrySet()) {
            long ns = get(NANOS, e.getKey());
            long cpu = get(CPU, e.getKey());
            totalNanos += ns;
            totalCpu += cpu;
            total += e.getValue();
            sb.append(String.format("  %-38s %,11d inputs  %7.1f s wall  %7.1f s cpu (test thread)%n", e.getKey(), e.getValue(),
                    ns / 1e9, cpu / 1e9));
        }
        sb.append(String.format("  %-38s %,11d inputs  %7.1f s wall  %7.1f s cpu (required: %,d inputs)%n", "TOTAL", total,
                totalNanos / 1e9, totalCpu / 1e9, REQUIRED_TOTAL));
        if (!CHECKS.isEmpty()) {
            sb.append("  answers checked against the real component, by rule:");
            int i = 0;
            for (Map.Entry<String, AtomicLong> e : CHECKS.entrySet()) {
                sb.append(i++ % 4 == 0 ? "\n    " : "  ").append(String.format("%-28s %,9d", e.getKey(), e.getValue().get()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
