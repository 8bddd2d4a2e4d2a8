package xensim.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class StepCensusTest {

    @Test
    void foldsGuestNumbers() {
        assertEquals("blkback-N-N", StepCensus.fold("blkback-3-51"));
        assertEquals("domN", StepCensus.fold("dom12"));
        assertEquals("hypervisor", StepCensus.fold("hypervisor"));
    }

    /** A real two-guest lifecycle: every step counted once, and the components that do the work are there. */
    @Test
    void countsEveryStepOfARealRun() throws Exception {
        StepCensus census = new StepCensus();
        LifecycleBench.Result r = LifecycleBench.run(2, 1, null, census);
        assertTrue(r.completed(), r.verdict());
        assertTrue(r.requests() > 100, "the guests did their I/O: " + r.requests());
        // the run reads its step count in its judging step; the census also sees the few steps of the
        // system's shutdown after it
        assertTrue(census.total() >= r.steps() && census.total() <= r.steps() + 16,
                "the census saw the run's steps: " + census.total() + " vs " + r.steps());
        Map<String, Long> byKind = census.rows().stream().collect(Collectors.toMap(StepCensus.Row::kind, StepCensus.Row::steps));
        assertTrue(byKind.keySet().stream().anyMatch(k -> k.startsWith("timed delivery to domN: ")), byKind.toString());
        for (String k : new String[] {"actor hypervisor", "actor xenstored", "actor blkback-N-N", "actor domN"}) {
            assertTrue(byKind.getOrDefault(k, 0L) > 0, k + " in " + byKind);
        }
        long sum = census.rows().stream().mapToLong(StepCensus.Row::steps).sum();
        assertEquals(census.total(), sum);
    }
}
