package xensim.dom0.xenstored;

import xensim.abi.XsMessage;
import xensim.abi.XsFramer;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import xensim.abi.GrantTableAbi;
import xensim.abi.PageBytes;
import xensim.abi.XenstoreRing;
import xensim.abi.XsWire;
import xensim.platform.Seam;
import xensim.xen.GrantMappingFault;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * Guest connections over the {@code xenstore_domain_interface} page (xenstored_domain.c). On
 * INTRODUCE xenstored maps the guest's GNTTAB_RESERVED_XENSTORE grant and binds the store event
 * channel; each kick it honours a reconnect request (when advertised), reads request bytes
 * (insane indexes or an oversized payload deactivate the connection and set the ring's error
 * field, as C xenstored does), handles complete messages and writes responses as space allows.
 * Part of {@link XenstoredActor}: it runs on the actor's thread.
 */
final class GuestRing implements XenstoredCore.DomainListener {

    sealed interface RingCommand extends XenstoredActor.Command permits Mapped, Bound, Kick {}

    record Mapped(int domid, Hypervisor.GrantMapped reply) implements RingCommand {}

    record Bound(int domid, Hypervisor.EvtchnPort reply) implements RingCommand {}

    record Kick(int domid, int port) implements RingCommand {}

    private static final class Ring {
        final int domid;
        final int remotePort;
        PageBytes page;
        int handle = -1;
        int localPort = -1;
        Connection conn;
        final XsFramer framer = new XsFramer();
        final ArrayDeque<byte[]> out = new ArrayDeque<>();
        int outOffset;
        boolean dead;
        /** Inside {@link #service}: output is flushed (and the guest notified) once at its end. */
        boolean servicing;

        Ring(int domid, int remotePort) {
            this.domid = domid;
            this.remotePort = remotePort;
        }

        boolean ready() {
            return page != null && localPort > 0;
        }
    }

    private final ActorContext<XenstoredActor.Command> ctx;
    private final Seam seam;
    private final XenstoredCore core;
    private final ActorRef<HypervisorActor.Command> hypervisor;
    private final Map<Integer, Ring> rings = new HashMap<>();
    private final byte[] buf = new byte[XsWire.XENSTORE_RING_SIZE];
    /** Domains awaiting their ring map / bind replies, in issue order (one adapter per reply class). */
    private final java.util.ArrayDeque<Integer> mapWaiters = new java.util.ArrayDeque<>();
    private final java.util.ArrayDeque<Integer> bindWaiters = new java.util.ArrayDeque<>();
    private ActorRef<Hypervisor.GrantMapped> mapAdapter;
    private ActorRef<Hypervisor.EvtchnPort> bindAdapter;
    private ActorRef<HypervisorActor.EvtchnUpcall> upcallAdapter;

    /** One adapter for every ring's upcalls; the local port says whose ring it is. */
    private ActorRef<HypervisorActor.EvtchnUpcall> upcallAdapter() {
        if (upcallAdapter == null) upcallAdapter = ctx.messageAdapter(HypervisorActor.EvtchnUpcall.class, u -> new Kick(-1, u.port()));
        return upcallAdapter;
    }

    GuestRing(ActorContext<XenstoredActor.Command> ctx, Seam seam, XenstoredCore core,
              ActorRef<HypervisorActor.Command> hypervisor) {
        this.ctx = ctx;
        this.seam = seam;
        this.core = core;
        this.hypervisor = hypervisor;
    }

    @Override
    public void introduced(int domid, long gfn, int port) {
        if (hypervisor == null) return; // standalone xenstored: no guests
        Ring r = new Ring(domid, port);
        rings.put(domid, r);
        if (mapAdapter == null) {
            mapAdapter = ctx.messageAdapter(Hypervisor.GrantMapped.class, g -> new Mapped(mapWaiters.isEmpty() ? -1 : mapWaiters.poll(), g));
            bindAdapter = ctx.messageAdapter(Hypervisor.EvtchnPort.class, p -> new Bound(bindWaiters.isEmpty() ? -1 : bindWaiters.poll(), p));
        }
        mapWaiters.add(domid);
        hypervisor.tell(new HypervisorActor.MapGrantRef(0, domid, GrantTableAbi.GNTTAB_RESERVED_XENSTORE, false, mapAdapter));
        bindWaiters.add(domid);
        hypervisor.tell(new HypervisorActor.EvtchnBindInterdomain(0, domid, port, bindAdapter));
    }

    @Override
    public void released(int domid) {
        Ring r = rings.remove(domid);
        if (r == null) return;
        if (r.handle >= 0) hypervisor.tell(new HypervisorActor.UnmapGrantRef(0, r.handle, null));
        if (r.localPort > 0) hypervisor.tell(new HypervisorActor.EvtchnClose(0, r.localPort, null));
        if (r.conn != null) core.disconnect(r.conn);
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
                    return;
                }
                r.localPort = b.reply().port();
                hypervisor.tell(new HypervisorActor.BindUpcall(0, r.localPort,
                        upcallAdapter(), null));
                attachIfReady(r);
        } else if (c instanceof Kick k) {
                for (Ring r : rings.values()) {
                    if (r.localPort == k.port() && r.ready() && !r.dead) service(r);
                }
        }
    }

    private void attachIfReady(Ring r) {
        if (!r.ready() || r.conn != null) return;
        r.conn = core.connect(r.domid, "ring", msg -> {
            r.out.add(msg.encode());
            if (!r.servicing) pushOutOfBand(r); // a watch event caused by another connection's write
        });
        try {
            // advertise features before producing or consuming anything (xenstore-ring.txt)
            r.page.putInt(XenstoreRing.SERVER_FEATURES, core.serverFeatures(r.domid));
        } catch (GrantMappingFault e) {
            r.dead = true;
            return;
        }
        service(r);
    }

    /** Output nobody's request is waiting to flush (watch events): onto the ring now, and notify. */
    private void pushOutOfBand(Ring r) {
        if (r.dead || !r.ready()) return;
        try {
            if (flush(r)) notifyGuest(r);
        } catch (GrantMappingFault e) {
            r.dead = true;
        }
    }

    private void service(Ring r) {
        r.servicing = true;
        try {
            serviceRequests(r);
        } finally {
            r.servicing = false;
        }
    }

    private void serviceRequests(Ring r) {
        boolean progress = false;
        try {
            if ((core.serverFeatures(r.domid) & XsWire.XENSTORE_SERVER_FEATURE_RECONNECTION) != 0
                    && r.page.getIntAcquire(XenstoreRing.CONNECTION) == XsWire.XENSTORE_RECONNECT) {
                reconnect(r);
                return;
            }
            while (true) {
                int n = XenstoreRing.readRequest(r.page, buf, 0, buf.length);
                if (n == XenstoreRing.BAD_INDEXES) {
                    deactivate(r, XsWire.XENSTORE_ERROR_RINGIDX, "bad-ring-index");
                    return;
                }
                if (n == 0) break;
                progress = true;
                for (XsMessage m : r.framer.feed(buf, 0, n)) core.handle(r.conn, m);
                if (r.framer.broken()) {
                    deactivate(r, XsWire.XENSTORE_ERROR_PROTO, "payload-too-long");
                    return;
                }
            }
            progress |= flush(r);
        } catch (GrantMappingFault e) {
            r.dead = true;
            return;
        }
        if (progress) notifyGuest(r);
    }

    /** Writes queued output while the response ring has room; true if anything was written. */
    private boolean flush(Ring r) {
        boolean wrote = false;
        while (!r.out.isEmpty()) {
            byte[] head = r.out.peek();
            int n = XenstoreRing.writeResponse(r.page, head, r.outOffset, head.length - r.outOffset);
            if (n == XenstoreRing.BAD_INDEXES) {
                deactivate(r, XsWire.XENSTORE_ERROR_RINGIDX, "bad-ring-index");
                return wrote;
            }
            if (n == 0) break;
            wrote = true;
            r.outOffset += n;
            if (r.outOffset == head.length) {
                r.out.poll();
                r.outOffset = 0;
            }
        }
        return wrote;
    }

    /** The ring reconnection feature: forget everything about the connection, empty the queues. */
    private void reconnect(Ring r) {
        r.framer.reset();
        r.out.clear();
        r.outOffset = 0;
        core.resetConnection(r.conn, "reconnect");
        r.page.putInt(XenstoreRing.REQ_CONS, r.page.getInt(XenstoreRing.REQ_PROD));
        r.page.putInt(XenstoreRing.RSP_PROD, r.page.getInt(XenstoreRing.RSP_CONS));
        r.page.putInt(XenstoreRing.ERROR, XsWire.XENSTORE_ERROR_NONE);
        r.page.putIntRelease(XenstoreRing.CONNECTION, XsWire.XENSTORE_CONNECTED);
        notifyGuest(r);
    }

    /** C xenstored's ignore_connection(): the guest gets no more service on this ring. */
    private void deactivate(Ring r, int error, String reason) {
        r.dead = true;
        core.resetConnection(r.conn, reason);
        try {
            if ((core.serverFeatures(r.domid) & XsWire.XENSTORE_SERVER_FEATURE_ERROR) != 0) {
                r.page.putIntRelease(XenstoreRing.ERROR, error);
            }
        } catch (GrantMappingFault ignored) {
            // unmapped meanwhile
        }
        notifyGuest(r);
    }

    private void notifyGuest(Ring r) {
        hypervisor.tell(new HypervisorActor.EvtchnSend(0, r.localPort, null));
    }
}
