package xensim.firmware.uefi;

import java.util.ArrayDeque;
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

    /**
     * One wait: a condition to re-check, or (a timed step, a Stall) the alarm token it waits for,
     * or neither (a yield, ready at once).
     */
    private static final class Waiter {
        final String what;
        final BooleanSupplier cond;
        final Runnable then;
        final long token;
        boolean fired;

        Waiter(String what, BooleanSupplier cond, long token, Runnable then) {
            this.what = what;
            this.cond = cond;
            this.token = token;
            this.then = then;
        }

        boolean ready() {
            return token != 0 ? fired : cond == null || cond.getAsBoolean();
        }
    }

    private final ArrayDeque<Waiter> stack = new ArrayDeque<>();
    /** Alarms that came before their wait was pushed (an {@link Alarm} that answers at once). */
    private final java.util.Set<Long> early = new java.util.HashSet<>();
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
        push(new Waiter(what, java.util.Objects.requireNonNull(cond, "cond"), 0, then));
    }

    private void push(Waiter w) {
        if (w.token != 0 && !early.isEmpty() && early.remove(w.token)) w.fired = true;
        stack.push(w);
        poll();
    }

    /** Waits for the alarm of a timed step or Stall: {@code delay} of guest time. */
    private void waitAlarm(String what, long delay, Runnable then) {
        long token = ++nextToken;
        alarm.wakeAfter(delay, token);
        push(new Waiter(what, null, token, then));
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
        waitAlarm(what, d, then);
    }

    /** Runs {@code then} on the CPU as soon as it is free at this level (a yield). */
    public void run(Runnable then) {
        push(new Waiter("run", null, 0, then));
    }

    /** gBS->Stall: a busy wait; virtual time passes and the host keeps running. Works after EBS. */
    public void stall(long nanos, Runnable then) {
        stalled += Math.max(0, nanos);
        waitAlarm("Stall", Math.max(0, nanos), then);
    }

    /** The actor got the alarm for {@code token}. */
    public void onAlarm(long token) {
        for (Waiter w : stack) {
            if (w.token == token) {
                w.fired = true;
                poll();
                return;
            }
        }
        early.add(token);
        poll();
    }

    /** Re-checks the innermost wait; runs continuations until the CPU waits on something false. */
    public void poll() {
        if (polling) return;
        polling = true;
        try {
            while (!stack.isEmpty()) {
                Waiter top = stack.peek();
                boolean ready = top.ready();
                if (!ready) {
                    if (stack.peek() != top) continue; // the check itself queued work above it
                    break;
                }
                stack.removeFirstOccurrence(top);
                steps++;
                top.then.run();
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
        return w == null ? null : w.what;
    }

    public int depth() {
        return stack.size();
    }

    public long steps() {
        return steps;
    }
}
