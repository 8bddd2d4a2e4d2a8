package xensim.firmware.xenbus;

import akka.actor.typed.ActorRef;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import xensim.firmware.uefi.Cpu;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * A guest's hypercall page: each call is a message to the hypervisor actor and the vCPU spins
 * (on the {@link Cpu}) until the answer arrives, as a trapping hypercall would block the vCPU.
 * Replies come back through one message adapter per reply type; the hypervisor answers one
 * caller in order, so a FIFO of continuations per reply type pairs them.
 */
public final class Hypercalls {

    /** The adapters of the guest actor, one per reply type. */
    public record Adapters(ActorRef<Hypervisor.Result> result, ActorRef<Hypervisor.EvtchnPort> port,
                           ActorRef<Hypervisor.HvmParam> param, ActorRef<HypervisorActor.EvtchnUpcall> upcall,
                           ActorRef<Hypervisor.Result> ignore) {}

    private final int dom;
    private final ActorRef<HypervisorActor.Command> hv;
    private final Cpu cpu;
    private final Adapters adapters;
    private final Map<Class<?>, ArrayDeque<Object[]>> waiting = new HashMap<>();
    private final xensim.platform.Latency cost;

    /** Hypercalls that cost the vCPU no time. */
    public Hypercalls(int dom, ActorRef<HypervisorActor.Command> hv, Cpu cpu, Adapters adapters) {
        this(dom, hv, cpu, adapters, xensim.platform.Latency.none());
    }

    /**
     * @param cost what one hypercall costs the calling vCPU (its trap and return): the vCPU
     *             continues that long after the call, or after the answer if that comes later
     */
    public Hypercalls(int dom, ActorRef<HypervisorActor.Command> hv, Cpu cpu, Adapters adapters, xensim.platform.Latency cost) {
        this.dom = dom;
        this.hv = hv;
        this.cpu = cpu;
        this.adapters = adapters;
        this.cost = cost;
    }

    public int domid() {
        return dom;
    }

    /** The hypervisor answered; wakes the caller waiting for that reply type. */
    public void onReply(Object reply) {
        ArrayDeque<Object[]> q = waiting.get(reply.getClass());
        Object[] slot = q == null ? null : q.poll();
        if (slot != null) slot[0] = reply;
        cpu.poll();
    }

    @SuppressWarnings("unchecked")
    private <R> void call(Class<R> type, String what, HypervisorActor.Command cmd, Consumer<R> k) {
        Object[] slot = new Object[1];
        waiting.computeIfAbsent(type, c -> new ArrayDeque<>()).add(slot);
        hv.tell(cmd);
        long until = cpu.now() + cost.next();
        cpu.waitUntil("hypercall " + what, () -> slot[0] != null, () -> {
            long left = until - cpu.now();
            if (left <= 0) k.accept((R) slot[0]);
            else cpu.execute("hypercall " + what, left, () -> k.accept((R) slot[0]));
        });
    }

    public void hvmGetParam(int index, Consumer<Hypervisor.HvmParam> k) {
        call(Hypervisor.HvmParam.class, "hvm_get_param", new HypervisorActor.HvmGetParam(dom, dom, index, adapters.param()), k);
    }

    public void addToPhysmap(int space, long idx, long gfn, Consumer<Hypervisor.Result> k) {
        call(Hypervisor.Result.class, "add_to_physmap", new HypervisorActor.AddToPhysmap(dom, dom, space, idx, gfn, adapters.result()), k);
    }

    public void removeFromPhysmap(long gfn, Consumer<Hypervisor.Result> k) {
        call(Hypervisor.Result.class, "remove_from_physmap", new HypervisorActor.RemoveFromPhysmap(dom, dom, gfn, adapters.result()), k);
    }

    public void evtchnAllocUnbound(int remoteDom, Consumer<Hypervisor.EvtchnPort> k) {
        call(Hypervisor.EvtchnPort.class, "evtchn_alloc_unbound",
                new HypervisorActor.EvtchnAllocUnbound(dom, dom, remoteDom, adapters.port()), k);
    }

    public void evtchnSend(int port, Consumer<Hypervisor.Result> k) {
        call(Hypervisor.Result.class, "evtchn_send", new HypervisorActor.EvtchnSend(dom, port, adapters.result()), k);
    }

    /** A send whose status nobody reads (its reply goes to the ignore ref, not the Result FIFO). */
    public void evtchnSendNoWait(int port) {
        hv.tell(new HypervisorActor.EvtchnSend(dom, port, adapters.ignore()));
    }

    /** As {@link #evtchnSendNoWait(int)}; the vCPU goes on with {@code then} once the hypercall returned. */
    public void evtchnSendNoWait(int port, Runnable then) {
        hv.tell(new HypervisorActor.EvtchnSend(dom, port, adapters.ignore()));
        long c = cost.next();
        if (c <= 0) then.run();
        else cpu.execute("hypercall evtchn_send", c, then);
    }

    public void evtchnClose(int port, Consumer<Hypervisor.Result> k) {
        call(Hypervisor.Result.class, "evtchn_close", new HypervisorActor.EvtchnClose(dom, port, adapters.result()), k);
    }

    /** Routes {@code port}'s upcalls to this guest's actor (the vector callback). */
    public void bindUpcall(int port, Consumer<Hypervisor.Result> k) {
        call(Hypervisor.Result.class, "bind_upcall", new HypervisorActor.BindUpcall(dom, port, adapters.upcall(), adapters.result()), k);
    }
}
