package xensim.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class WorkQueueTest {
    private static List<Long> items(int n) {
        return LongStream.range(0, n).boxed().toList();
    }

    @Test
    void workersGetWhatTheyPullLowestFirst() {
        WorkQueue<String> q = new WorkQueue<>(items(5));
        q.addWorker("a");
        q.addWorker("b");
        assertEquals(Map.of("a", List.of(0L, 1L)), q.demand("a", 2));
        assertEquals(Map.of("b", List.of(2L)), q.demand("b", 1));
        assertEquals(2, q.waiting());
        assertEquals(3, q.running());
        assertEquals(WorkQueue.Completion.ACCEPTED, q.complete("a", 0));
        assertEquals(Map.of("a", List.of(3L)), q.demand("a", 1));
        assertFalse(q.finished());
    }

    @Test
    void aWorkerThatLeavesHasItsUnfinishedItemsRequeuedAndItsLateResultIsNotCountedTwice() {
        WorkQueue<String> q = new WorkQueue<>(items(4));
        q.addWorker("a");
        q.addWorker("b");
        q.demand("a", 2); // 0, 1
        q.demand("b", 1); // 2
        assertEquals(WorkQueue.Completion.ACCEPTED, q.complete("a", 0));
        assertEquals(List.of(1L), q.remove("a"));
        // b pulls: the re-queued item comes first
        assertEquals(Map.of("b", List.of(1L)), q.demand("b", 1));
        assertEquals(WorkQueue.Completion.ACCEPTED, q.complete("b", 1));
        // a's late answer for 1 (it was given up on) is a duplicate
        assertEquals(WorkQueue.Completion.DUPLICATE, q.complete("a", 1));
        assertEquals(WorkQueue.Completion.ACCEPTED, q.complete("b", 2));
        q.demand("b", 1);
        assertEquals(WorkQueue.Completion.ACCEPTED, q.complete("b", 3));
        assertTrue(q.finished());
        assertEquals(4, q.done());
        assertEquals(WorkQueue.Completion.UNKNOWN, q.complete("b", 99));
    }

    @Test
    void aGivenUpWorkersResultCountsWhenItComesFirstAndTheRerunIsTheDuplicate() {
        WorkQueue<String> q = new WorkQueue<>(items(1));
        q.addWorker("a");
        q.addWorker("b");
        q.demand("a", 1);
        q.remove("a");
        q.demand("b", 1);
        assertEquals(WorkQueue.Completion.ACCEPTED, q.complete("a", 0));
        assertEquals(0, q.running(), "b's copy is no longer running in the books");
        assertEquals(WorkQueue.Completion.DUPLICATE, q.complete("b", 0));
        assertTrue(q.finished());
    }

    @Test
    void demandBeforeAWorkerJoinedIsIgnored() {
        WorkQueue<String> q = new WorkQueue<>(items(2));
        assertEquals(Map.of(), q.demand("x", 5));
        assertEquals(2, q.waiting());
    }

    /** Random pulls, results, departures and late answers: every item is accepted exactly once, none is lost. */
    @Property(tries = 200)
    void nothingLostNothingCountedTwice(@ForAll @LongRange(min = 0, max = 1_000_000) long seed) {
        Random r = new Random(seed);
        int n = 1 + r.nextInt(40);
        WorkQueue<Integer> q = new WorkQueue<>(items(n));
        Map<Integer, List<Long>> holding = new HashMap<>();
        List<long[]> late = new ArrayList<>(); // {worker, item} of departed workers
        int nextWorker = 0;
        int accepted = 0;
        for (int step = 0; step < 10_000 && !q.finished(); step++) {
            int op = r.nextInt(10);
            if (holding.isEmpty() || op == 0) {
                int w = nextWorker++;
                q.addWorker(w);
                holding.put(w, new ArrayList<>());
                give(q.demand(w, 1 + r.nextInt(3)), holding);
            } else if (op == 1 && holding.size() > 1) {
                int w = new ArrayList<>(holding.keySet()).get(r.nextInt(holding.size()));
                for (long i : holding.remove(w)) late.add(new long[] {w, i});
                q.remove(w);
                give(q.dispatch(), holding);
            } else if (op == 2 && !late.isEmpty()) {
                long[] l = late.remove(r.nextInt(late.size()));
                if (q.complete((int) l[0], l[1]) == WorkQueue.Completion.ACCEPTED) accepted++;
            } else {
                List<Integer> busy = holding.entrySet().stream().filter(e -> !e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
                if (busy.isEmpty()) {
                    int w = new ArrayList<>(holding.keySet()).get(r.nextInt(holding.size()));
                    give(q.demand(w, 1), holding);
                    continue;
                }
                int w = busy.get(r.nextInt(busy.size()));
                long i = holding.get(w).remove(0);
                if (q.complete(w, i) == WorkQueue.Completion.ACCEPTED) accepted++;
                give(q.demand(w, 1), holding);
            }
        }
        assertTrue(q.finished(), "every item done");
        assertEquals(n, accepted, "each accepted once");
        assertEquals(n, q.done());
    }

    private static void give(Map<Integer, List<Long>> got, Map<Integer, List<Long>> holding) {
        got.forEach((w, is) -> holding.get(w).addAll(is));
    }
}
