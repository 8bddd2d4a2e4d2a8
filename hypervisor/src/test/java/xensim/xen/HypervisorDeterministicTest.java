package xensim.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.HvmParams.XENMAPSPACE_grant_table;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.platform.Mode;
import xensim.platform.Seam;
import xensim.platform.SimSystem;
import xensim.xen.Hypervisor.DomainCreated;
import xensim.xen.Hypervisor.EvtchnPort;
import xensim.xen.Hypervisor.GrantMapped;
import xensim.xen.Hypervisor.Result;
import xensim.xen.HypervisorActor.Command;
import xensim.xen.HypervisorActor.EvtchnUpcall;

/**
 * The hypervisor actor on the deterministic runtime (virtual time, one thread): a scripted
 * frontend/backend pair grants, maps, writes and notifies with seeded random delays and an upcall
 * latency. Same seed: byte-identical event log; another seed: a different one.
 */
class HypervisorDeterministicTest {
    private static final int SENDS = 20;

    /** A toolstack + frontend + backend squeezed into one scripted actor. */
    private static Behavior<Object> script(Seam seam) {
        return Behaviors.setup(ctx -> {
            ActorRef<Command> hv = ctx.spawn(HypervisorActor.create(seam, new Hypervisor(seam.events()), 50_000), "hypervisor");
            ActorRef<Object> self = ctx.getSelf();
            RandomGenerator rnd = seam.random("test/script");
            hv.tell(new HypervisorActor.CreateDomain(0, DomainConfig.ofRamPages(256), self.narrow()));
            int[] st = {0, -1, -1, -1, 0}; // step, domU, guest port, dom0 port, upcalls
            GrantTableGuest[] gnt = new GrantTableGuest[1];
            return Behaviors.receive(Object.class).onAnyMessage(msg -> {
                if (msg instanceof DomainCreated c) {
                    st[1] = c.domid();
                    long gtGfn = c.memory().ramPages();
                    hv.tell(new HypervisorActor.AddToPhysmap(c.domid(), DomId.DOMID_SELF, XENMAPSPACE_grant_table, 0, gtGfn, null));
                    gnt[0] = new GrantTableGuest(c.memory(), seam.events(), "fw.pvblk");
                    gnt[0].setFrameGfn(0, gtGfn);
                    hv.tell(new HypervisorActor.EvtchnAllocUnbound(0, c.domid(), 0, self.narrow()));
                } else if (msg instanceof EvtchnPort p && st[2] < 0) {
                    st[2] = p.port();
                    hv.tell(new HypervisorActor.EvtchnBindInterdomain(0, st[1], p.port(), self.narrow()));
                } else if (msg instanceof EvtchnPort p) {
                    st[3] = p.port();
                    hv.tell(new HypervisorActor.BindUpcall(st[1], st[2], self.narrow(), self.narrow()));
                } else if (msg instanceof Result) {
                    // handler bound: the guest grants a page, the backend maps it
                    gnt[0].grantAccess(8, 0, 10, false);
                    hv.tell(new HypervisorActor.MapGrantRef(0, st[1], 8, false, self.narrow()));
                } else if (msg instanceof GrantMapped m) {
                    for (int i = 0; i < SENDS; i++) {
                        m.mapping().putInt(4 * i, i);
                        seam.deliverAfter(rnd.nextLong(1_000, 200_000), hv, new HypervisorActor.EvtchnSend(0, st[3], null));
                    }
                    seam.deliverAfter(1_000_000, hv, new HypervisorActor.UnmapGrantRef(0, m.handle(), null));
                } else if (msg instanceof EvtchnUpcall u) {
                    st[4]++;
                    seam.events().event(u.dom(), "test", "TEST_UPCALL").with("port", u.port()).with("n", st[4]).emit();
                }
                return Behaviors.same();
            }).build();
        });
    }

    private static String run(long seed) throws Exception {
        EventRecorder rec = new EventRecorder();
        SimSystem<Object> sim = SimSystem.start("xen-det-" + seed, Mode.DETERMINISTIC, seed, new EventLog(rec), 1.0,
                HypervisorDeterministicTest::script);
        try {
            assertTrue(sim.executor().awaitQuiescence(20_000), "the simulation settles");
            assertNull(sim.executor().lastFailure());
        } finally {
            sim.close();
        }
        long upcalls = rec.named("TEST_UPCALL").size();
        assertTrue(upcalls >= 1 && upcalls <= SENDS, "sends coalesce into at most one upcall each: " + upcalls);
        assertEquals(SENDS, rec.named("EVTCHN_SEND").size());
        assertEquals(SENDS, rec.named("FOREIGN_WRITE").size());
        assertEquals(1, rec.named("GRANT_UNMAP").size());
        return rec.jsonLines();
    }

    @Test
    void sameSeedSameLogOtherSeedOtherLog() throws Exception {
        String a = run(11);
        String b = run(11);
        String c = run(12);
        assertEquals(a, b);
        assertNotEquals(a, c);
    }
}
