package xensim.dom0.xenstored;

/**
 * What xenstored's work costs in virtual time (scenario keys under {@code xensim.xenstored}; each
 * a mean, drawn by {@link xensim.platform.Latency}):
 * <ul>
 *   <li>{@code wakeupNanos}: from an event (a guest's notify, a dom0 request) until the idle main
 *   loop runs: event-channel delivery to dom0, its kernel, poll() returning;</li>
 *   <li>{@code requestNanos}: handling one complete message (consider_message: the handler, the
 *   tree, the reply queued);</li>
 *   <li>{@code ringCopyNanos}: inside readchn/writechn, from reading the ring indexes to the
 *   {@code req_cons += len} / {@code rsp_prod += len} that reads the index again (the memcpy and
 *   the barriers): the window in which a guest's stores can land;</li>
 *   <li>{@code notifyNanos}: xenevtchn_notify after each ring access (a hypercall);</li>
 *   <li>{@code loopNanos}: one more turn of the main loop when something is ready
 *   (initialize_fds, poll with timeout 0).</li>
 * </ul>
 */
public record XenstoredTiming(long wakeupNanos, long requestNanos, long ringCopyNanos, long notifyNanos, long loopNanos) {

    public XenstoredTiming {
        if (wakeupNanos < 0 || requestNanos < 0 || ringCopyNanos < 0 || notifyNanos < 0 || loopNanos < 0) {
            throw new IllegalArgumentException("xenstored costs must be >= 0");
        }
    }

    /**
     * The defaults (reference.conf): a 20 µs wake-up, 10 µs per request, 200 ns between reading
     * the indexes and writing one back, 1 µs per notify hypercall, 1 µs per further loop turn. A
     * guest's xenstore round trip then takes about 45 µs (a C xenstored on an idle dom0 answers a
     * xenstore-read in tens of µs).
     */
    public static final XenstoredTiming DEFAULTS = new XenstoredTiming(20_000, 10_000, 200, 1_000, 1_000);

    /** No cost at all (unit tests of the protocol; steps still run in order). */
    public static final XenstoredTiming INSTANT = new XenstoredTiming(0, 0, 0, 0, 0);
}
