package xensim.dom0.blkback;

/**
 * A planted backend bug the nemesis can switch on (fault kinds {@code backend-lost-writes},
 * {@code backend-respond-before-unmap}): what a buggy backend would do, never what Linux's blkback
 * does. It lets a user (and the planted-bug tests of schedule exploration) check that the checker
 * catches a backend that breaks the blkif contract, not only a firmware that does.
 */
public enum BackendDefect {
    /**
     * After a restart, the WRITEs the dead incarnation never answered are acknowledged (OKAY) without
     * being written: a backend that answers from its journal instead of re-serving it. The data the
     * guest was told is on the disk is not.
     */
    LOST_WRITES,

    /**
     * A request's response is published and its event channel notified <em>before</em> its data
     * grants are unmapped: make_response first, then the unmap. Linux's blkback does the opposite
     * (blkback.c: {@code __end_block_io_op} → {@code xen_blkbk_unmap_and_respond}, whose callback
     * calls {@code make_response} only once {@code gnttab_unmap_refs_async} has unmapped every
     * segment), so that a frontend that sees the response can always end its foreign access.
     *
     * <p>With the defect the unmap is a separate step that lands {@link #UNMAP_LATE_MIN_NANOS} to
     * {@link #UNMAP_LATE_MAX_NANOS} after the response (uniform, one draw per request from the
     * backend's own seeded stream): what the backend's two hypercalls after make_response cost on a
     * real host — EVTCHNOP_send (a hypercall: about 1 µs, the model's default
     * {@code hypervisor.hypercall}) and GNTTABOP_unmap_grant_ref, whose PTE clear is followed by a TLB
     * flush of dom0's CPUs (an IPI round trip, a few µs under virtualisation: the cost persistent
     * grants were introduced to avoid). A frontend that ends access meanwhile is refused (GTF_reading /
     * GTF_writing still set: edk2's XenGrantTableEndAccess returns EFI_NOT_READY, "g.e. still in use!").
     */
    RESPOND_BEFORE_UNMAP;

    /** The shortest delay between a defective response and its unmap: one hypercall. */
    public static final long UNMAP_LATE_MIN_NANOS = 1_000;
    /** The longest: the notify's hypercall, the unmap's and a remote TLB flush of dom0's vCPUs. */
    public static final long UNMAP_LATE_MAX_NANOS = 10_000;
}
