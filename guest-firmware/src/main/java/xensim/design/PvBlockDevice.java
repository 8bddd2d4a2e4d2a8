package xensim.design;

/**
 * One XenPvBlkDxe device (XEN_BLOCK_FRONT_DEVICE) as a design sees it: its XENBUS_PROTOCOL and
 * the steps that make its backend forget its memory without boot services.
 */
public interface PvBlockDevice {
    /** The driver's name; a child's EBS event is conventionally owned by {@code DRIVER + "/" + deviceId}. */
    String DRIVER = "XenPvBlkDxe";

    XenBusProtocol xenBus();

    /** Requests issued and not yet answered. */
    int inFlight();

    /**
     * Quiesce for the hand-off, with no memory services and no timers: stop taking I/O, drain the
     * in-flight requests by polling the ring with Stall (5 s budget), Closing and poll the backend
     * to Closing, Closed and poll it to Closed, end every grant (ring and abandoned requests),
     * close the event channel. Logged as PVBLK_QUIESCE / PVBLK_QUIESCED.
     */
    void quiesceForHandoff(Runnable then);
}
