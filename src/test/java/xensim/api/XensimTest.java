package xensim.api;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The public API a design's own build tests through: verdicts, completion, the EBS notify order, bad input. */
class XensimTest {
    @Test
    void aRunAnswersItsVerdictCompletionAndNotifyOrder() {
        Xensim.Trial clean = Xensim.run("refcount", 1, Map.of());
        assertTrue(clean.clean(), clean.verdictLine());
        assertTrue(clean.completed());
        assertEquals(List.of("XenPvBlkDxe/51712", "XenBusDxe"), clean.ebsNotifies());
        assertEquals("./xensim run --strategy refcount --seed 1", clean.replay());

        Xensim.Trial bad = Xensim.run("naive-reset", 2, Map.of("guests.firmware-io", "async"));
        assertFalse(bad.clean());
        assertTrue(bad.violations().contains("STALE_MAPPING") && bad.violations().contains("RESET_ORDER"), bad.verdictLine());
        assertEquals("./xensim run --strategy naive-reset --seed 2 --firmware-io async", bad.replay());
        assertEquals(3, Xensim.explore("exit-callback", 3, Map.of()).stream().filter(Xensim.Trial::clean).count());
    }

    @Test
    void badInputIsAnIllegalArgumentWithTheCommandLinesMessage() {
        var e = assertThrows(IllegalArgumentException.class, () -> Xensim.run("nope", 1, Map.of()));
        assertTrue(e.getMessage().contains("xensim.strategy: expected one of disconnect"), e.getMessage());
        var k = assertThrows(IllegalArgumentException.class, () -> Xensim.run("refcount", 1, Map.of("guests.firmware-io", "sideways")));
        assertTrue(k.getMessage().contains("guests.firmware-io"), k.getMessage());
    }
}
