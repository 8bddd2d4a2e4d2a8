package xensim.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import xensim.abi.ByteArrayPage;
import xensim.abi.PageBytes;
import xensim.abi.XenstoreRing;
import xensim.abi.XsMessage;
import xensim.firmware.uefi.Cpu;
import xensim.firmware.xenbus.EventChannel;
import xensim.firmware.xenbus.Hypercalls;
import xensim.platform.Event;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.xen.HypervisorActor;

/**
 * The OS's take-over of the xenstore ring, as Linux's xb_init_comms (xenbus_comms.c) does it: a
 * response xenstored wrote after the firmware's last read (a watch event, here) is skipped by
 * {@code rsp_cons = rsp_prod} ("response queue not empty" → OS_XS_FIXUP), an unconsumed request is
 * only complained about (OS_XS_NOT_QUIESCENT), and no reconnection is attempted. MainLoopTest shows
 * C xenstored leaving such an event in the ring across OVMF's 0xff reset; this is the OS's side.
 */
class OsXenStoreTest {
    static final ActorTestKit kit = ActorTestKit.create();

    @AfterAll
    static void down() {
        kit.shutdownTestKit();
    }

    private static List<Event> connect(PageBytes ring) {
        EventRecorder rec = new EventRecorder();
        EventLog log = new EventLog(rec);
        Cpu[] cpu = new Cpu[1];
        cpu[0] = new Cpu((delay, token) -> { }); // no alarm fires: the OS's first request waits for ever
        TestProbe<HypervisorActor.Command> hv = kit.createTestProbe();
        Hypercalls.Adapters ad = new Hypercalls.Adapters(kit.<xensim.xen.Hypervisor.Result>createTestProbe().ref(),
                kit.<xensim.xen.Hypervisor.EvtchnPort>createTestProbe().ref(), kit.<xensim.xen.Hypervisor.HvmParam>createTestProbe().ref(),
                kit.<HypervisorActor.EvtchnUpcall>createTestProbe().ref(), kit.<xensim.xen.Hypervisor.Result>createTestProbe().ref());
        OsXenStore os = new OsXenStore(1, log, cpu[0], new EventChannel(new Hypercalls(1, hv.ref(), cpu[0], ad)), ring, 2);
        os.connect(0, m -> { });
        return new ArrayList<>(rec.events());
    }

    @Test
    void unreadResponsesAreSkippedAndAnUnconsumedRequestIsOnlyReported() {
        PageBytes ring = new ByteArrayPage();
        byte[] event = XsMessage.of(XS_WATCH_EVENT, 0, 0, "/local/domain/0/backend/vbd/1/51712/state", "fw-token").encode();
        assertEquals(event.length, XenstoreRing.writeResponse(ring, event, 0, event.length));
        ring.putInt(XenstoreRing.REQ_CONS, 3);
        ring.putInt(XenstoreRing.REQ_PROD, 5);
        List<Event> ev = connect(ring);
        Event fix = ev.stream().filter(e -> e.ev().equals("OS_XS_FIXUP")).findFirst().orElseThrow(() -> new AssertionError(ev.toString()));
        assertEquals(0, fix.getLong("rspCons"));
        assertEquals(event.length, fix.getLong("rspProd"));
        assertEquals(ring.getInt(XenstoreRing.RSP_PROD), ring.getInt(XenstoreRing.RSP_CONS), "rsp_cons = rsp_prod: the event is never read");
        Event nq = ev.stream().filter(e -> e.ev().equals("OS_XS_NOT_QUIESCENT")).findFirst().orElseThrow(() -> new AssertionError(ev.toString()));
        assertEquals(3, nq.getLong("reqCons"));
        assertEquals(5, nq.getLong("reqProd"));
        assertEquals(3, ring.getInt(XenstoreRing.REQ_CONS), "the OS does not touch the request ring's consumer");
        assertTrue(ring.getInt(XenstoreRing.REQ_PROD) > 5, "its first request goes after the unconsumed bytes");
    }

    @Test
    void aQuiescentRingIsTakenAsLeft() {
        PageBytes ring = new ByteArrayPage();
        List<Event> ev = connect(ring);
        assertTrue(ev.stream().noneMatch(e -> e.ev().equals("OS_XS_FIXUP") || e.ev().equals("OS_XS_NOT_QUIESCENT")), ev.toString());
        assertTrue(ring.getInt(XenstoreRing.REQ_PROD) > 0, "and the OS sent its first request");
    }
}
