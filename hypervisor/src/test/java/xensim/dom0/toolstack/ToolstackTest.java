package xensim.dom0.toolstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.abi.Blkif;
import xensim.abi.HvmParams;
import xensim.abi.SharedRing;
import xensim.abi.XenconsInterface;
import xensim.abi.XsMessage;
import xensim.dom0.blkback.DiskImage;
import xensim.dom0.xenstored.Connection;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.dom0.xenstored.XenstoredCore;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.platform.Mode;
import xensim.platform.SimSystem;
import xensim.xen.GrantTableGuest;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

class ToolstackTest {

    record Do(Function<World, Object> f, CompletableFuture<Object> r) {}

    static final class World {
        Hypervisor hv;
        XenstoredCore core;
        ActorRef<Toolstack.Command> toolstack;
        akka.actor.typed.javadsl.ActorContext<Do> ctx;
    }

    static final class Rig implements AutoCloseable {
        final EventRecorder events = new EventRecorder();
        SimSystem<Do> sim;

        @SuppressWarnings("unchecked")
        <T> T on(Function<World, T> f) throws Exception {
            CompletableFuture<Object> r = new CompletableFuture<>();
            sim.system().tell(new Do((Function<World, Object>) (Function<?, ?>) f, r));
            return (T) r.get(30, TimeUnit.SECONDS);
        }

        <T> T await(CompletableFuture<T> f) throws Exception {
            return f.get(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            sim.close();
        }
    }

    static Rig rig() throws Exception {
        Rig rig = new Rig();
        CompletableFuture<Void> ready = new CompletableFuture<>();
        rig.sim = SimSystem.start("ts", Mode.DETERMINISTIC, 3, new EventLog(rig.events), 1.0, seam -> Behaviors.setup(ctx -> {
            World w = new World();
            w.ctx = ctx;
            w.hv = new Hypervisor(seam.events());
            ActorRef<HypervisorActor.Command> hyp = ctx.spawn(HypervisorActor.create(seam, w.hv, 1000), "hypervisor");
            w.core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, seam.events());
            w.core.initDom0("Domain-0");
            ActorRef<XenstoredActor.Command> xs = ctx.spawn(XenstoredActor.create(seam, w.core, hyp), "xenstored");
            w.toolstack = ctx.spawn(Toolstack.create(seam, hyp, xs), "toolstack");
            ready.complete(null);
            return Behaviors.<Do>receiveMessage(d -> {
                try {
                    d.r().complete(d.f().apply(w));
                } catch (Throwable t) {
                    d.r().completeExceptionally(t);
                }
                return Behaviors.same();
            });
        }));
        ready.get(10, TimeUnit.SECONDS);
        return rig;
    }

    static GuestSpec spec(Path dir) throws Exception {
        Path img = dir.resolve("xvda.img");
        DiskImage.create(img, 2048).close();
        return new GuestSpec("guest1", 1024, List.of(new GuestSpec.Disk(51712, img, false, 100_000, 0, 1, 4, xensim.dom0.blkback.BlkbackProfile.LINUX)));
    }

    static Toolstack.Created create(Rig rig, GuestSpec spec) throws Exception {
        CompletableFuture<Toolstack.Created> created = rig.on(w -> {
            CompletableFuture<Toolstack.Created> f = new CompletableFuture<>();
            ActorRef<Toolstack.Created> to = w.ctx.spawnAnonymous(Behaviors.receiveMessage(c -> {
                f.complete(c);
                return Behaviors.stopped();
            }));
            w.toolstack.tell(new Toolstack.Create(spec, to));
            return f;
        });
        return rig.await(created);
    }

    static Toolstack.Destroyed destroy(Rig rig, int domid) throws Exception {
        CompletableFuture<Toolstack.Destroyed> done = rig.on(w -> {
            CompletableFuture<Toolstack.Destroyed> f = new CompletableFuture<>();
            ActorRef<Toolstack.Destroyed> to = w.ctx.spawnAnonymous(Behaviors.receiveMessage(c -> {
                f.complete(c);
                return Behaviors.stopped();
            }));
            w.toolstack.tell(new Toolstack.Destroy(domid, to));
            return f;
        });
        return rig.await(done);
    }

    static void until(Rig rig, Function<World, Boolean> cond, String what) throws Exception {
        for (int i = 0; i < 500; i++) {
            if (rig.<Boolean>on(cond)) return;
            Thread.sleep(5);
        }
        throw new AssertionError("timed out: " + what);
    }

    @Test
    void createWritesTheHostsNodesAndDestroyLeavesXenstoreAsFound(@TempDir Path dir) throws Exception {
        try (Rig rig = rig()) {
            SortedMap<String, String> before = rig.on(w -> w.core.dump());
            Toolstack.Created c = create(rig, spec(dir));
            assertNull(c.error());
            int d = c.domid();
            String be = Toolstack.backendPath(d, 51712);
            String fe = Toolstack.frontendPath(d, 51712);
            until(rig, w -> "2".equals(w.core.readDirect(be + "/state")), "blkback InitWait");
            SortedMap<String, String> nodes = rig.on(w -> w.core.dump());
            assertEquals("guest1 n" + d, nodes.get("/local/domain/" + d + "/name").replace("[", "").replace("]", ""));
            assertEquals(fe + " n0, r" + d, nodes.get(be + "/frontend").replace("[", "").replace("]", ""));
            assertEquals(be + " n" + d + ", r0", nodes.get(fe + "/backend").replace("[", "").replace("]", ""));
            assertEquals("1", rig.on(w -> w.core.readDirect(fe + "/state")));
            assertTrue(rig.<Boolean>on(w -> w.core.isIntroduced(d)));
            assertEquals(c.storeGfn(), (long) rig.on(w -> w.hv.hvmGetParam(0, d, HvmParams.HVM_PARAM_STORE_PFN).value()));
            assertEquals(c.consolePort(), (int) (long) rig.on(w -> w.hv.hvmGetParam(0, d, HvmParams.HVM_PARAM_CONSOLE_EVTCHN).value()));
            // the console backend logs what the guest prints
            rig.on(w -> {
                byte[] msg = "OVMF: hello from the guest\n".getBytes(StandardCharsets.UTF_8);
                XenconsInterface.writeOut(c.memory().page(c.consoleGfn()), msg, 0, msg.length);
                return w.hv.evtchnSend(d, c.consolePort());
            });
            until(rig, w -> !rig.events.named("CONSOLE").isEmpty(), "console line");
            assertEquals("OVMF: hello from the guest", rig.events.named("CONSOLE").get(0).getString("line"));
            assertEquals(1, rig.events.named("DEVICE_CREATED").size());

            Toolstack.Destroyed gone = destroy(rig, d);
            assertEquals(0, gone.leakedGrants());
            assertEquals(before, rig.on(w -> w.core.dump()), "xenstore as the toolstack found it");
            assertTrue(rig.events.named("GRANT_LEAK").isEmpty());
            long maps = rig.events.named("GRANT_MAP").stream().filter(e -> e.getLong("status") == 0).count();
            assertEquals(maps, rig.events.named("GRANT_UNMAP").size(), "xenstored and the console backend unmapped");
        }
    }

    @Test
    void destroyWhileBlkbackMapsTheRingReportsGrantLeak(@TempDir Path dir) throws Exception {
        try (Rig rig = rig()) {
            Toolstack.Created c = create(rig, spec(dir));
            int d = c.domid();
            String be = Toolstack.backendPath(d, 51712);
            String fe = Toolstack.frontendPath(d, 51712);
            until(rig, w -> "2".equals(w.core.readDirect(be + "/state")), "blkback InitWait");
            // the guest's frontend connects (and then the guest dies without closing it)
            rig.on(w -> {
                long gtGfn = 2000;
                w.hv.addToPhysmap(d, d, HvmParams.XENMAPSPACE_grant_table, 0, gtGfn);
                GrantTableGuest gt = new GrantTableGuest(c.memory(), w.hv.events(), "os");
                gt.setFrameGfn(0, gtGfn);
                SharedRing.init(c.memory().page(0x40));
                gt.grantAccess(8, 0, 0x40, false);
                int port = w.hv.evtchnAllocUnbound(d, d, 0).port();
                Connection g = w.core.connect(d, "ring", m -> { });
                for (String[] kv : new String[][] {{fe + "/ring-ref", "8"}, {fe + "/event-channel", "" + port},
                    {fe + "/protocol", "x86_64-abi"}, {fe + "/state", "4"}}) {
                    w.core.handle(g, new XsMessage(XS_WRITE, 1, 0, (kv[0] + "\0" + kv[1]).getBytes(StandardCharsets.UTF_8)));
                }
                return null;
            });
            until(rig, w -> "4".equals(w.core.readDirect(be + "/state")), "blkback Connected");
            Toolstack.Destroyed gone = destroy(rig, d);
            assertEquals(1, gone.leakedGrants(), "blkback still maps the ring");
            assertEquals(1, rig.events.named("GRANT_LEAK").size());
            assertNotEquals(-1, rig.events.named("GRANT_LEAK").get(0).seq());
        }
    }
}
