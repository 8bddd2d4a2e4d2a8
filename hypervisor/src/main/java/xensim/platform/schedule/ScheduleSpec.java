package xensim.platform.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code --schedule} names, in canonical form (RUN_BEGIN and replay lines print
 * {@link #toString()}; parsing it gives the same spec back).
 *
 * <ul>
 *   <li>{@code fifo} — today's executor: the run queue drained in order, then the earliest timed
 *       delivery; dispatcher throughput 16. The default.</li>
 *   <li>{@code random} — a uniformly drawn candidate each step.</li>
 *   <li>{@code pct:D} or {@code pct:D/K} — PCT of depth D (D-1 change points) over an estimate of
 *       K steps (default {@link #DEFAULT_PCT_STEPS}).</li>
 *   <li>{@code pos} — partial order sampling.</li>
 *   <li>{@code dev:S.I,S.I,...} (or {@code dev:} for none) — FIFO at throughput 1 except at the
 *       listed steps; what every controlled run records of itself.</li>
 * </ul>
 * Every kind but fifo runs the dispatcher at throughput 1: one actor message per step.
 */
public record ScheduleSpec(Kind kind, int depth, long steps, List<Deviation> deviations) {

    public enum Kind { FIFO, RANDOM, PCT, POS, DEV }

    /** PCT's step estimate when none is given: about the steps of the default 1-guest run (4,500). */
    public static final long DEFAULT_PCT_STEPS = 5_000;

    public static final ScheduleSpec FIFO = new ScheduleSpec(Kind.FIFO, 0, 0, List.of());

    public ScheduleSpec {
        deviations = deviations == null ? List.of() : List.copyOf(new java.util.TreeSet<>(deviations));
    }

    public static ScheduleSpec pct(int depth, long steps) {
        return new ScheduleSpec(Kind.PCT, depth, steps, List.of());
    }

    public static ScheduleSpec dev(List<Deviation> deviations) {
        return new ScheduleSpec(Kind.DEV, 0, 0, deviations);
    }

    /** Whether the executor runs a scheduler at all (fifo keeps today's loop, byte for byte). */
    public boolean controlled() {
        return kind != Kind.FIFO;
    }

    /** A fresh scheduler for one run. */
    public Scheduler create(long seed) {
        return switch (kind) {
            case FIFO -> null;
            case RANDOM -> new RandomScheduler(seed);
            case PCT -> new PctScheduler(seed, depth, steps);
            case POS -> new PosScheduler(seed);
            case DEV -> new DeviationScheduler(deviations);
        };
    }

    /** Parses {@code --schedule}; IllegalArgumentException with a one-line reason. */
    public static ScheduleSpec parse(String s) {
        if (s == null) throw new IllegalArgumentException("no schedule");
        String t = s.trim();
        switch (t) {
            case "fifo": return FIFO;
            case "random": return new ScheduleSpec(Kind.RANDOM, 0, 0, List.of());
            case "pos": return new ScheduleSpec(Kind.POS, 0, 0, List.of());
            default: break;
        }
        if (t.startsWith("pct:")) {
            String rest = t.substring(4);
            String d = rest;
            long k = DEFAULT_PCT_STEPS;
            int slash = rest.indexOf('/');
            if (slash >= 0) {
                d = rest.substring(0, slash);
                k = number(rest.substring(slash + 1), "pct step estimate K", 1, 1_000_000_000L);
            }
            int depth = (int) number(d, "pct depth D", 1, 100);
            return pct(depth, k);
        }
        if (t.startsWith("dev:")) {
            List<Deviation> out = new ArrayList<>();
            String rest = t.substring(4);
            if (!rest.isEmpty()) {
                for (String part : rest.split(",")) {
                    int dot = part.indexOf('.');
                    if (dot < 0) throw new IllegalArgumentException("schedule deviation '" + part + "': expected STEP.INDEX");
                    long step = number(part.substring(0, dot), "deviation step", 0, Long.MAX_VALUE);
                    int index = (int) number(part.substring(dot + 1), "deviation index", 1, 1_000_000);
                    out.add(new Deviation(step, index));
                }
            }
            return dev(out);
        }
        throw new IllegalArgumentException("unknown schedule '" + s + "' (expected fifo, random, pct:D[/K], pos or dev:STEP.INDEX,...)");
    }

    private static long number(String s, String what, long min, long max) {
        long v;
        try {
            v = Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + s + "' is not a number");
        }
        if (v < min || v > max) throw new IllegalArgumentException(what + " " + v + " is out of range " + min + ".." + max);
        return v;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case FIFO -> "fifo";
            case RANDOM -> "random";
            case POS -> "pos";
            case PCT -> "pct:" + depth + "/" + steps;
            case DEV -> "dev:" + String.join(",", deviations.stream().map(Deviation::toString).toList());
        };
    }
}
