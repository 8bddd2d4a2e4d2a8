package xensim.dom0.blkback;

import java.util.EnumMap;
import java.util.Map;

/**
 * The planted defects ({@link BackendDefect}) armed on one backend, each with how many more
 * requests it hits. Belongs to the backend, not to an incarnation: a defect armed before a crash
 * still holds after the restart (that is when {@link BackendDefect#LOST_WRITES} acts).
 */
final class BackendDefects {
    private final Map<BackendDefect, Integer> left = new EnumMap<>(BackendDefect.class);

    /** Arms {@code d} for the next {@code count} requests it applies to (adding to what is left). */
    void arm(BackendDefect d, int count) {
        if (count < 1) throw new IllegalArgumentException("count " + count);
        left.merge(d, count, (a, b) -> (int) Math.min(Integer.MAX_VALUE, (long) a + b));
    }

    /** Whether {@code d} hits this request (and uses one of its count up if so). */
    boolean take(BackendDefect d) {
        Integer n = left.get(d);
        if (n == null) return false;
        if (n == 1) left.remove(d);
        else left.put(d, n - 1);
        return true;
    }
}
