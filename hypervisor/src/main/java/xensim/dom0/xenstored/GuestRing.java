package xensim.dom0.xenstored;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import xensim.abi.GrantTableAbi;
import xensim.abi.PageBytes;
import xensim.platform.Seam;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * Attaching guests' rings (xenstored_domain.c introduce_domain / destroy_domain): on INTRODUCE
 * xenstored maps the guest's GNTTAB_RESERVED_XENSTORE grant and binds the store event channel;
 * once both answered, the ring joins the {@link MainLoop}; on RELEASE it is unmapped and unbound.
 * Every upcall on a store port wakes the loop (which then looks at every ring, as xenstored's
 * main loop does). Part of {@link XenstoredActor}: it runs on the actor's thread.
 */
final class GuestRing implements XenstoredCore.DomainListener {

    sealed interface RingCommand extends XenstoredActor.Command permits Mapped, Bound, Kick {}

    record Mapped(int domid, Hypervisor.GrantMapped reply) implements RingCommand {}

    record Bound(int domid, Hypervisor.EvtchnPort reply) implements RingCommand {}

    record Kick(int domid, int port) implements RingCommand {}

    private static final class Ring {
        final int domid;
        PageBytes page;
        int handle = -1;
        int localPort = -1;
        boolean attached;
        boolean dead;

        Ring(int domid) {
            this.domid = domid;
        }

        boolean ready() {
            return page != null && localPort > 0;
        }
    }

    private final ActorContext<XenstoredActor.Command> ctx;
    private final Seam seam;
    private final ActorRef<HypervisorActor.Command> hypervisor;
    private final MainLoop loop;
    private final Map<Integer, Ring> rings = new HashMap<>();
    /** Domains awaiting their ring map / bind replies, in issue order (one adapter per reply class). */
    private final ArrayDeque<Integer> mapWaiters = new ArrayDeque<>();
    private final ArrayDeque<Integer> bindWaiters = new ArrayDeque<>();
    private ActorRef<Hypervisor.GrantMapped> mapAdapter;
    private ActorRef<Hypervisor.EvtchnPort> bindAdapter;
    private ActorRef<HypervisorActor.EvtchnUpcall> upcallAdapter;

    GuestRing(ActorContext<XenstoredActor.Command> ctx, Seam seam, ActorRef<HypervisorActor.Command> hypervisor, MainLoop loop) {
        this.ctx = ctx;
        this.seam = seam;
        this.hypervisor = hypervisor;
        this.loop = loop;
    }

    /** One adapter for every ring's upcalls; the local port says whose ring it is. */
    private ActorRef<HypervisorActor.EvtchnUpcall> upcallAdapter() {
        if (upcallAdapter == null) upcallAdapter = ctx.messageAdapter(HypervisorActor.EvtchnUpcall.class, u -> new Kick(-1, u.port()));
        return upcallAdapter;
    }

    @Override
    public boolean introduced(int domid, long gfn, int port) {
        if (hypervisor == null) return false; // standalone xenstored: no guests
        Ring r = new Ring(domid);
        rings.put(domid, r);
        if (mapAdapter == null) {
            mapAdapter = ctx.messageAdapter(Hypervisor.GrantMapped.class, g -> new Mapped(mapWaiters.isEmpty() ? -1 : mapWaiters.poll(), g));
            bindAdapter = ctx.messageAdapter(Hypervisor.EvtchnPort.class, p -> new Bound(bindWaiters.isEmpty() ? -1 : bindWaiters.poll(), p));
        }
        mapWaiters.add(domid);
        hypervisor.tell(new HypervisorActor.MapGrantRef(0, domid, GrantTableAbi.GNTTAB_RESERVED_XENSTORE, false, mapAdapter));
        bindWaiters.add(domid);
        hypervisor.tell(new HypervisorActor.EvtchnBindInterdomain(0, domid, port, bindAdapter));
        return true;
    }

    @Override
    public void released(int domid) {
        Ring r = rings.remove(domid);
        if (r == null) return;
        if (r.attached) loop.removeRing(domid);
        if (r.handle >= 0) hypervisor.tell(new HypervisorActor.UnmapGrantRef(0, r.handle, null));
        if (r.localPort > 0) hypervisor.tell(new HypervisorActor.EvtchnClose(0, r.localPort, null));
    }

    void onCommand(RingCommand c) {
        if (c instanceof Mapped m) {
            Ring r = rings.get(m.domid());
            if (r == null) { // released meanwhile
                if (m.reply().status() == 0) hypervisor.tell(new HypervisorActor.UnmapGrantRef(0, m.reply().handle(), null));
                return;
            }
            if (m.reply().status() != GrantTableAbi.GNTST_okay) {
                seam.events().event(m.domid(), "xenstored", "XS_RESET").with("reason", "ring-map-failed")
                        .with("status", GrantTableAbi.gntstName(m.reply().status())).emit();
                r.dead = true;
                loop.core().introduceDone(m.domid(), "EINVAL");
                return;
            }
            r.page = m.reply().mapping();
            r.handle = m.reply().handle();
            attachIfReady(r);
        } else if (c instanceof Bound b) {
            Ring r = rings.get(b.domid());
            if (r == null) {
                if (b.reply().rc() == 0) hypervisor.tell(new HypervisorActor.EvtchnClose(0, b.reply().port(), null));
                return;
            }
            if (b.reply().rc() != 0) {
                r.dead = true;
                loop.core().introduceDone(b.domid(), "EINVAL");
                return;
            }
            r.localPort = b.reply().port();
            hypervisor.tell(new HypervisorActor.BindUpcall(0, r.localPort, upcallAdapter(), null));
            attachIfReady(r);
        } else if (c instanceof Kick) {
            loop.wake(); // xenstored's poll() returns; the loop looks at every ring
        }
    }

    private void attachIfReady(Ring r) {
        if (!r.ready() || r.attached || r.dead) return;
        r.attached = true;
        loop.addRing(r.domid, r.page, r.localPort);
        loop.core().introduceDone(r.domid, null); // do_introduce answers once the ring is reset
    }
}
