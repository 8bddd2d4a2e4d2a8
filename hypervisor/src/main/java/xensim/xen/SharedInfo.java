package xensim.xen;

/**
 * The event-channel bits of a domain's {@code shared_info} page, which the guest reads and writes
 * directly (no hypercall): {@code evtchn_pending} and {@code evtchn_mask}. A guest that polls
 * instead of taking upcalls (OVMF's XenBusDxe tests and clears the pending bit of its xenstore port)
 * uses this. Clearing the mask bit here does not re-deliver a pending event; EVTCHNOP_unmask does.
 *
 * <p>Thread-safe (calls serialise on the hypervisor). Ports outside the table read as not pending.
 */
public final class SharedInfo {
    private final Hypervisor hypervisor;
    private final int domid;

    SharedInfo(Hypervisor hypervisor, int domid) {
        this.hypervisor = hypervisor;
        this.domid = domid;
    }

    public int domid() {
        return domid;
    }

    public boolean isPending(int port) {
        return hypervisor.sharedInfoPending(domid, port, false);
    }

    /** {@code test_and_clear_bit(port, evtchn_pending)}. */
    public boolean testAndClearPending(int port) {
        return hypervisor.sharedInfoPending(domid, port, true);
    }

    public boolean isMasked(int port) {
        return hypervisor.sharedInfoMask(domid, port, null);
    }

    /** {@code sync_set_bit(port, evtchn_mask)}: no upcall for this port until unmasked. */
    public void mask(int port) {
        hypervisor.sharedInfoMask(domid, port, Boolean.TRUE);
    }

    /** {@code sync_clear_bit(port, evtchn_mask)} without the hypercall: a pending event stays undelivered. */
    public void clearMaskBit(int port) {
        hypervisor.sharedInfoMask(domid, port, Boolean.FALSE);
    }
}
