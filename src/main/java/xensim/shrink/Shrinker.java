package xensim.shrink;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import xensim.platform.schedule.Deviation;

/**
 * Reduces a failing run, one dimension at a time, to a variant that still fails: its faults
 * (ddmin), its guests, disks and I/Os before and after EBS (the smallest count that still fails,
 * by trying the minimum and then bisecting), and its schedule's deviations from FIFO (ddmin). The
 * dimensions are tried again while any of them shrank (at most three rounds). Each attempt is one
 * run; the caller's predicate runs it and says whether the same invariant still breaks.
 */
public final class Shrinker {

    /**
     * One run's shape. {@code faults} are the command line's fault texts; {@code deviations} null:
     * the run's schedule is not a deviation list (FIFO, or not shrinkable) and is left alone.
     */
    public record Variant(List<String> faults, int guests, int disks, int ioBefore, int ioAfter, List<Deviation> deviations) {
        public Variant {
            faults = List.copyOf(faults);
            deviations = deviations == null ? null : List.copyOf(deviations);
        }

        Variant withFaults(List<String> f) {
            return new Variant(f, guests, disks, ioBefore, ioAfter, deviations);
        }

        Variant withGuests(int g) {
            return new Variant(faults, g, disks, ioBefore, ioAfter, deviations);
        }

        Variant withDisks(int d) {
            return new Variant(faults, guests, d, ioBefore, ioAfter, deviations);
        }

        Variant withIoBefore(int n) {
            return new Variant(faults, guests, disks, n, ioAfter, deviations);
        }

        Variant withIoAfter(int n) {
            return new Variant(faults, guests, disks, ioBefore, n, deviations);
        }

        Variant withDeviations(List<Deviation> d) {
            return new Variant(faults, guests, disks, ioBefore, ioAfter, d);
        }
    }

    /** The minimal variant found, what was removed (one line per dimension), and the runs it took. */
    public record Result(Variant minimal, List<String> removed, int runs) {}

    private final Predicate<Variant> fails;
    private int runs;
    private final java.util.Map<Variant, Boolean> seen = new java.util.HashMap<>();

    /** @param fails runs a variant; true when it still breaks the invariant */
    public Shrinker(Predicate<Variant> fails) {
        this.fails = fails;
    }

    private boolean test(Variant v) {
        return seen.computeIfAbsent(v, k -> {
            runs++;
            return fails.test(k);
        });
    }

    /** Shrinks {@code failing} (which the caller has seen fail). */
    public Result shrink(Variant failing) {
        seen.put(failing, true);
        Variant v = failing;
        for (int round = 0; round < 3; round++) {
            Variant before = v;
            Variant c0 = v;
            Variant cur = c0.withFaults(Ddmin.minimise(c0.faults(), f -> test(c0.withFaults(f))));
            Variant c1 = cur;
            cur = cur.withGuests(smallest(1, cur.guests(), g -> test(c1.withGuests(g))));
            Variant c2 = cur;
            cur = cur.withDisks(smallest(1, cur.disks(), d -> test(c2.withDisks(d))));
            Variant c3 = cur;
            cur = cur.withIoAfter(smallest(0, cur.ioAfter(), n -> test(c3.withIoAfter(n))));
            Variant c4 = cur;
            cur = cur.withIoBefore(smallest(0, cur.ioBefore(), n -> test(c4.withIoBefore(n))));
            if (cur.deviations() != null) {
                Variant c5 = cur;
                cur = cur.withDeviations(Ddmin.minimise(cur.deviations(), d -> test(c5.withDeviations(d))));
            }
            v = cur;
            if (v.equals(before)) break;
        }
        return new Result(v, removed(failing, v), runs);
    }

    /** The smallest value in [min, current] that still fails: the minimum first, then bisection (not monotone in general: a heuristic). */
    static int smallest(int min, int current, java.util.function.IntPredicate fails) {
        if (current <= min) return current;
        if (fails.test(min)) return min;
        int lo = min; // passes
        int hi = current; // fails
        while (hi - lo > 1) {
            int mid = lo + (hi - lo) / 2;
            if (fails.test(mid)) hi = mid;
            else lo = mid;
        }
        return hi;
    }

    static List<String> removed(Variant a, Variant b) {
        List<String> out = new ArrayList<>();
        List<String> gone = new ArrayList<>(a.faults());
        gone.removeAll(b.faults());
        for (String f : gone) out.add("fault '" + f + "'");
        if (a.guests() != b.guests()) out.add("guests " + a.guests() + " -> " + b.guests());
        if (a.disks() != b.disks()) out.add("disks " + a.disks() + " -> " + b.disks());
        if (a.ioBefore() != b.ioBefore()) out.add("io-before-ebs " + a.ioBefore() + " -> " + b.ioBefore());
        if (a.ioAfter() != b.ioAfter()) out.add("io-after-ebs " + a.ioAfter() + " -> " + b.ioAfter());
        if (a.deviations() != null && a.deviations().size() != b.deviations().size()) {
            out.add("schedule deviations from FIFO " + a.deviations().size() + " -> " + b.deviations().size());
        }
        return out;
    }
}
