package xensim.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.GrantTableAbi.GNTST_bad_gntref;
import static xensim.abi.GrantTableAbi.GNTST_bad_handle;
import static xensim.abi.GrantTableAbi.GNTST_eagain;
import static xensim.abi.GrantTableAbi.GNTST_okay;
import static xensim.abi.HvmParams.HVM_PARAM_STORE_EVTCHN;
import static xensim.abi.HvmParams.HVM_PARAM_STORE_PFN;
import static xensim.abi.HvmParams.XENMAPSPACE_grant_table;
import static xensim.abi.XenErrno.EPERM;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.platform.ThreadedSeam;
import xensim.xen.Hypervisor.DomainCreated;
import xensim.xen.Hypervisor.DomainDestroyed;
import xensim.xen.Hypervisor.EvtchnPort;
import xensim.xen.Hypervisor.EvtchnStatus;
import xensim.xen.Hypervisor.GrantMapped;
import xensim.xen.Hypervisor.GrantTableSize;
import xensim.xen.Hypervisor.GrantUnmapped;
import xensim.xen.Hypervisor.HvmParam;
import xensim.xen.Hypervisor.Result;
import xensim.xen.HypervisorActor.AddToPhysmap;
import xensim.xen.HypervisorActor.BindUpcall;
import xensim.xen.HypervisorActor.Command;
import xensim.xen.HypervisorActor.CreateDomain;
import xensim.xen.HypervisorActor.DestroyDomain;
import xensim.xen.HypervisorActor.EvtchnAllocUnbound;
import xensim.xen.HypervisorActor.EvtchnBindInterdomain;
import xensim.xen.HypervisorActor.EvtchnClose;
import xensim.xen.HypervisorActor.EvtchnGetStatus;
import xensim.xen.HypervisorActor.EvtchnMask;
import xensim.xen.HypervisorActor.EvtchnSend;
import xensim.xen.HypervisorActor.EvtchnUnmask;
import xensim.xen.HypervisorActor.EvtchnUpcall;
import xensim.xen.HypervisorActor.HvmGetParam;
import xensim.xen.HypervisorActor.HvmSetParam;
import xensim.xen.HypervisorActor.InjectGrantMapEagain;
import xensim.xen.HypervisorActor.MapGrantRef;
import xensim.xen.HypervisorActor.PopulatePhysmap;
import xensim.xen.HypervisorActor.QueryGrantTableSize;
import xensim.xen.HypervisorActor.RemoveFromPhysmap;
import xensim.xen.HypervisorActor.SeedGrantEntry;
import xensim.xen.HypervisorActor.UnmapGrantRef;

/** The hypervisor actor through ActorTestKit, on a threaded seam (real dispatcher, real time). */
class HypervisorActorTest {
    private static ActorTestKit testKit;
    private static ThreadedSeam seam;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create();
        seam = new ThreadedSeam(42, new EventLog(), 1.0);
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
        seam.close();
    }

    private record Setup(ActorRef<Command> hv, Hypervisor core, EventRecorder rec) {}

    private static Setup spawn(long upcallLatencyNanos) {
        EventRecorder rec = new EventRecorder();
        Hypervisor core = new Hypervisor(new EventLog(rec));
        return new Setup(testKit.spawn(HypervisorActor.create(seam, core, upcallLatencyNanos)), core, rec);
    }

    private static DomainCreated createDomain(ActorRef<Command> hv) {
        TestProbe<DomainCreated> p = testKit.createTestProbe();
        hv.tell(new CreateDomain(0, DomainConfig.ofRamPages(1024), p.getRef()));
        DomainCreated c = p.receiveMessage();
        assertTrue(c.ok());
        return c;
    }

    @Test
    void hypercallsAnswerAndABackendMapsAGrant() {
        Setup s = spawn(0);
        ActorRef<Command> hv = s.hv();
        DomainCreated guest = createDomain(hv);
        int domU = guest.domid();
        long gtGfn = guest.memory().ramPages();

        TestProbe<Result> result = testKit.createTestProbe();
        hv.tell(new AddToPhysmap(domU, DomId.DOMID_SELF, XENMAPSPACE_grant_table, 0, gtGfn, result.getRef()));
        assertEquals(0, result.receiveMessage().rc());

        // the guest grants gfn 100 to dom0 with its own memory writes
        GrantTableGuest gnt = new GrantTableGuest(guest.memory(), s.core().events(), "fw.pvblk");
        gnt.setFrameGfn(0, gtGfn);
        guest.memory().page(100).putInt(0, 0x1234);
        gnt.grantAccess(8, 0, 100, false);

        // the backend maps it, reads and writes through the mapping
        TestProbe<GrantMapped> mapped = testKit.createTestProbe();
        hv.tell(new MapGrantRef(0, domU, 8, false, mapped.getRef()));
        GrantMapped m = mapped.receiveMessage();
        assertEquals(GNTST_okay, m.status());
        assertEquals(0x1234, m.mapping().getInt(0));
        m.mapping().putInt(4, 0x5678);
        assertEquals(0x5678, guest.memory().page(100).getInt(4));
        assertEquals(1, s.rec().named("FOREIGN_WRITE").size());
        assertFalse(gnt.endAccess(8), "still mapped");

        hv.tell(new MapGrantRef(0, domU, 600, false, mapped.getRef()));
        assertEquals(GNTST_bad_gntref, mapped.receiveMessage().status());

        TestProbe<GrantUnmapped> unmapped = testKit.createTestProbe();
        hv.tell(new UnmapGrantRef(0, m.handle(), unmapped.getRef()));
        assertEquals(new GrantUnmapped(GNTST_okay, m.handle()), unmapped.receiveMessage());
        hv.tell(new UnmapGrantRef(0, m.handle(), unmapped.getRef()));
        assertEquals(GNTST_bad_handle, unmapped.receiveMessage().status());
        assertTrue(gnt.endAccess(8));

        // the nemesis hook
        gnt.grantAccess(9, 0, 101, true);
        hv.tell(new InjectGrantMapEagain(domU, 1, result.getRef()));
        assertEquals(0, result.receiveMessage().rc());
        hv.tell(new MapGrantRef(0, domU, 9, true, mapped.getRef()));
        assertEquals(GNTST_eagain, mapped.receiveMessage().status());
        hv.tell(new MapGrantRef(0, domU, 9, true, mapped.getRef()));
        assertEquals(GNTST_okay, mapped.receiveMessage().status());

        // HVM params: toolstack sets, guest reads
        hv.tell(new HvmSetParam(0, domU, HVM_PARAM_STORE_PFN, 0x3FF, result.getRef()));
        assertEquals(0, result.receiveMessage().rc());
        TestProbe<HvmParam> param = testKit.createTestProbe();
        hv.tell(new HvmGetParam(domU, DomId.DOMID_SELF, HVM_PARAM_STORE_PFN, param.getRef()));
        assertEquals(new HvmParam(0, domU, HVM_PARAM_STORE_PFN, 0x3FF), param.receiveMessage());

        // only dom0 creates and destroys
        TestProbe<DomainCreated> created = testKit.createTestProbe();
        hv.tell(new CreateDomain(domU, DomainConfig.ofRamPages(16), created.getRef()));
        assertEquals(-EPERM, created.receiveMessage().rc());
        TestProbe<DomainDestroyed> destroyed = testKit.createTestProbe();
        hv.tell(new DestroyDomain(0, domU, destroyed.getRef()));
        DomainDestroyed d = destroyed.receiveMessage();
        assertEquals(0, d.rc());
        assertEquals(1, d.stillMapped().size(), "ref 9 is still mapped by dom0");
        assertEquals(9, d.stillMapped().get(0).ref());
    }

    @Test
    void anUpcallReachesTheBoundHandler() {
        Setup s = spawn(0);
        ActorRef<Command> hv = s.hv();
        int domU = createDomain(hv).domid();

        // toolstack: a port in the guest for dom0 (like the xenstore event channel), dom0 binds it
        TestProbe<EvtchnPort> port = testKit.createTestProbe();
        hv.tell(new EvtchnAllocUnbound(0, domU, 0, port.getRef()));
        EvtchnPort guestPort = port.receiveMessage();
        assertTrue(guestPort.ok());
        hv.tell(new EvtchnBindInterdomain(0, domU, guestPort.port(), port.getRef()));
        EvtchnPort dom0Port = port.receiveMessage();
        assertTrue(dom0Port.ok());

        TestProbe<EvtchnUpcall> guestIrq = testKit.createTestProbe();
        TestProbe<EvtchnUpcall> dom0Irq = testKit.createTestProbe();
        TestProbe<Result> result = testKit.createTestProbe();
        hv.tell(new BindUpcall(domU, guestPort.port(), guestIrq.getRef(), result.getRef()));
        assertEquals(0, result.receiveMessage().rc());
        hv.tell(new BindUpcall(0, dom0Port.port(), dom0Irq.getRef(), result.getRef()));
        assertEquals(0, result.receiveMessage().rc());
        assertEquals(new EvtchnUpcall(0, dom0Port.port()), dom0Irq.receiveMessage(), "pending since bind_interdomain");

        hv.tell(new EvtchnSend(0, dom0Port.port(), null));
        assertEquals(new EvtchnUpcall(domU, guestPort.port()), guestIrq.receiveMessage());
        hv.tell(new EvtchnSend(domU, guestPort.port(), null));
        assertEquals(new EvtchnUpcall(0, dom0Port.port()), dom0Irq.receiveMessage());

        // masked: nothing until unmask, then exactly one
        hv.tell(new EvtchnMask(domU, guestPort.port(), result.getRef()));
        assertEquals(0, result.receiveMessage().rc());
        hv.tell(new EvtchnSend(0, dom0Port.port(), null));
        hv.tell(new EvtchnSend(0, dom0Port.port(), null));
        TestProbe<EvtchnStatus> status = testKit.createTestProbe();
        hv.tell(new EvtchnGetStatus(domU, domU, guestPort.port(), status.getRef()));
        assertEquals(EventChannels.EVTCHNSTAT_interdomain, status.receiveMessage().status());
        guestIrq.expectNoMessage(Duration.ofMillis(100));
        hv.tell(new EvtchnUnmask(domU, guestPort.port(), result.getRef()));
        assertEquals(0, result.receiveMessage().rc());
        assertEquals(new EvtchnUpcall(domU, guestPort.port()), guestIrq.receiveMessage());
        guestIrq.expectNoMessage(Duration.ofMillis(100));

        // close: the guest's port goes back to unbound
        hv.tell(new EvtchnClose(0, dom0Port.port(), result.getRef()));
        assertEquals(0, result.receiveMessage().rc());
        hv.tell(new EvtchnGetStatus(domU, domU, guestPort.port(), status.getRef()));
        assertEquals(EventChannels.EVTCHNSTAT_unbound, status.receiveMessage().status());
        assertEquals(3, s.rec().named("EVTCHN_SEND").stream().filter(e -> e.dom() == 0).count());
    }

    @Test
    void upcallsWithLatencyGoThroughTheSeam() {
        Setup s = spawn(2_000_000); // 2 ms
        ActorRef<Command> hv = s.hv();
        int domU = createDomain(hv).domid();
        TestProbe<EvtchnPort> port = testKit.createTestProbe();
        hv.tell(new EvtchnAllocUnbound(0, domU, 0, port.getRef()));
        int gp = port.receiveMessage().port();
        hv.tell(new EvtchnBindInterdomain(0, domU, gp, port.getRef()));
        int dp = port.receiveMessage().port();
        TestProbe<EvtchnUpcall> irq = testKit.createTestProbe();
        hv.tell(new BindUpcall(domU, gp, irq.getRef(), null));
        hv.tell(new EvtchnSend(0, dp, null));
        hv.tell(new EvtchnSend(0, dp, null));
        assertEquals(new EvtchnUpcall(domU, gp), irq.receiveMessage());
        irq.expectNoMessage(Duration.ofMillis(50));
        assertEquals(1, s.rec().named("EVTCHN_SEND").stream().filter(e -> Boolean.TRUE.equals(e.get("coalesced"))).count());
    }

    /** Random hypercalls with hostile numbers: every one is answered, the actor never stops. */
    @Test
    void hostileInputNeverStopsTheActor() {
        Setup s = spawn(0);
        ActorRef<Command> hv = s.hv();
        DomainCreated guest = createDomain(hv);
        int domU = guest.domid();
        TestProbe<Object> any = testKit.createTestProbe();
        TestProbe<EvtchnUpcall> irq = testKit.createTestProbe();
        SplittableRandom rnd = new SplittableRandom(2019);
        int[] nasty = {-1, 0, 1, 2, 7, 8, 511, 512, 4095, 4096, 0x7FF0, 0x7FF2, 0xFFFF, Integer.MAX_VALUE, Integer.MIN_VALUE};
        java.util.function.IntSupplier n = () -> rnd.nextInt(4) == 0 ? rnd.nextInt() : nasty[rnd.nextInt(nasty.length)];
        java.util.function.IntSupplier dom = () -> switch (rnd.nextInt(4)) {
            case 0 -> 0;
            case 1 -> domU;
            case 2 -> DomId.DOMID_SELF;
            default -> n.getAsInt();
        };
        final int count = 3000;
        for (int i = 0; i < count; i++) {
            long g = rnd.nextBoolean() ? rnd.nextLong() : rnd.nextInt(6000) - 10;
            Command c = switch (rnd.nextInt(20)) {
                case 0 -> new CreateDomain(dom.getAsInt(), rnd.nextInt(5) == 0 ? null
                        : new DomainConfig(n.getAsInt(), n.getAsInt(), n.getAsInt(), n.getAsInt()), any.getRef().narrow());
                case 1 -> new DestroyDomain(dom.getAsInt(), rnd.nextInt(3) == 0 ? domU : n.getAsInt(), any.getRef().narrow());
                case 2 -> new AddToPhysmap(dom.getAsInt(), dom.getAsInt(), n.getAsInt(), n.getAsInt(), g, any.getRef().narrow());
                case 3 -> new RemoveFromPhysmap(dom.getAsInt(), dom.getAsInt(), g, any.getRef().narrow());
                case 4 -> new PopulatePhysmap(dom.getAsInt(), dom.getAsInt(), g, any.getRef().narrow());
                case 5 -> new MapGrantRef(dom.getAsInt(), dom.getAsInt(), n.getAsInt(), rnd.nextBoolean(), any.getRef().narrow());
                case 6 -> new UnmapGrantRef(dom.getAsInt(), n.getAsInt(), any.getRef().narrow());
                case 7 -> new QueryGrantTableSize(dom.getAsInt(), dom.getAsInt(), any.getRef().narrow());
                case 8 -> new SeedGrantEntry(dom.getAsInt(), dom.getAsInt(), n.getAsInt(), dom.getAsInt(), g, rnd.nextBoolean(), any.getRef().narrow());
                case 9 -> new InjectGrantMapEagain(dom.getAsInt(), n.getAsInt(), any.getRef().narrow());
                case 10 -> new EvtchnAllocUnbound(dom.getAsInt(), dom.getAsInt(), dom.getAsInt(), any.getRef().narrow());
                case 11 -> new EvtchnBindInterdomain(dom.getAsInt(), dom.getAsInt(), n.getAsInt(), any.getRef().narrow());
                case 12 -> new EvtchnSend(dom.getAsInt(), n.getAsInt(), any.getRef().narrow());
                case 13 -> new EvtchnClose(dom.getAsInt(), n.getAsInt(), any.getRef().narrow());
                case 14 -> new EvtchnGetStatus(dom.getAsInt(), dom.getAsInt(), n.getAsInt(), any.getRef().narrow());
                case 15 -> new EvtchnMask(dom.getAsInt(), n.getAsInt(), any.getRef().narrow());
                case 16 -> new EvtchnUnmask(dom.getAsInt(), n.getAsInt(), any.getRef().narrow());
                case 17 -> new BindUpcall(dom.getAsInt(), n.getAsInt(), rnd.nextBoolean() ? irq.getRef() : null, any.getRef().narrow());
                case 18 -> new HvmSetParam(dom.getAsInt(), dom.getAsInt(), n.getAsInt(), rnd.nextLong(), any.getRef().narrow());
                default -> new HvmGetParam(dom.getAsInt(), dom.getAsInt(), n.getAsInt(), any.getRef().narrow());
            };
            hv.tell(c);
        }
        assertEquals(count, any.receiveSeveralMessages(count, Duration.ofSeconds(20)).size(), "every hypercall answered");
        any.expectNoMessage(Duration.ofMillis(50));

        // still alive, still sane
        DomainCreated after = createDomain(hv);
        assertTrue(after.domid() > domU);
        TestProbe<GrantTableSize> size = testKit.createTestProbe();
        hv.tell(new QueryGrantTableSize(after.domid(), DomId.DOMID_SELF, size.getRef()));
        assertEquals(new GrantTableSize(GNTST_okay, 1, 64), size.receiveMessage());
        TestProbe<HvmParam> param = testKit.createTestProbe();
        hv.tell(new HvmGetParam(0, after.domid(), HVM_PARAM_STORE_EVTCHN, param.getRef()));
        assertEquals(0, param.receiveMessage().rc());
        assertNotNull(s.core().domain(0));
    }
}
