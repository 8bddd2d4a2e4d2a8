package xensim.firmware.uefi;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The guest's one firmware CPU. Firmware code is written in continuation style: a procedure
 * that must wait (for a hypercall's answer, a xenstore reply, a backend state, a Stall) hands
 * the CPU a condition and what to do next; the CPU is then "spinning" in that wait and runs
 * nothing else at that level. Waits nest like a call stack (an interrupt-level notify may wait
 * on top of a waiting procedure); only the innermost wait can finish. The owning actor calls
 * {@link #poll()} after every message (upcall, timer tick, hypercall reply), which re-checks the
 * innermost condition — exactly a polling loop re-reading shared memory, in virtual time.
 *
 * <p>Not thread-safe: it lives inside one actor.
 */
public final class Cpu {

    /** Delivers a wake-up token to the CPU's actor after a delay of simulated time. */
    public interface Alarm {
        void wakeAfter(long delayNanos, long token);
    }

    private record Waiter(String what, BooleanSupplier cond, Runnable then) {}

    private final ArrayDeque<Waiter> stack = new ArrayDeque<>();
    private final Set<Long> fired = new HashSet<>();
    private final Alarm alarm;
    private final java.util.function.LongSupplier clock;
    private long stalled;
    private long nextToken;
    private boolean polling;
    private long steps;

    /** A CPU whose clock is the simulation's virtual time (what the guest's TSC would read). */
    public Cpu(Alarm alarm, java.util.function.LongSupplier clock) {
        this.alarm = alarm;
        this.clock = clock;
    }

    /** A CPU without a clock of its own: {@link #now()} counts only the time spent in Stall. */
    public Cpu(Alarm alarm) {
        this.alarm = alarm;
        this.clock = null;
    }

    /** Nanoseconds of guest time (virtual in deterministic runs); bounds the firmware's polling loops. */
    public long now() {
        return clock != null ? clock.getAsLong() : stalled;
    }

    /** Spins until {@code cond} holds, then continues with {@code then} (never inline: trampolined). */
    public void waitUntil(String what, BooleanSupplier cond, Runnable then) {
        stack.push(new Waiter(what, cond, then));
        poll();
    }

    /** Descheduling by Xen: the rate and length of preemption, the stream they are drawn from, and who is told. */
    private long preemptIntervalNanos;
    private long preemptNanos;
    private java.util.random.RandomGenerator preemptRandom;
    private java.util.function.ObjLongConsumer<String> onPreempt;

    /**
     * This vCPU shares its pCPU: during a timed step of {@code d} ns it is descheduled with
     * probability {@code 1 - exp(-d / intervalNanos)}, for a draw of mean {@code lengthNanos}
     * ({@link xensim.platform.Latency}); {@code onPreempt} is told the step and each length (an event). An
     * interval of 0 turns it off.
     */
    public void setPreemption(long intervalNanos, long lengthNanos, java.util.random.RandomGenerator random,
                              java.util.function.ObjLongConsumer<String> onPreempt) {
        this.preemptIntervalNanos = intervalNanos;
        this.preemptNanos = lengthNanos;
        this.preemptRandom = random;
        this.onPreempt = onPreempt;
    }

    /**
     * Executes instructions that take {@code nanos} of guest time (a timed step: a hypercall's
     * trap and return, a store the model orders against another domain), then {@code then}; the
     * vCPU may be preempted meanwhile (see {@link #setPreemption}). The host keeps running.
     */
    public void execute(String what, long nanos, Runnable then) {
        long d = Math.max(0, nanos);
        if (preemptIntervalNanos > 0 && preemptRandom != null && d > 0
                && preemptRandom.nextDouble() < -Math.expm1(-(double) d / preemptIntervalNanos)) {
            long away = xensim.platform.Latency.draw(preemptRandom, preemptNanos);
            if (onPreempt != null) onPreempt.accept(what, away);
            d += away;
        }
        if (d == 0) {
            run(then);
            return;
        }
        long token = ++nextToken;
        alarm.wakeAfter(d, token);
        waitUntil(what, () -> fired.remove(token), then);
    }

    /** Runs {@code then} on the CPU as soon as it is free at this level (a yield). */
    public void run(Runnable then) {
        waitUntil("run", () -> true, then);
    }

    /** gBS->Stall: a busy wait; virtual time passes and the host keeps running. Works after EBS. */
    public void stall(long nanos, Runnable then) {
        long token = ++nextToken;
        stalled += Math.max(0, nanos);
        alarm.wakeAfter(Math.max(0, nanos), token);
        waitUntil("Stall", () -> fired.remove(token), then);
    }

    /** The actor got the alarm for {@code token}. */
    public void onAlarm(long token) {
        fired.add(token);
        poll();
    }

    /** Re-checks the innermost wait; runs continuations until the CPU waits on something false. */
    public void poll() {
        if (polling) return;
        polling = true;
        try {
            while (!stack.isEmpty()) {
                Waiter top = stack.peek();
                boolean ready = top.cond().getAsBoolean();
                if (!ready) {
                    if (stack.peek() != top) continue; // the check itself queued work above it
                    break;
                }
                stack.removeFirstOccurrence(top);
                steps++;
                top.then().run();
            }
        } finally {
            polling = false;
        }
    }

    /** True when no procedure is waiting (the CPU finished everything it was given). */
    public boolean idle() {
        return stack.isEmpty();
    }

    /** What the innermost wait is for, or null when idle. */
    public String waitingFor() {
        Waiter w = stack.peek();
        return w == null ? null : w.what();
    }

    public int depth() {
        return stack.size();
    }

    public long steps() {
        return steps;
    }
}
