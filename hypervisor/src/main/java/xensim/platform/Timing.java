package xensim.platform;

/**
 * What guests' work costs in virtual time on the host (scenario keys under
 * {@code xensim.hypervisor} and {@code xensim.guests}; each a mean drawn by {@link Latency}
 * unless said otherwise):
 * <ul>
 *   <li>{@code hypercallNanos}: one hypercall, for the vCPU that makes it (a VM exit, Xen's
 *   handler, the VM entry); xenstored's xenevtchn_notify costs the same;</li>
 *   <li>{@code evtchnNanos}: from EVTCHNOP_send to the upcall running on the receiving vCPU
 *   (fixed, every port alike);</li>
 *   <li>{@code preemptIntervalNanos}, {@code preemptNanos}: a guest vCPU is descheduled by
 *   Xen's scheduler on average once per {@code preemptIntervalNanos} of its run time, for
 *   {@code preemptNanos} on average; 0 disables it (a pCPU of its own). Only the firmware
 *   steps the model times (hypercalls, the xenstore ring reset's stores) can be preempted.</li>
 * </ul>
 */
public record Timing(long hypercallNanos, long evtchnNanos, long preemptIntervalNanos, long preemptNanos) {

    public Timing {
        if (hypercallNanos < 0 || evtchnNanos < 0 || preemptIntervalNanos < 0 || preemptNanos < 0) {
            throw new IllegalArgumentException("timings must be >= 0");
        }
    }

    /**
     * The defaults (reference.conf): a 1 µs hypercall, a 2 µs event-channel delivery, and a
     * vCPU that shares its pCPU: descheduled about every 10 ms of run time for about 1 ms (credit2's
     * default rate limit), as on a host with more vCPUs than pCPUs.
     */
    public static final Timing DEFAULTS = new Timing(1_000, 2_000, 10_000_000, 1_000_000);

    /** Everything free and no preemption (protocol tests; still routed through the seam). */
    public static final Timing INSTANT = new Timing(0, 0, 0, 0);
}
