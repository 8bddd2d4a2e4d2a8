package xensim.firmware.xenbus;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * edk2's EventChannel.c: allocate an unbound port for a backend domain, notify, close; and the
 * pending bits of shared_info that the drivers poll (set by upcalls, tested and cleared by the
 * pollers).
 */
public final class EventChannel {
    private final Hypercalls hc;
    private final Set<Integer> pending = new HashSet<>();

    public EventChannel(Hypercalls hc) {
        this.hc = hc;
    }

    public void onUpcall(int port) {
        pending.add(port);
    }

    /** TestAndClearBit(port, evtchn_pending). */
    public boolean testAndClear(int port) {
        return pending.remove(port);
    }

    public boolean isPending(int port) {
        return pending.contains(port);
    }

    /** EventChannelAllocate: an unbound port for {@code remoteDom}, upcalls routed to us; -1 on failure. */
    public void allocate(int remoteDom, Consumer<Integer> k) {
        hc.evtchnAllocUnbound(remoteDom, p -> {
            if (p.rc() != 0) {
                k.accept(-1);
                return;
            }
            hc.bindUpcall(p.port(), r -> k.accept(p.port()));
        });
    }

    /** EVTCHNOP_send: the status is not looked at (as in edk2); the vCPU goes on once the hypercall returned. */
    public void notify(int port, Runnable then) {
        hc.evtchnSendNoWait(port, then);
    }

    public void close(int port, Runnable then) {
        pending.remove(port);
        hc.evtchnClose(port, r -> then.run());
    }
}
