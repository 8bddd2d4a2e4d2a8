package xensim.firmware.xenbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import xensim.abi.XenbusState;
import xensim.firmware.uefi.Cpu;

/** The Stall poll of a backend's state, on a manual clock where each xenstore read costs time. */
class XenbusPollTest {
    private final TreeMap<Long, List<Runnable>> due = new TreeMap<>();
    private long now;
    private Cpu cpu;

    private void at(long delay, Runnable r) {
        due.computeIfAbsent(now + delay, k -> new ArrayList<>()).add(r);
    }

    private void runClock() {
        while (!due.isEmpty()) {
            var e = due.pollFirstEntry();
            now = e.getKey();
            e.getValue().forEach(Runnable::run);
            cpu.poll();
        }
    }

    /** A backend that stays Connected; every read of its state takes {@code rtt} ns to answer. */
    private Consumer<BiConsumer<String, String>> stuckBackend(long rtt, int[] reads) {
        return k -> {
            reads[0]++;
            at(rtt, () -> k.accept(Integer.toString(XenbusState.Connected.code()), null));
        };
    }

    @Test
    void aBackendThatNeverClosesIsGivenUpAfterTheBudgetOfGuestTimeHoweverSlowXenstoreIs() {
        for (long rtt : new long[] {0, 1_000, 1_000_000}) {
            due.clear();
            now = 0;
            cpu = new Cpu((delay, token) -> at(delay, () -> cpu.onAlarm(token)), () -> now);
            int[] reads = {0};
            Boolean[] result = {null};
            long[] gaveUpAt = {-1};
            XenbusPoll.backendAtLeast(cpu, stuckBackend(rtt, reads), XenbusState.Closing, ok -> {
                result[0] = ok;
                gaveUpAt[0] = now;
            });
            runClock();
            assertEquals(Boolean.FALSE, result[0], "rtt " + rtt);
            long step = XenbusPoll.POLL_NANOS + rtt;
            assertTrue(gaveUpAt[0] >= XenbusPoll.BUDGET_NANOS && gaveUpAt[0] < XenbusPoll.BUDGET_NANOS + step + rtt,
                    "rtt " + rtt + ": gave up at " + gaveUpAt[0] + " ns (a count of 100,000 polls would be " + 100_000 * step + ")");
            assertTrue(reads[0] <= XenbusPoll.BUDGET_NANOS / step + 2, "reads " + reads[0]);
        }
    }

    @Test
    void aBackendThatReachesTheStateEndsThePollAtOnce() {
        cpu = new Cpu((delay, token) -> at(delay, () -> cpu.onAlarm(token)), () -> now);
        int[] reads = {0};
        Boolean[] result = {null};
        XenbusPoll.backendAtLeast(cpu, k -> {
            reads[0]++;
            at(1_000, () -> k.accept(Integer.toString((reads[0] < 3 ? XenbusState.Connected : XenbusState.Closed).code()), null));
        }, XenbusState.Closing, ok -> result[0] = ok);
        runClock();
        assertEquals(Boolean.TRUE, result[0]);
        assertEquals(3, reads[0]);
        assertTrue(now < 1_000_000, "a few polls, not the budget: " + now);
    }
}
