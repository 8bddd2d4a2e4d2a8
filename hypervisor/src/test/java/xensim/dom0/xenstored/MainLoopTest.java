package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import xensim.abi.ByteArrayPage;
import xensim.abi.PageBytes;
import xensim.abi.XenstoreRing;
import xensim.abi.XsFramer;
import xensim.abi.XsMessage;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.platform.Latency;

/**
 * xenstored's main loop and ring code without Akka: a virtual clock runs its steps, the test is
 * the guest writing the ring page. Each xenstored version's ring fields, and the C ring code's
 * hazards for a guest that resets the ring behind xenstored's back (OVMF's 0xff reset).
 */
class MainLoopTest {
    static final int DOM = 7;
    static final int PORT = 3;

    /** xenstored's thread on a virtual clock. */
    static final class Clock implements MainLoop.Env {
        record Due(long at, long seq, Runnable step) {}

        final PriorityQueue<Due> due = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
        long now;
        long seq;
        int notifies;

        @Override
        public void after(long nanos, Runnable step) {
            due.add(new Due(now + nanos, seq++, step));
        }

        @Override
        public void notify(int localPort) {
            notifies++;
        }

        /** Runs every step due up to {@code t}. */
        void runUntil(long t) {
            while (!due.isEmpty() && due.peek().at <= t) {
                Due d = due.poll();
                now = d.at;
                d.step.run();
            }
            now = Math.max(now, t);
        }

        /** Runs until nothing is due (xenstored's loop went idle). */
        void runAll() {
            while (!due.isEmpty()) {
                Due d = due.poll();
                now = d.at;
                d.step.run();
            }
        }
    }

    static final class Rig {
        final EventRecorder events = new EventRecorder();
        final XenstoredCore core;
        final Clock clock = new Clock();
        final MainLoop loop;
        final PageBytes page = new ByteArrayPage();
        final XsFramer framer = new XsFramer();
        final List<XsMessage> got = new ArrayList<>();
        final Connection dom0;

        Rig(XenstoredCore.Flavour flavour, MainLoop.Costs costs) {
            core = new XenstoredCore(flavour, new EventLog(events));
            loop = new MainLoop(core, clock, costs);
            dom0 = core.connect(0, "test", m -> { });
            core.handle(dom0, XsMessage.of(XS_MKDIR, 1, 0, "/local/domain/" + DOM));
            core.handle(dom0, XsMessage.of(XS_SET_PERMS, 2, 0, "/local/domain/" + DOM, "n" + DOM));
        }

        Rig(XenstoredCore.Flavour flavour) {
            this(flavour, MainLoop.Costs.none());
        }

        void attach() {
            loop.addRing(DOM, page, PORT);
            clock.runAll();
        }

        /** The guest: a request onto the ring and a kick. */
        void send(XsMessage m) {
            byte[] b = m.encode();
            assertEquals(b.length, XenstoreRing.writeRequest(page, b, 0, b.length));
            loop.wake();
        }

        List<XsMessage> read() {
            byte[] buf = new byte[4096];
            int n;
            while ((n = XenstoreRing.readResponse(page, buf, 0, buf.length)) > 0) got.addAll(framer.feed(buf, 0, n));
            return got;
        }

        boolean reset(String reason) {
            return events.named("XS_RESET").stream().anyMatch(e -> reason.equals(e.get("reason")));
        }
    }

    // --- item 6: each version's ring fields ------------------------------------------------------

    @Test
    void cXenstored417WritesNoFeaturesButAlwaysTheErrorField() {
        Rig r = new Rig(XenstoredCore.Flavour.C_4_17);
        r.page.putInt(XenstoreRing.SERVER_FEATURES, 0x5a); // whatever the page held
        r.page.putInt(XenstoreRing.REQ_PROD, 77);           // domain_conn_reset zeroes these
        r.attach();
        assertEquals(0x5a, r.page.getInt(XenstoreRing.SERVER_FEATURES), "4.17-4.20 never write server_features");
        assertEquals(0, r.page.getInt(XenstoreRing.REQ_PROD), "domain_conn_reset at introduction");
        r.send(XsMessage.of(XS_READ, 1, 0, "name"));
        r.clock.runAll();
        assertEquals(XS_ERROR, r.read().get(0).type(), "served (ENOENT)");
        r.page.putInt(XenstoreRing.REQ_PROD, r.page.getInt(XenstoreRing.REQ_CONS) + 2000); // insane
        r.loop.wake();
        r.clock.runAll();
        assertEquals(XENSTORE_ERROR_RINGIDX, r.page.getInt(XenstoreRing.ERROR),
                "ignore_connection writes the error field although ERROR was never advertised");
        assertTrue(r.loop.ringIgnored(DOM));
    }

    @Test
    void cXenstored421AdvertisesErrorAndWritesItOnlyWhenAdvertised() {
        Rig r = new Rig(XenstoredCore.Flavour.C_4_21);
        r.attach();
        assertEquals(XENSTORE_SERVER_FEATURE_ERROR, r.page.getInt(XenstoreRing.SERVER_FEATURES));
        r.page.putInt(XenstoreRing.REQ_PROD, 2000);
        r.loop.wake();
        r.clock.runAll();
        assertEquals(XENSTORE_ERROR_RINGIDX, r.page.getInt(XenstoreRing.ERROR));

        Rig quiet = new Rig(XenstoredCore.Flavour.C_4_21);
        quiet.core.handle(quiet.dom0, XsMessage.of(XS_SET_FEATURE, 3, 0, String.valueOf(DOM), "0")); // before introduction
        quiet.attach();
        assertEquals(0, quiet.page.getInt(XenstoreRing.SERVER_FEATURES));
        quiet.page.putInt(XenstoreRing.REQ_PROD, 2000);
        quiet.loop.wake();
        quiet.clock.runAll();
        assertTrue(quiet.loop.ringIgnored(DOM), "cut off all the same");
        assertEquals(XENSTORE_ERROR_NONE, quiet.page.getInt(XenstoreRing.ERROR), "but the error field is not written without ERROR");
    }

    @Test
    void cXenstored422AdvertisesErrorWatchdepthDomidAny() {
        Rig r = new Rig(XenstoredCore.Flavour.C_4_22);
        r.attach();
        assertEquals(XENSTORE_SERVER_FEATURE_ERROR | XENSTORE_SERVER_FEATURE_WATCHDEPTH | XENSTORE_SERVER_FEATURE_DOMID_ANY,
                r.page.getInt(XenstoreRing.SERVER_FEATURES));
        assertEquals(XenstoredCore.Flavour.C_4_22, XenstoredCore.Flavour.parse("c"));
        byte[] hdr = new XsMessage(XS_WRITE, 2, 0, new byte[0]).encode();
        hdr[12] = (byte) 0x89;
        hdr[13] = 0x13; // len 5001 > XENSTORE_PAYLOAD_MAX
        XenstoreRing.writeRequest(r.page, hdr, 0, hdr.length);
        r.loop.wake();
        r.clock.runAll();
        assertEquals(XENSTORE_ERROR_PROTO, r.page.getInt(XenstoreRing.ERROR));
        assertTrue(r.reset("payload-too-long"));
    }

    @Test
    void oxenstoredAdvertisesReconnectionAndResetsTheRingWith0xff() {
        Rig r = new Rig(XenstoredCore.Flavour.OCAML);
        r.page.putInt(XenstoreRing.REQ_PROD, 5);
        r.page.putInt(XenstoreRing.REQ_CONS, 5);
        r.attach();
        assertEquals(XENSTORE_SERVER_FEATURE_RECONNECTION, r.page.getInt(XenstoreRing.SERVER_FEATURES));
        assertEquals(5, r.page.getInt(XenstoreRing.REQ_PROD), "oxenstored does not zero the indexes at introduction");
        r.send(XsMessage.of(XS_WATCH, 1, 0, "w", "t"));
        r.clock.runAll();
        assertEquals(2, r.read().size(), "reply and initial event");
        r.page.putIntRelease(XenstoreRing.CONNECTION, XENSTORE_RECONNECT);
        r.loop.wake();
        r.clock.runAll();
        assertEquals(XENSTORE_CONNECTED, r.page.getInt(XenstoreRing.CONNECTION));
        for (int off : new int[] {XenstoreRing.REQ_CONS, XenstoreRing.REQ_PROD, XenstoreRing.RSP_CONS, XenstoreRing.RSP_PROD}) {
            assertEquals(0, r.page.getInt(off));
        }
        for (int i = 0; i < XENSTORE_RING_SIZE; i++) {
            assertEquals((byte) 0xff, r.page.getByte(XenstoreRing.REQ + i));
            assertEquals((byte) 0xff, r.page.getByte(XenstoreRing.RSP + i));
        }
        assertTrue(r.reset("reconnect"));
        // the watch went with the reconnection
        r.core.handle(r.dom0, XsMessage.of(XS_WRITE, 9, 0, "/local/domain/" + DOM + "/w", "x"));
        r.clock.runAll();
        assertEquals(2, r.read().size(), "no event after the reconnection");
        // a bad index marks the domain bad; oxenstored has no error field
        r.page.putInt(XenstoreRing.REQ_PROD, 3000);
        r.loop.wake();
        r.clock.runAll();
        assertTrue(r.loop.ringIgnored(DOM));
        assertEquals(XENSTORE_ERROR_NONE, r.page.getInt(XenstoreRing.ERROR));
    }

    // --- item 7: the 0xff reset against C xenstored ----------------------------------------------

    @Test
    void aHalfDoneResetSeenByAnyWakeUpCutsTheGuestOff() {
        Rig r = new Rig(XenstoredCore.Flavour.C_4_17);
        r.attach();
        for (int i = 0; i < 60; i++) { // indexes well past one ring's worth
            r.send(XsMessage.of(XS_READ, i, 0, "name"));
            r.clock.runAll();
            r.read();
        }
        assertTrue(Integer.compareUnsigned(r.page.getInt(XenstoreRing.REQ_CONS), XENSTORE_RING_SIZE) > 0);
        // OVMF's reset, stopped after "req_prod = 0" (req_cons = req_prod = 0 stores req_prod first)
        r.page.fill(XenstoreRing.REQ, XENSTORE_RING_SIZE, (byte) 0xff);
        r.page.fill(XenstoreRing.RSP, XENSTORE_RING_SIZE, (byte) 0xff);
        r.page.putInt(XenstoreRing.REQ_PROD, 0);
        r.loop.wake(); // anyone's event: xenstored's loop looks at every ring
        r.clock.runAll();
        assertTrue(r.loop.ringIgnored(DOM), "req_cons != req_prod: readchn's check fails, ignore_connection");
        assertEquals(XENSTORE_ERROR_RINGIDX, r.page.getInt(XenstoreRing.ERROR));
        assertTrue(r.reset("bad-ring-index"));
        // the guest finishes its reset and the OS talks: never answered
        r.page.putInt(XenstoreRing.REQ_CONS, 0);
        r.page.putInt(XenstoreRing.RSP_PROD, 0);
        r.page.putInt(XenstoreRing.RSP_CONS, 0);
        int before = r.got.size();
        r.send(XsMessage.of(XS_READ, 99, 0, "name"));
        r.clock.runAll();
        assertEquals(before, r.read().size(), "the OS never gets xenstore back");
    }

    @Test
    void aResetBetweenReadchnsCopyAndItsIndexUpdateBreaksTheRing() {
        Rig r = new Rig(XenstoredCore.Flavour.C_4_22, new MainLoop.Costs(Latency.none(), Latency.none(),
                new Latency(1_000, new SplittableRandom(3)), Latency.none(), Latency.none()));
        r.attach();
        r.send(XsMessage.of(XS_READ, 1, 0, "name"));
        // readchn read the indexes and copied the header; the guest zeroes everything before
        // xenstored's "req_cons += len"
        r.clock.runUntil(r.clock.now + 1);
        r.page.putInt(XenstoreRing.REQ_PROD, 0);
        r.page.putInt(XenstoreRing.REQ_CONS, 0);
        r.page.putInt(XenstoreRing.RSP_PROD, 0);
        r.page.putInt(XenstoreRing.RSP_CONS, 0);
        r.clock.runAll();
        assertTrue(r.loop.ringIgnored(DOM), "req_cons = 0 + 16 with req_prod 0: the next check fails");
        assertEquals(XENSTORE_ERROR_RINGIDX, r.page.getInt(XenstoreRing.ERROR));
    }

    @Test
    void cXenstoredKeepsPartialInputQueuedOutputAndWatchesAcrossA0xffReset() {
        Rig r = new Rig(XenstoredCore.Flavour.C_4_22);
        r.attach();
        r.send(XsMessage.of(XS_WATCH, 1, 0, "device", "tok"));
        r.clock.runAll();
        assertEquals(2, r.read().size());
        // half a header is on the ring when the guest resets it (all at once here)
        byte[] next = XsMessage.of(XS_READ, 2, 0, "name").encode();
        XenstoreRing.writeRequest(r.page, next, 0, 8);
        r.loop.wake();
        r.clock.runAll();
        r.page.fill(XenstoreRing.REQ, XENSTORE_RING_SIZE, (byte) 0xff);
        r.page.fill(XenstoreRing.RSP, XENSTORE_RING_SIZE, (byte) 0xff);
        for (int off : new int[] {XenstoreRing.REQ_PROD, XenstoreRing.REQ_CONS, XenstoreRing.RSP_PROD, XenstoreRing.RSP_CONS}) {
            r.page.putInt(off, 0);
        }
        assertFalse(r.loop.ringIgnored(DOM), "xenstored did not notice: the ring is sane");
        // another domain's write fires the firmware's watch: the event waits in the response ring
        r.core.handle(r.dom0, XsMessage.of(XS_WRITE, 3, 0, "/local/domain/" + DOM + "/device/x", "1"));
        r.clock.runAll();
        assertTrue(XenstoreRing.responseBytesAvailable(r.page) > 0, "a watch event sits in the response ring at handoff");
        // the OS's first request: its first 8 bytes complete the stale half header
        XsFramer os = new XsFramer();
        byte[] buf = new byte[4096];
        int n = XenstoreRing.readResponse(r.page, buf, 0, buf.length);
        List<XsMessage> events = os.feed(buf, 0, n);
        assertEquals(XS_WATCH_EVENT, events.get(0).type(), "the firmware's watch survived the reset");
        r.send(XsMessage.of(XS_READ, 0x4000, 0, "name"));
        r.clock.runAll();
        n = XenstoreRing.readResponse(r.page, buf, 0, buf.length);
        List<XsMessage> replies = os.feed(buf, 0, Math.max(0, n));
        assertTrue(replies.stream().noneMatch(m -> m.reqId() == 0x4000), "never answered: " + replies);
        // the stale 8 bytes plus the OS's first 8 make a header whose length is the OS's req_id
        assertTrue(r.loop.ringIgnored(DOM) && r.reset("payload-too-long"),
                "the stale partial header swallowed the OS's request and the connection was cut off");
    }

    /**
     * A guest that never consumes its responses: with the response ring full, xenstored's loop has
     * output it cannot write and must sleep until the guest's event channel fires, as both
     * xenstoreds do (C's domain_can_write, oxenstored's select). oxenstored's loop counted pending
     * output as work and turned every microsecond of virtual time for ever (found by the
     * whole-host fuzz campaign: a deterministic host that never quiesced).
     */
    @Test
    void aFullResponseRingPutsTheLoopToSleepUnderEveryFlavour() {
        for (XenstoredCore.Flavour f : XenstoredCore.Flavour.values()) {
            Rig r = new Rig(f);
            r.attach();
            r.page.putInt(XenstoreRing.RSP_CONS, 0);
            r.page.putInt(XenstoreRing.RSP_PROD, XENSTORE_RING_SIZE); // full: the guest never read
            r.send(XsMessage.of(XS_READ, 1, 0, "name"));
            int steps = 0;
            while (!r.clock.due.isEmpty() && steps < 100_000) {
                MainLoopTest.Clock.Due d = r.clock.due.poll();
                r.clock.now = d.at();
                d.step().run();
                steps++;
            }
            assertTrue(r.clock.due.isEmpty(), f + ": the loop still turns after " + steps + " steps");
            assertFalse(r.loop.ringIgnored(DOM), f + ": a full ring is no fault");
            // the guest consumes: the reply goes out
            r.page.putInt(XenstoreRing.RSP_CONS, XENSTORE_RING_SIZE);
            r.loop.wake();
            r.clock.runAll();
            assertTrue(r.page.getInt(XenstoreRing.RSP_PROD) > XENSTORE_RING_SIZE + 16, f + ": the reply once there is room");
        }
    }

    // --- timing ----------------------------------------------------------------------------------

    @Test
    void aRoundTripCostsTheWakeupTheRequestTheCopiesAndTheNotifies() {
        MainLoop.Costs costs = new MainLoop.Costs(new Latency(20_000, new SplittableRandom(1)), new Latency(10_000, new SplittableRandom(2)),
                new Latency(200, new SplittableRandom(3)), new Latency(1_000, new SplittableRandom(4)), new Latency(1_000, new SplittableRandom(5)));
        Rig r = new Rig(XenstoredCore.Flavour.C_4_22, costs);
        r.attach();
        long t0 = r.clock.now;
        r.send(XsMessage.of(XS_READ, 1, 0, "name"));
        while (r.read().isEmpty()) r.clock.runUntil(r.clock.now + 100);
        long rtt = r.clock.now - t0;
        // wake-up, two readchn (header, payload), the request, then writechn's header and payload
        assertTrue(rtt > 15_000 && rtt < 200_000, "a round trip of " + rtt + " ns");
        assertTrue(r.clock.notifies >= 4, "readchn and writechn notify every time");
    }
}
