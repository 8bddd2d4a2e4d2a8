package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import xensim.abi.GrantTableAbi;
import xensim.abi.HvmParams;
import xensim.abi.PageBytes;
import xensim.abi.XenstoreRing;
import xensim.abi.XsFramer;
import xensim.abi.XsMessage;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.platform.Mode;
import xensim.platform.SimSystem;
import xensim.xen.DomainConfig;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * A guest talking to xenstored over its real ring page: the toolstack part (domain, store page
 * granted as GNTTAB_RESERVED_XENSTORE, unbound store event channel, INTRODUCE) is done here by
 * hand; the guest side writes raw bytes into the page and kicks the event channel.
 */
class GuestRingTest {
    static final long STORE_GFN = 0x80;

    /** The test guest's commands: bytes to put on the ring (then kick), or a raw poke of the page. */
    sealed interface G permits Send, Poke, Upcall {}

    record Send(byte[] bytes) implements G {}

    record Poke(java.util.function.Consumer<PageBytes> f) implements G {}

    record Upcall(int port) implements G {}

    static final class Host {
        final List<XsMessage> received = new CopyOnWriteArrayList<>();
        final EventRecorder events = new EventRecorder();
        SimSystem<G> sim;
        PageBytes page;
        volatile boolean introduced;

        void await(BooleanSupplier cond, String what) throws InterruptedException {
            for (int i = 0; i < 500 && !cond.getAsBoolean(); i++) Thread.sleep(10);
            List<XsMessage> r = List.copyOf(received);
            assertTrue(cond.getAsBoolean(), "timed out waiting for " + what + "; got " + r.size() + " messages, last "
                    + r.subList(Math.max(0, r.size() - 3), r.size()));
        }

        void send(XsMessage m) {
            sim.system().tell(new Send(m.encode()));
        }

        List<XsMessage> replies() {
            return received.stream().filter(m -> m.type() != XS_WATCH_EVENT).toList();
        }
    }

    private static Host start(XenstoredCore.Flavour flavour) throws Exception {
        Host h = new Host();
        EventLog log = new EventLog(h.events);
        CompletableFuture<Void> ready = new CompletableFuture<>();
        h.sim = SimSystem.start("ring", Mode.DETERMINISTIC, 1, log, 1.0, seam -> Behaviors.setup(ctx -> {
            Hypervisor hv = new Hypervisor(seam.events());
            ActorRef<HypervisorActor.Command> hyp = ctx.spawn(HypervisorActor.create(seam, hv, 1000), "hypervisor");
            XenstoredCore core = new XenstoredCore(flavour, seam.events());
            ActorRef<XenstoredActor.Command> xs = ctx.spawn(XenstoredActor.create(seam, core, hyp), "xenstored");
            // the toolstack's part, done synchronously on the simulation thread
            DomainConfig cfg = DomainConfig.ofRamPages(512);
            Hypervisor.DomainCreated dc = hv.createDomain(0, cfg);
            int dom = dc.domid();
            hv.addToPhysmap(dom, dom, HvmParams.XENMAPSPACE_grant_table, 0, cfg.firstHoleGfn());
            hv.seedGrantEntry(0, dom, GrantTableAbi.GNTTAB_RESERVED_XENSTORE, 0, STORE_GFN, false);
            int port = hv.evtchnAllocUnbound(0, dom, 0).port();
            h.page = dc.memory().page(STORE_GFN);
            Connection init = core.connect(0, "init", m -> { });
            core.handle(init, XsMessage.of(XS_MKDIR, 1, 0, "/local/domain/" + dom));
            core.handle(init, XsMessage.of(XS_SET_PERMS, 2, 0, "/local/domain/" + dom, "n" + dom));
            core.disconnect(init);
            XsFramer framer = new XsFramer();
            byte[] buf = new byte[4096];
            ActorRef<G> self = ctx.getSelf();
            hv.bindUpcall(dom, port, (d, p) -> self.tell(new Upcall(p)));
            ActorRef<XsMessage> ignore = ctx.spawnAnonymous(Behaviors.ignore());
            xs.tell(new XenstoredActor.OpenLocal(0, ignore, ctx.messageAdapter(XenstoredActor.Opened.class, o -> {
                xs.tell(new XenstoredActor.Request(o.connId(), XsMessage.of(XS_INTRODUCE, 1, 0,
                        String.valueOf(dom), String.valueOf(STORE_GFN), String.valueOf(port))));
                return new Upcall(-1);
            })));
            List<byte[]> pending = new ArrayList<>();
            int[] pendingOff = {0};
            return Behaviors.<G>receiveMessage(g -> {
                if (g instanceof Send s) pending.add(s.bytes());
                if (g instanceof Poke p) p.f().accept(h.page);
                if (g instanceof Upcall u && u.port() == -1) {
                    h.introduced = true;
                    ready.complete(null);
                }
                // guest side of the ring: read responses, then push what fits
                int n;
                while ((n = XenstoreRing.readResponse(h.page, buf, 0, buf.length)) > 0) h.received.addAll(framer.feed(buf, 0, n));
                boolean wrote = false;
                while (!pending.isEmpty()) {
                    byte[] head = pending.get(0);
                    int w = XenstoreRing.writeRequest(h.page, head, pendingOff[0], head.length - pendingOff[0]);
                    if (w <= 0) break;
                    wrote = true;
                    pendingOff[0] += w;
                    if (pendingOff[0] == head.length) {
                        pending.remove(0);
                        pendingOff[0] = 0;
                    }
                }
                if (wrote || g instanceof Poke) hyp.tell(new HypervisorActor.EvtchnSend(dom, port, null));
                return Behaviors.same();
            });
        }));
        ready.get(10, TimeUnit.SECONDS);
        return h;
    }

    @Test
    void requestsAndWatchStormThroughTheRingWithWrapAround() throws Exception {
        Host h = start(XenstoredCore.Flavour.DEFAULT);
        try {
            h.await(() -> h.page.getInt(XenstoreRing.SERVER_FEATURES) != 0, "features");
            assertEquals(XenstoredCore.Flavour.DEFAULT.features, h.page.getInt(XenstoreRing.SERVER_FEATURES));
            h.send(XsMessage.of(XS_WATCH, 1, 0, "data", "storm"));
            int n = 300; // ~300 x 120 bytes each way: the 1 KiB rings wrap many times
            for (int i = 0; i < n; i++) {
                h.send(new XsMessage(XS_WRITE, 100 + i, 0, ("data/k" + (i % 7) + "\0" + "v".repeat(80) + i)
                        .getBytes(StandardCharsets.UTF_8)));
            }
            h.await(() -> h.replies().size() == n + 1, "replies");
            for (int i = 0; i < n; i++) assertEquals(100 + i, h.replies().get(i + 1).reqId(), "replies in order");
            long events = h.received.stream().filter(m -> m.type() == XS_WATCH_EVENT).count();
            // one message out per turn of the loop: events back up, and send_event drops one
            // identical to an event still queued (C xenstored), so there may be fewer than writes
            assertTrue(events >= 8 && events <= n + 1, "initial event plus one per write at most: " + events);
            assertTrue(Integer.compareUnsigned(h.page.getInt(XenstoreRing.REQ_PROD), 10 * 1024) > 0, "indexes went round");
            h.send(XsMessage.of(XS_READ, 999, 0, "data/k3"));
            h.send(XsMessage.of(XS_DIRECTORY, 1000, 0, "data"));
            h.await(() -> h.replies().size() == n + 3, "read");
            assertTrue(new String(h.replies().get(n + 1).payload()).endsWith("297"));
            assertEquals(7, h.replies().get(n + 2).strings().size());
            // another domain's nodes stay closed over the ring too
            h.send(XsMessage.of(XS_WRITE, 1001, 0, "/local/domain/0/x", "1"));
            h.await(() -> h.replies().size() == n + 4, "EACCES");
            assertEquals(List.of("EACCES"), h.replies().get(n + 3).strings());
            h.send(XsMessage.of(XS_RESET_WATCHES, 1002, 0, ""));
            h.send(new XsMessage(XS_WRITE, 1003, 0, "data/after\0x".getBytes(StandardCharsets.UTF_8)));
            h.await(() -> h.replies().size() == n + 6, "reset");
            assertEquals(events, h.received.stream().filter(m -> m.type() == XS_WATCH_EVENT).count(), "no events after RESET_WATCHES");
        } finally {
            h.sim.close();
        }
    }

    @Test
    void anOversizedPayloadKillsTheConnection() throws Exception {
        Host h = start(XenstoredCore.Flavour.DEFAULT);
        try {
            h.await(() -> h.page.getInt(XenstoreRing.SERVER_FEATURES) != 0, "ring attached");
            h.send(XsMessage.of(XS_READ, 1, 0, "name"));
            h.await(() -> h.replies().size() == 1, "first reply");
            byte[] hdr = new XsMessage(XS_WRITE, 2, 0, new byte[0]).encode();
            hdr[12] = (byte) 0x89; hdr[13] = 0x13; // len = 5001 > XENSTORE_PAYLOAD_MAX
            h.sim.system().tell(new Send(hdr));
            h.await(() -> h.page.getInt(XenstoreRing.ERROR) == XENSTORE_ERROR_PROTO, "error field");
            h.send(XsMessage.of(XS_READ, 3, 0, "name"));
            Thread.sleep(200);
            assertEquals(1, h.replies().size(), "a dead connection answers nothing");
            assertTrue(h.events.named("XS_RESET").stream().anyMatch(e -> "payload-too-long".equals(e.get("reason"))));
        } finally {
            h.sim.close();
        }
    }

    @Test
    void reconnectionResetsTheRingWhenAdvertised() throws Exception {
        Host h = start(XenstoredCore.Flavour.OCAML);
        try {
            h.await(() -> h.page.getInt(XenstoreRing.SERVER_FEATURES) == XENSTORE_SERVER_FEATURE_RECONNECTION, "features");
            h.send(XsMessage.of(XS_WATCH, 1, 0, "w", "t"));
            h.await(() -> h.replies().size() == 1, "watch");
            // a half-written request is left on the ring, then the guest asks for a reconnect
            h.sim.system().tell(new Send(new byte[] {11, 0, 0}));
            h.sim.system().tell(new Poke(p -> p.putIntRelease(XenstoreRing.CONNECTION, XENSTORE_RECONNECT)));
            h.await(() -> h.events.named("XS_RESET").stream().anyMatch(e -> "reconnect".equals(e.get("reason")))
                    && h.page.getInt(XenstoreRing.CONNECTION) == XENSTORE_CONNECTED, "reconnected");
            // ml_interface_close: all four indexes 0, both rings full of XS_INVALID bytes
            for (int off : new int[] {XenstoreRing.REQ_CONS, XenstoreRing.REQ_PROD, XenstoreRing.RSP_CONS, XenstoreRing.RSP_PROD}) {
                assertEquals(0, h.page.getInt(off), "index at " + off);
            }
            assertEquals((byte) 0xff, h.page.getByte(XenstoreRing.REQ + 100));
            assertEquals((byte) 0xff, h.page.getByte(XenstoreRing.RSP + 1000));
            int before = h.received.size();
            h.send(new XsMessage(XS_WRITE, 5, 0, "w\0x".getBytes(StandardCharsets.UTF_8)));
            h.await(() -> h.received.size() == before + 1, "write after reconnect");
            assertEquals(XS_WRITE, h.received.get(before).type(), "the partial packet was dropped, the watch too");
            assertTrue(h.events.named("XS_RESET").stream().anyMatch(e -> "reconnect".equals(e.get("reason"))));
        } finally {
            h.sim.close();
        }
    }

    @Test
    void cXenstoredIgnoresAReconnectRequest() throws Exception {
        Host h = start(XenstoredCore.Flavour.DEFAULT);
        try {
            h.await(() -> h.page.getInt(XenstoreRing.SERVER_FEATURES) != 0, "ring attached");
            h.sim.system().tell(new Poke(p -> p.putIntRelease(XenstoreRing.CONNECTION, XENSTORE_RECONNECT)));
            h.send(XsMessage.of(XS_READ, 1, 0, "name"));
            h.await(() -> h.replies().size() == 1, "still served");
            assertEquals(XENSTORE_RECONNECT, h.page.getInt(XenstoreRing.CONNECTION),
                    "no RECONNECTION feature: nobody clears the field (OVMF's wait would never end)");
        } finally {
            h.sim.close();
        }
    }
}
