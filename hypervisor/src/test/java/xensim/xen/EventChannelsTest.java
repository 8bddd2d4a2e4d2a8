package xensim.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XenErrno.EINVAL;
import static xensim.abi.XenErrno.EPERM;
import static xensim.abi.XenErrno.ESRCH;
import static xensim.xen.EventChannels.EVTCHNSTAT_closed;
import static xensim.xen.EventChannels.EVTCHNSTAT_interdomain;
import static xensim.xen.EventChannels.EVTCHNSTAT_unbound;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import xensim.platform.Event;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.xen.Hypervisor.EvtchnPort;
import xensim.xen.Hypervisor.EvtchnStatus;

/** Event channels across two guests, with a scheduler the test drives (deliveries queue up). */
class EventChannelsTest {
    private record Upcall(int dom, int port) {}

    private EventRecorder rec;
    private Hypervisor hv;
    private final List<Upcall> scheduled = new ArrayList<>();
    private final List<Upcall> delivered = new ArrayList<>();
    private int a;
    private int b;

    @BeforeEach
    void setUp() {
        rec = new EventRecorder();
        hv = new Hypervisor(new EventLog(rec), (dom, port) -> scheduled.add(new Upcall(dom, port)));
        a = hv.createDomain(0, DomainConfig.ofRamPages(16)).domid();
        b = hv.createDomain(0, DomainConfig.ofRamPages(16)).domid();
    }

    private void deliverAll() {
        while (!scheduled.isEmpty()) {
            Upcall u = scheduled.remove(0);
            hv.deliverUpcall(u.dom(), u.port());
        }
    }

    private UpcallHandler recorder() {
        return (dom, port) -> delivered.add(new Upcall(dom, port));
    }

    /** a offers a port to b; b binds it. Returns {aPort, bPort}. */
    private int[] connect() {
        EvtchnPort pa = hv.evtchnAllocUnbound(a, DomId.DOMID_SELF, b);
        assertEquals(0, pa.rc());
        EvtchnPort pb = hv.evtchnBindInterdomain(b, a, pa.port());
        assertEquals(0, pb.rc());
        return new int[] {pa.port(), pb.port()};
    }

    @Test
    void allocUnboundBindAndSendBothWays() {
        EvtchnPort pa = hv.evtchnAllocUnbound(a, DomId.DOMID_SELF, b);
        assertEquals(new EvtchnPort(0, 1), pa, "port 0 is reserved: the first port is 1");
        assertEquals(new EvtchnStatus(0, a, 1, EVTCHNSTAT_unbound, b, -1), hv.evtchnStatus(a, a, 1));
        EvtchnPort pb = hv.evtchnBindInterdomain(b, a, pa.port());
        assertEquals(0, pb.rc());
        assertEquals(new EvtchnStatus(0, a, pa.port(), EVTCHNSTAT_interdomain, b, pb.port()), hv.evtchnStatus(a, a, pa.port()));
        assertEquals(new EvtchnStatus(0, b, pb.port(), EVTCHNSTAT_interdomain, a, pa.port()), hv.evtchnStatus(b, DomId.DOMID_SELF, pb.port()));

        assertEquals(0, hv.bindUpcall(a, pa.port(), recorder()).rc());
        assertEquals(0, hv.bindUpcall(b, pb.port(), recorder()).rc());
        deliverAll();
        assertEquals(List.of(new Upcall(b, pb.port())), delivered, "Xen sets the binder's new port pending");
        delivered.clear();

        assertEquals(0, hv.evtchnSend(a, pa.port()).rc());
        deliverAll();
        assertEquals(List.of(new Upcall(b, pb.port())), delivered);
        delivered.clear();

        assertEquals(0, hv.evtchnSend(b, pb.port()).rc());
        deliverAll();
        assertEquals(List.of(new Upcall(a, pa.port())), delivered);

        List<Event> binds = rec.named("EVTCHN_BIND");
        assertEquals(2, binds.size());
        assertEquals("alloc_unbound", binds.get(0).getString("op"));
        assertEquals("bind_interdomain", binds.get(1).getString("op"));
        assertEquals(b, binds.get(1).dom());
        assertEquals(pa.port(), binds.get(1).getLong("remotePort"));
        List<Event> sends = rec.named("EVTCHN_SEND");
        assertEquals(2, sends.size());
        assertEquals(a, sends.get(0).dom());
        assertEquals(b, sends.get(0).getLong("remoteDom"));
        assertEquals(pb.port(), sends.get(0).getLong("remotePort"));
    }

    @Test
    void sendsCoalesceWhilePendingAndUndelivered() {
        int[] p = connect();
        hv.deliverUpcall(b, p[1]); // nothing bound yet: stays pending
        assertTrue(hv.evtchnPending(b, p[1]));
        hv.bindUpcall(b, p[1], recorder());
        assertEquals(1, scheduled.size());
        hv.evtchnSend(a, p[0]);
        hv.evtchnSend(a, p[0]);
        assertEquals(1, scheduled.size(), "no second delivery while pending and undelivered");
        assertEquals(true, rec.named("EVTCHN_SEND").get(1).get("coalesced"));
        deliverAll();
        assertEquals(1, delivered.size());
        assertFalse(hv.evtchnPending(b, p[1]), "delivery clears pending (the kernel acks the event)");
        hv.evtchnSend(a, p[0]);
        deliverAll();
        assertEquals(2, delivered.size(), "after delivery the next send delivers again");
    }

    @Test
    void maskedPortStaysPendingUntilUnmasked() {
        int[] p = connect();
        hv.bindUpcall(b, p[1], recorder());
        deliverAll();
        delivered.clear();
        assertEquals(0, hv.evtchnMask(b, p[1]).rc());
        hv.evtchnSend(a, p[0]);
        hv.evtchnSend(a, p[0]);
        deliverAll();
        assertTrue(delivered.isEmpty());
        assertTrue(hv.evtchnPending(b, p[1]));
        assertEquals(0, hv.evtchnUnmask(b, p[1]).rc());
        deliverAll();
        assertEquals(List.of(new Upcall(b, p[1])), delivered, "unmask with pending delivers once");
        assertEquals(0, hv.evtchnUnmask(b, p[1]).rc());
        deliverAll();
        assertEquals(1, delivered.size());
    }

    @Test
    void maskingAfterScheduleHoldsTheDelivery() {
        int[] p = connect();
        hv.bindUpcall(b, p[1], recorder());
        hv.evtchnMask(b, p[1]);
        deliverAll(); // the upcall scheduled at bind comes due while masked
        assertTrue(delivered.isEmpty());
        hv.evtchnUnmask(b, p[1]);
        deliverAll();
        assertEquals(1, delivered.size());
    }

    @Test
    void closeSendsThePeerBackToUnbound() {
        int[] p = connect();
        assertEquals(0, hv.evtchnClose(a, p[0]).rc());
        assertEquals(new EvtchnStatus(0, a, p[0], EVTCHNSTAT_closed, -1, -1), hv.evtchnStatus(a, a, p[0]));
        assertEquals(new EvtchnStatus(0, b, p[1], EVTCHNSTAT_unbound, a, -1), hv.evtchnStatus(b, b, p[1]));
        assertEquals(0, hv.evtchnSend(b, p[1]).rc(), "a send on an unbound port is silently dropped");
        assertEquals(-EINVAL, hv.evtchnSend(a, p[0]).rc(), "a closed port cannot send");
        assertEquals(-EINVAL, hv.evtchnClose(a, p[0]).rc(), "closing twice");
        // b's port now waits for a: a can bind to it again
        EvtchnPort again = hv.evtchnBindInterdomain(a, b, p[1]);
        assertEquals(0, again.rc());
        assertEquals(EVTCHNSTAT_interdomain, hv.evtchnStatus(b, b, p[1]).status());
        Event close = rec.named("EVTCHN_CLOSE").get(0);
        assertEquals(a, close.dom());
        assertEquals(p[0], close.getLong("port"));
        assertEquals(b, close.getLong("remoteDom"));
    }

    @Test
    void closingDropsTheHandler() {
        int[] p = connect();
        hv.bindUpcall(b, p[1], recorder());
        deliverAll();
        delivered.clear();
        hv.evtchnClose(b, p[1]);
        EvtchnPort re = hv.evtchnAllocUnbound(b, b, a);
        assertEquals(p[1], re.port(), "lowest free port is reused");
        EvtchnPort ap = hv.evtchnBindInterdomain(a, b, re.port());
        hv.evtchnSend(a, ap.port());
        deliverAll();
        assertTrue(delivered.isEmpty(), "the new port has no handler until one is bound");
        assertTrue(hv.evtchnPending(b, re.port()));
    }

    @Test
    void errorsAreXens() {
        int[] p = connect();
        // sends: reserved port 0, free port, beyond the table, negative
        assertEquals(-EINVAL, hv.evtchnSend(a, 0).rc());
        assertEquals(-EINVAL, hv.evtchnSend(a, 5).rc());
        assertEquals(-EINVAL, hv.evtchnSend(a, 9999).rc());
        assertEquals(-EINVAL, hv.evtchnSend(a, -1).rc());
        // "another domain's port": numbers are looked up in the caller's own table
        EvtchnPort other = hv.evtchnAllocUnbound(b, b, 0);
        assertEquals(-EINVAL, hv.evtchnSend(a, other.port()).rc());
        assertEquals(-EINVAL, hv.evtchnClose(a, other.port()).rc());
        // bind: unknown domain, invalid port, port reserved for someone else, already bound
        assertEquals(-ESRCH, hv.evtchnBindInterdomain(a, 999, 1).rc());
        assertEquals(-EINVAL, hv.evtchnBindInterdomain(a, b, 5000).rc());
        assertEquals(-EINVAL, hv.evtchnBindInterdomain(a, b, other.port()).rc(), "unbound for dom0, not for a");
        assertEquals(-EINVAL, hv.evtchnBindInterdomain(a, b, p[1]).rc(), "already interdomain");
        assertEquals(-EINVAL, hv.evtchnBindInterdomain(a, b, 0).rc(), "reserved");
        // alloc_unbound in another domain needs privilege
        assertEquals(-EPERM, hv.evtchnAllocUnbound(a, b, a).rc());
        assertEquals(-ESRCH, hv.evtchnAllocUnbound(a, 999, a).rc());
        assertEquals(0, hv.evtchnAllocUnbound(0, b, 0).rc(), "dom0 (the toolstack) may");
        // status
        assertEquals(-EPERM, hv.evtchnStatus(a, b, p[1]).rc());
        assertEquals(-ESRCH, hv.evtchnStatus(a, 999, 1).rc());
        assertEquals(-EINVAL, hv.evtchnStatus(a, a, 70000).rc());
        assertEquals(0, hv.evtchnStatus(0, b, p[1]).rc());
        assertEquals(EVTCHNSTAT_closed, hv.evtchnStatus(a, a, 0).status(), "reserved reads as closed");
        // mask/unmask/bind handler
        assertEquals(-EINVAL, hv.evtchnUnmask(a, -4).rc());
        assertEquals(-EINVAL, hv.evtchnMask(a, 4096).rc());
        assertEquals(0, hv.evtchnUnmask(a, 20).rc(), "unmask of a free but valid port is fine");
        assertEquals(-EINVAL, hv.bindUpcall(a, 20, recorder()).rc());
        assertEquals(-ESRCH, hv.bindUpcall(999, 1, recorder()).rc());
        // unknown callers
        assertEquals(-ESRCH, hv.evtchnSend(999, 1).rc());
        assertEquals(-ESRCH, hv.evtchnAllocUnbound(-1, DomId.DOMID_SELF, 0).rc());
    }

    @Test
    void portsGrowInBucketsUpToTheLimit() {
        int d = hv.createDomain(0, new DomainConfig(16, 4112, 4, 200)).domid();
        for (int i = 1; i <= 200; i++) assertEquals(new EvtchnPort(0, i), hv.evtchnAllocUnbound(d, d, 0));
        assertEquals(-xensim.abi.XenErrno.ENOSPC, hv.evtchnAllocUnbound(d, d, 0).rc());
        assertEquals(256, hv.domain(d).eventChannels().validPorts());
    }

    @Test
    void aPollingGuestReadsAndClearsPendingInSharedInfo() {
        int[] p = connect();
        SharedInfo si = hv.domain(b).sharedInfo();
        assertTrue(si.testAndClearPending(p[1]), "pending from the bind");
        assertFalse(si.isPending(p[1]));
        hv.evtchnSend(a, p[0]);
        assertTrue(si.isPending(p[1]));
        assertTrue(si.testAndClearPending(p[1]));
        assertFalse(si.testAndClearPending(p[1]));
        si.mask(p[1]);
        assertTrue(si.isMasked(p[1]));
        assertFalse(si.isPending(-1));
        assertTrue(scheduled.isEmpty(), "no handler bound: nothing is delivered");
    }

    @Test
    void destroyClosesEveryPort() {
        int[] p = connect();
        assertEquals(0, hv.destroyDomain(0, a).rc());
        assertEquals(new EvtchnStatus(0, b, p[1], EVTCHNSTAT_unbound, a, -1), hv.evtchnStatus(b, b, p[1]));
        assertEquals("destroy", rec.named("EVTCHN_CLOSE").get(0).getString("reason"));
        assertEquals(-ESRCH, hv.evtchnBindInterdomain(b, a, p[0]).rc(), "a is gone");
    }

    @Test
    void loopbackOnOneDomainWorks() {
        EvtchnPort x = hv.evtchnAllocUnbound(a, a, DomId.DOMID_SELF);
        EvtchnPort y = hv.evtchnBindInterdomain(a, DomId.DOMID_SELF, x.port());
        assertEquals(0, y.rc());
        hv.bindUpcall(a, x.port(), recorder());
        hv.evtchnSend(a, y.port());
        deliverAll();
        assertEquals(List.of(new Upcall(a, x.port())), delivered);
        assertEquals(0, hv.destroyDomain(0, a).rc(), "closing both ends of a loopback at destroy");
    }
}
