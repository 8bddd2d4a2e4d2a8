package xensim.dom0.blkback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LatencyModelTest {

    @Test
    void sameSeedSameLatencies() {
        LatencyModel a = new LatencyModel(1_000_000, 0.05, 20, 4, new SplittableRandom(5));
        LatencyModel b = new LatencyModel(1_000_000, 0.05, 20, 4, new SplittableRandom(5));
        for (int i = 0; i < 100; i++) assertEquals(a.next(0), b.next(0));
    }

    @Test
    void meanAndTailAreRoughlyAsConfigured() {
        LatencyModel m = new LatencyModel(1_000_000, 0.0, 1, 4, new SplittableRandom(9));
        double sum = 0;
        int n = 20000;
        for (int i = 0; i < n; i++) sum += m.next(0);
        double mean = sum / n;
        assertTrue(mean > 0.95e6 && mean < 1.05e6, "exponential mean ~1 ms, got " + mean);

        LatencyModel tail = new LatencyModel(1_000_000, 0.1, 50, 4, new SplittableRandom(9));
        int slow = 0;
        for (int i = 0; i < n; i++) if (tail.next(0) > 20_000_000) slow++;
        // P(x > 20 ms) is ~0 without the tail and ~0.1 * e^-0.4 = 6.7% with it
        assertTrue(slow > n * 0.05 && slow < n * 0.085, "tail share " + slow);
    }

    @Test
    void stallAndSlowDownHooks() {
        LatencyModel m = LatencyModel.immediate(new SplittableRandom(1));
        assertEquals(0, m.next(100));
        m.stallUntil(5_000);
        assertEquals(4_900, m.next(100));
        assertEquals(0, m.next(6_000));
        LatencyModel s = new LatencyModel(1000, 0, 1, 1, new SplittableRandom(2));
        LatencyModel t = new LatencyModel(1000, 0, 1, 1, new SplittableRandom(2));
        t.slowDown(10);
        for (int i = 0; i < 50; i++) {
            long a = s.next(0);
            long b = t.next(0);
            assertTrue(b >= 10 * a - 10 && b <= 10 * a + 10, a + " vs " + b);
        }
    }
}
