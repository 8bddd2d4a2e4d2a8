package xensim.abi;

/** {@code xen/event_channel.h} and the special domain ids of {@code xen/xen.h}. */
public final class EventChannelAbi {
    private EventChannelAbi() {}

    public static final int EVTCHNOP_bind_interdomain = 0;
    public static final int EVTCHNOP_bind_virq = 1;
    public static final int EVTCHNOP_bind_pirq = 2;
    public static final int EVTCHNOP_close = 3;
    public static final int EVTCHNOP_send = 4;
    public static final int EVTCHNOP_status = 5;
    public static final int EVTCHNOP_alloc_unbound = 6;
    public static final int EVTCHNOP_bind_ipi = 7;
    public static final int EVTCHNOP_bind_vcpu = 8;
    public static final int EVTCHNOP_unmask = 9;
    public static final int EVTCHNOP_reset = 10;

    /** EVTCHNSTAT_* values of evtchn_status. */
    public static final int EVTCHNSTAT_closed = 0;
    public static final int EVTCHNSTAT_unbound = 1;
    public static final int EVTCHNSTAT_interdomain = 2;
    public static final int EVTCHNSTAT_pirq = 3;
    public static final int EVTCHNSTAT_virq = 4;
    public static final int EVTCHNSTAT_ipi = 5;

    public static final int DOMID_FIRST_RESERVED = 0x7FF0;
    public static final int DOMID_SELF = 0x7FF0;
    public static final int DOMID_IO = 0x7FF1;
    public static final int DOMID_XEN = 0x7FF2;
    public static final int DOMID_COW = 0x7FF3;
    public static final int DOMID_INVALID = 0x7FF4;
    public static final int DOMID_IDLE = 0x7FFF;
}
