package xensim.firmware.uefi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The firmware CPU's wait stack: timed steps, Stall, yields and conditions, nested. */
class CpuTest {
    /** Alarms kept until the test delivers them, in any order. */
    static final class Alarms implements Cpu.Alarm {
        final List<long[]> pending = new ArrayList<>();

        @Override
        public void wakeAfter(long delayNanos, long token) {
            pending.add(new long[] {delayNanos, token});
        }
    }

    @Test
    void aTimedStepContinuesOnlyOnItsOwnAlarm() {
        Alarms a = new Alarms();
        Cpu cpu = new Cpu(a);
        List<String> log = new ArrayList<>();
        cpu.execute("hypercall", 500, () -> log.add("after hypercall"));
        assertEquals(1, a.pending.size());
        assertEquals(500, a.pending.get(0)[0]);
        cpu.onAlarm(a.pending.get(0)[1] + 99); // someone else's token
        assertEquals(List.of(), log);
        assertEquals("hypercall", cpu.waitingFor());
        cpu.onAlarm(a.pending.get(0)[1]);
        assertEquals(List.of("after hypercall"), log);
        assertTrue(cpu.idle());
    }

    @Test
    void anOuterAlarmThatFiresWhileAnInnerWaitRunsIsKeptUntilTheInnerOneEnds() {
        Alarms a = new Alarms();
        Cpu cpu = new Cpu(a);
        List<String> log = new ArrayList<>();
        boolean[] flag = {false};
        cpu.stall(1000, () -> log.add("outer stall done"));
        cpu.waitUntil("flag", () -> flag[0], () -> log.add("inner done")); // an interrupt-level wait on top
        cpu.onAlarm(a.pending.get(0)[1]);  // the outer Stall's alarm: only the innermost wait can finish
        assertEquals(List.of(), log);
        assertEquals(2, cpu.depth());
        flag[0] = true;
        cpu.poll();
        assertEquals(List.of("inner done", "outer stall done"), log, "the outer wait saw its alarm once it was innermost");
        assertTrue(cpu.idle());
        assertEquals(1000, cpu.now(), "Stall's time counts when the CPU has no clock");
    }

    @Test
    void anAlarmThatAnswersAtOnceIsNotLost() {
        Cpu[] self = new Cpu[1];
        Cpu cpu = new Cpu((d, token) -> self[0].onAlarm(token)); // delivers before the wait is pushed
        self[0] = cpu;
        List<String> log = new ArrayList<>();
        cpu.execute("zero-latency", 1, () -> log.add("done"));
        assertEquals(List.of("done"), log);
        assertTrue(cpu.idle());
    }

    @Test
    void yieldsRunInOrderAndZeroTimeStepsTakeNoAlarm() {
        Alarms a = new Alarms();
        Cpu cpu = new Cpu(a);
        List<String> log = new ArrayList<>();
        cpu.run(() -> {
            log.add("a");
            cpu.execute("free", 0, () -> log.add("b"));
        });
        assertEquals(List.of("a", "b"), log);
        assertEquals(0, a.pending.size());
        assertEquals(2, cpu.steps());
    }
}
