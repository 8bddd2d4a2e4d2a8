package xensim.shrink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import xensim.platform.schedule.Deviation;

/** ddmin and the shrinker over fake runs (predicates), no simulation. */
class ShrinkerTest {

    @Test
    void ddminFindsTheTwoElementsThatMatterAndCountsItsTests() {
        List<Integer> all = IntStream.range(0, 64).boxed().toList();
        int[] tests = {0};
        List<Integer> min = Ddmin.minimise(all, c -> {
            tests[0]++;
            return c.contains(17) && c.contains(42);
        });
        assertEquals(List.of(17, 42), min);
        assertTrue(tests[0] < 100, "about 2 log2(64) tests per element found, not 2^64: " + tests[0]);
    }

    @Test
    void ddminIsOneMinimalAndKeepsOrder() {
        List<String> all = List.of("a", "b", "c", "d", "e", "f", "g");
        // fails when at least two of c, e, g are present
        List<String> min = Ddmin.minimise(all, l -> l.stream().filter(Set.of("c", "e", "g")::contains).count() >= 2);
        assertEquals(2, min.size(), min.toString());
        for (int i = 0; i < min.size(); i++) {
            List<String> less = new ArrayList<>(min);
            less.remove(i);
            assertTrue(less.stream().filter(Set.of("c", "e", "g")::contains).count() < 2, "1-minimal");
        }
        assertTrue(all.indexOf(min.get(0)) < all.indexOf(min.get(1)), "original order");
        assertEquals(List.of(), Ddmin.minimise(all, l -> true), "fails without any: empty");
    }

    @Test
    void shrinkerDropsIrrelevantFaultsGuestsIosAndDeviations() {
        List<Deviation> devs = List.of(new Deviation(3, 1), new Deviation(40, 2), new Deviation(77, 1), new Deviation(90, 1));
        Shrinker.Variant v = new Shrinker.Variant(List.of("backend-crash@ebs-begin", "evtchn-dup@p=0.1", "backend-slow@1ms"), 4, 2, 4, 64, devs);
        // the "bug": needs the crash fault, at least 2 guests, at least 10 I/Os after EBS and the deviation at step 40
        Shrinker s = new Shrinker(x -> x.faults().contains("backend-crash@ebs-begin") && x.guests() >= 2 && x.ioAfter() >= 10
                && x.deviations().contains(new Deviation(40, 2)));
        Shrinker.Result r = s.shrink(v);
        assertEquals(List.of("backend-crash@ebs-begin"), r.minimal().faults());
        assertEquals(2, r.minimal().guests());
        assertEquals(1, r.minimal().disks());
        assertEquals(0, r.minimal().ioBefore());
        assertEquals(10, r.minimal().ioAfter());
        assertEquals(List.of(new Deviation(40, 2)), r.minimal().deviations());
        assertTrue(r.removed().contains("fault 'evtchn-dup@p=0.1'"), r.removed().toString());
        assertTrue(r.removed().contains("guests 4 -> 2"), r.removed().toString());
        assertTrue(r.removed().contains("schedule deviations from FIFO 4 -> 1"), r.removed().toString());
        assertTrue(r.runs() > 5 && r.runs() < 60, "runs " + r.runs());
    }

    @Test
    void smallestBisectsToTheThreshold() {
        assertEquals(37, Shrinker.smallest(0, 64, n -> n >= 37));
        assertEquals(0, Shrinker.smallest(0, 64, n -> true));
        assertEquals(64, Shrinker.smallest(0, 64, n -> n == 64));
    }
}
