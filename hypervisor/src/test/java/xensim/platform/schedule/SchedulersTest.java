package xensim.platform.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure choosers, without actors or a clock: candidate lists in, indexes out. */
class SchedulersTest {

    /** Runs a scheduler over a fixed system: {@code threads} threads of {@code len} steps each, all enabled from the start. */
    static List<String> trace(Scheduler s, int threads, int len) {
        int[] left = new int[threads];
        java.util.Arrays.fill(left, len);
        List<String> out = new ArrayList<>();
        long step = 0;
        while (true) {
            List<Object> keys = new ArrayList<>();
            List<Integer> who = new ArrayList<>();
            for (int t = 0; t < threads; t++) if (left[t] > 0) {
                keys.add("t" + t);
                who.add(t);
            }
            if (keys.isEmpty()) return out;
            int i = s.choose(step++, keys);
            int t = who.get(i);
            left[t]--;
            out.add("t" + t);
        }
    }

    @Test
    void specsParseAndPrintCanonically() {
        assertEquals("fifo", ScheduleSpec.parse("fifo").toString());
        assertEquals("pct:3/5000", ScheduleSpec.parse("pct:3").toString());
        assertEquals("pct:2/100", ScheduleSpec.parse(" pct:2/100 ").toString());
        assertEquals("dev:3.1,7.2", ScheduleSpec.parse("dev:7.2,3.1").toString(), "deviations sorted by step");
        assertEquals("dev:", ScheduleSpec.parse("dev:").toString());
        for (String s : List.of("random", "pos", "pct:1/1", "dev:0.1"))
            assertEquals(s, ScheduleSpec.parse(ScheduleSpec.parse(s).toString()).toString());
        assertTrue(!ScheduleSpec.parse("fifo").controlled() && ScheduleSpec.parse("dev:").controlled());
        for (String bad : List.of("lifo", "pct:", "pct:0", "pct:x", "pct:2/0", "dev:3", "dev:3.0", "dev:a.1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScheduleSpec.parse(bad), bad);
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void randomIsSeededAndCoversEveryCandidate() {
        assertEquals(trace(new RandomScheduler(5), 3, 20), trace(new RandomScheduler(5), 3, 20));
        assertNotEquals(trace(new RandomScheduler(5), 3, 20), trace(new RandomScheduler(6), 3, 20));
        int[] seen = new int[4];
        RandomScheduler r = new RandomScheduler(1);
        for (int i = 0; i < 4000; i++) seen[r.choose(i, List.of("a", "b", "c", "d"))]++;
        for (int c : seen) assertTrue(c > 800 && c < 1200, java.util.Arrays.toString(seen));
    }

    @Test
    void pctWithDepthOneRunsEachThreadToItsEndByPriority() {
        // no change point: the highest-priority thread runs until it is done, then the next
        List<String> t = trace(new PctScheduler(3, 1, 100), 3, 4);
        for (int i = 0; i < t.size(); i += 4) assertEquals(1, t.subList(i, i + 4).stream().distinct().count(), t.toString());
        assertEquals(3, t.stream().distinct().count());
    }

    @Test
    void pctChangePointLowersTheRunningThreadOnce() {
        // depth 2 over 8 steps: exactly one switch away from a thread that still has steps
        for (long seed = 1; seed <= 50; seed++) {
            PctScheduler s = new PctScheduler(seed, 2, 8);
            long cp = s.changePoints()[0];
            assertTrue(cp >= 1 && cp <= 8);
            List<String> t = trace(s, 2, 4);
            int switches = 0;
            for (int i = 1; i < t.size(); i++) if (!t.get(i).equals(t.get(i - 1))) switches++;
            // a change point inside the first thread's run preempts it (2 switches); at or after its end, none extra (1)
            assertEquals(cp < 4 ? 2 : 1, switches, "seed " + seed + " cp " + cp + " " + t);
        }
    }

    @Test
    void pctChangePointsAreSortedAndSeeded() {
        PctScheduler a = new PctScheduler(9, 5, 1000);
        assertEquals(4, a.changePoints().length);
        long[] cp = a.changePoints();
        for (int i = 1; i < cp.length; i++) assertTrue(cp[i - 1] <= cp[i]);
        assertArrayEquals(cp, new PctScheduler(9, 5, 1000).changePoints());
    }

    @Test
    void posRedrawsAfterEachStepAndIsSeeded() {
        assertEquals(trace(new PosScheduler(2), 3, 10), trace(new PosScheduler(2), 3, 10));
        List<String> t = trace(new PosScheduler(2), 2, 50);
        int switches = 0;
        for (int i = 1; i < t.size(); i++) if (!t.get(i).equals(t.get(i - 1))) switches++;
        assertTrue(switches >= 5, "fresh priorities each step interleave the two threads: " + switches);
    }

    @Test
    void deviationsReplayExactlyAndClampToTheCandidates() {
        DeviationScheduler d = new DeviationScheduler(List.of(new Deviation(1, 2), new Deviation(3, 5)));
        assertEquals(0, d.choose(0, List.of("a", "b", "c")));
        assertEquals(2, d.choose(1, List.of("a", "b", "c")));
        assertEquals(0, d.choose(2, List.of("a", "b", "c")));
        assertEquals(1, d.choose(3, List.of("a", "b")), "past the last candidate: the last one");
        assertThrows(IllegalArgumentException.class, () -> new Deviation(1, 0));
    }
}
