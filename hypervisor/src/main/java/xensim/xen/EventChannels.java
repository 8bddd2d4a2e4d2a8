package xensim.xen;

import static xensim.abi.XenErrno.ENOSPC;

import java.util.ArrayList;
import java.util.List;

/**
 * One domain's event-channel port table (2-level ABI), as common/event_channel.c keeps it: ports are
 * allocated lowest-free first, in buckets of {@link #EVTCHNS_PER_BUCKET}; port 0 is reserved; a
 * port beyond the buckets allocated so far is not valid (-EINVAL). Each port has a state (free,
 * reserved, unbound waiting for a given remote domain, or interdomain with a remote end), a pending
 * bit, a mask bit, and the upcall handler the kernel bound to it.
 *
 * <p>Operations that involve two domains live in {@link Hypervisor}; this class is the table.
 * Not thread-safe by itself: the hypervisor serialises all calls.
 */
public final class EventChannels {
    public static final int EVTCHNSTAT_closed = 0;
    public static final int EVTCHNSTAT_unbound = 1;
    public static final int EVTCHNSTAT_interdomain = 2;
    public static final int EVTCHNSTAT_pirq = 3;
    public static final int EVTCHNSTAT_virq = 4;
    public static final int EVTCHNSTAT_ipi = 5;

    /** Ports the 2-level ABI can name on a 64-bit guest (64 × 64). */
    public static final int EVTCHN_2L_NR_CHANNELS = 4096;
    /** Ports per allocation bucket: PAGE_SIZE / sizeof(struct evtchn) (64 bytes). */
    public static final int EVTCHNS_PER_BUCKET = 64;

    enum State { FREE, RESERVED, UNBOUND, INTERDOMAIN }

    static final class Port {
        State state = State.FREE;
        /** UNBOUND: the domain allowed to bind; INTERDOMAIN: the remote domain. */
        int remoteDom = -1;
        /** INTERDOMAIN: the remote port. */
        int remotePort = -1;
        boolean pending;
        boolean masked;
        /** An upcall is on its way (scheduled, not yet delivered): sends coalesce. */
        boolean scheduled;
        UpcallHandler handler;
        /** Nemesis evtchn-dup: after the next delivery, the port goes pending again. */
        boolean dupNext;
        /** Nemesis evtchn-delay: added to the next scheduled delivery. */
        long extraDelayNanos;
    }

    private final int domid;
    private final int maxPort;
    private final List<Port> ports = new ArrayList<>();

    EventChannels(int domid, int maxPort) {
        this.domid = domid;
        this.maxPort = maxPort;
        addBucket();
        ports.get(0).state = State.RESERVED;
    }

    public int domid() {
        return domid;
    }

    /** Ports valid so far (allocated buckets): Xen's {@code valid_evtchns}. */
    public int validPorts() {
        return ports.size();
    }

    /** Ports in use (not free, not reserved). */
    public int activePorts() {
        int n = 0;
        for (Port p : ports) if (p.state == State.UNBOUND || p.state == State.INTERDOMAIN) n++;
        return n;
    }

    boolean valid(long port) {
        return port >= 0 && port < ports.size();
    }

    Port port(long port) {
        return valid(port) ? ports.get((int) port) : null;
    }

    /** Ports in use, lowest first. */
    List<Integer> usedPorts() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            State s = ports.get(i).state;
            if (s == State.UNBOUND || s == State.INTERDOMAIN) out.add(i);
        }
        return out;
    }

    /** get_free_port: the lowest free port (growing the buckets), or -ENOSPC. State stays FREE. */
    int allocate() {
        for (int p = 0; p <= maxPort && p < EVTCHN_2L_NR_CHANNELS; p++) {
            if (p >= ports.size()) addBucket();
            if (ports.get(p).state == State.FREE) return p;
        }
        return -ENOSPC;
    }

    /** evtchn_free: the port goes back to FREE; its pending bit is cleared, its handler dropped. */
    void free(int port) {
        Port p = ports.get(port);
        p.state = State.FREE;
        p.remoteDom = -1;
        p.remotePort = -1;
        p.pending = false;
        p.masked = false;
        p.handler = null;
    }

    private void addBucket() {
        for (int i = 0; i < EVTCHNS_PER_BUCKET; i++) ports.add(new Port());
    }
}
