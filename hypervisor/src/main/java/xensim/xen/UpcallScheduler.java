package xensim.xen;

/**
 * How the hypervisor core gets an upcall delivered later: it calls {@link #schedule} when a port
 * becomes pending, unmasked and has a handler, and expects {@link Hypervisor#deliverUpcall} to be
 * called for it afterwards. The actor routes this through the seam
 * ({@code seam.deliverAfter(latency, self, DeliverUpcall)}); core tests may deliver inline.
 */
@FunctionalInterface
public interface UpcallScheduler {
    void schedule(int dom, int port);

    /** Schedules with {@code extraNanos} on top of the usual latency (the nemesis's evtchn-delay). */
    default void schedule(int dom, int port, long extraNanos) {
        schedule(dom, port);
    }
}
