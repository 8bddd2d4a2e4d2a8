package xensim.dom0.blkback;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.ExtensibleBehavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.Signal;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.io.IOException;
import java.util.function.Consumer;
import xensim.abi.XsMessage;
import xensim.dom0.Dom0XsClient;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.platform.Seam;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * blkback: one actor per vbd, a thin shell around {@link BlkbackCore} (the xenbus state machine,
 * ring consumer and crash journal). The actor turns the core's {@link BlkbackCore.Io} calls into
 * messages to the hypervisor and xenstored and hands every answer back. Fault hooks:
 * {@link Crash} (the actor restarts, as under Akka's restart supervision; the core ends the dead
 * incarnation and the next one re-attaches), {@link Stall}, {@link SlowDown}, {@link CorruptRing}, {@link PlantDefect}
 * (a planted backend bug, {@link BackendDefect}).
 *
 * <p>The hypervisor's and xenstored's answers ({@link Hypervisor.GrantMapped},
 * {@link Hypervisor.GrantUnmapped}, {@link Hypervisor.EvtchnPort}, upcalls, xenstore messages) come
 * to the actor itself, not through message adapters: they are told to the actor's own ref, so they
 * are enqueued exactly where an adapter would have enqueued its wrapper (same order, same count),
 * without an adapter's wrapping, lookup and unwrapping for every message.
 */
public final class BlkbackActor {

    public sealed interface Command {}

    /** nemesis backend-crash: the actor fails; its supervisor restarts it. */
    public record Crash() implements Command {}

    /** nemesis backend-stall: nothing completes for {@code nanos}. */
    public record Stall(long nanos) implements Command {}

    /** nemesis backend-slow: latencies multiplied by {@code factor}. */
    public record SlowDown(double factor) implements Command {}

    /** nemesis ring-corrupt. */
    public record CorruptRing(RingCorruption what) implements Command {}

    /** Toolstack: the device is being removed. */
    public record Shutdown() implements Command {}

    /** nemesis: arm a planted backend bug for the next {@code count} requests it applies to. */
    public record PlantDefect(BackendDefect defect, int count) implements Command {}

    /** A timer the core armed ({@link BlkbackCore.Io#after}). */
    private record Wake(Runnable r) {}

    private static final String COMP = "blkback";

    public static Behavior<Command> create(Seam seam, BlkbackConfig cfg, ActorRef<HypervisorActor.Command> hypervisor,
                                           ActorRef<XenstoredActor.Command> xenstored) {
        LatencyModel latency = new LatencyModel(cfg.latencyMeanNanos(), cfg.tailProbability(), cfg.tailFactor(), cfg.queueDepth(),
                seam.random("blkback/" + cfg.frontendDom() + "/" + cfg.devid()));
        BlkbackCore core = new BlkbackCore(cfg, seam.events(), seam::nowNanos, latency); // outlives an incarnation
        // drawn from only by a planted backend-respond-before-unmap (a stream of its own: no other draw moves)
        core.defectRandom(seam.random("blkback/" + cfg.frontendDom() + "/" + cfg.devid() + "/defects"));
        Behavior<Object> b = Behaviors.setup(ctx -> new Shell(() -> new BlkbackActor(ctx, seam, cfg, hypervisor, xenstored, core)));
        return b.narrow();
    }

    /** Makes an incarnation (the setup Akka's restart would run again). */
    private interface Incarnation {
        BlkbackActor start() throws IOException;
    }

    /**
     * The actor's behaviour: one dispatch per message, and the restart a crash needs done here
     * instead of by {@code Behaviors.supervise(...).onFailure(IllegalStateException.class,
     * SupervisorStrategy.restart())}, whose interceptor and nested interpretation every message
     * would pass through. It does what Akka's RestartSupervisor does for that strategy (unlimited
     * restarts, no children, no timers of Akka's, logging off: the crash is a BACKEND_CRASH event):
     * on an {@link IllegalStateException} the dying incarnation gets PreRestart
     * ({@link BlkbackCore#crashed()}; a failure there is logged and the restart goes on) and the
     * next one is made in the same step, before the next message. Any other failure stops the
     * actor, as without a supervisor (PostStop then releases everything).
     */
    private static final class Shell extends ExtensibleBehavior<Object> {
        private final Incarnation incarnation;
        private BlkbackActor current;

        Shell(Incarnation incarnation) throws IOException {
            this.incarnation = incarnation;
            this.current = incarnation.start();
        }

        @Override
        public Behavior<Object> receive(TypedActorContext<Object> ctx, Object msg) throws IOException {
            try {
                return current.onMessage(msg);
            } catch (IllegalStateException crash) {
                try {
                    current.core.crashed(); // PreRestart: the process died, its grant mappings and ports go with it
                } catch (RuntimeException e) {
                    ctx.asJava().getLog().error("failure during PreRestart", e);
                }
                current = incarnation.start();
                return Behaviors.same();
            }
        }

        @Override
        public Behavior<Object> receiveSignal(TypedActorContext<Object> ctx, Signal signal) {
            if (!(signal instanceof PostStop)) return Behaviors.unhandled();
            current.core.releaseEverything();
            return Behaviors.same();
        }
    }

    private final Seam seam;
    private final BlkbackConfig cfg;
    private final BlkbackCore core;
    private final Dom0XsClient xs;

    private BlkbackActor(ActorContext<Object> ctx, Seam seam, BlkbackConfig cfg, ActorRef<HypervisorActor.Command> hv,
                         ActorRef<XenstoredActor.Command> xenstored, BlkbackCore core) throws IOException {
        this.seam = seam;
        this.cfg = cfg;
        this.core = core;
        this.xs = new Dom0XsClient(xenstored);
        DiskImage disk = DiskImage.open(cfg.image(), cfg.readOnly());
        ActorRef<Object> self = ctx.getSelf();
        ActorRef<Hypervisor.GrantMapped> mapReplies = self.narrow();
        ActorRef<Hypervisor.EvtchnPort> bindReplies = self.narrow();
        ActorRef<Hypervisor.GrantUnmapped> unmapReplies = self.narrow();
        ActorRef<HypervisorActor.EvtchnUpcall> upcalls = self.narrow();
        core.attach(new BlkbackCore.Io() {
            @Override public void xsRead(String path, Consumer<String> k) { xs.read(path, k); }
            @Override public void xsWrite(String path, String value) { xs.write(path, value, null); }
            @Override public void xsWatch(String path, String token, Runnable onFire) { xs.watch(path, token, p -> onFire.run()); }
            @Override public void mapGrant(int dom, int gref, boolean readonly) {
                hv.tell(new HypervisorActor.MapGrantRef(0, dom, gref, readonly, mapReplies));
            }
            @Override public void unmapGrant(int handle, boolean answer) {
                hv.tell(new HypervisorActor.UnmapGrantRef(0, handle, answer ? unmapReplies : null));
            }
            @Override public void bindInterdomain(int remoteDom, int remotePort) {
                hv.tell(new HypervisorActor.EvtchnBindInterdomain(0, remoteDom, remotePort, bindReplies));
            }
            @Override public void bindUpcall(int localPort) { hv.tell(new HypervisorActor.BindUpcall(0, localPort, upcalls, null)); }
            @Override public void evtchnSend(int localPort) { hv.tell(new HypervisorActor.EvtchnSend(0, localPort, null)); }
            @Override public void evtchnClose(int localPort) { hv.tell(new HypervisorActor.EvtchnClose(0, localPort, null)); }
            @Override public void after(long nanos, Runnable r) { seam.deliverAfter(nanos, self, new Wake(r)); }
            @Override public void closeXs() { xs.close(); }
        }, disk);
        xenstored.tell(new XenstoredActor.OpenLocal(0, self.narrow(), self.narrow()));
    }

    /** One dispatch, the per-request messages first. */
    private Behavior<Object> onMessage(Object m) {
        if (m instanceof Wake w) {
            w.r().run();
        } else if (m instanceof Hypervisor.GrantMapped g) {
            core.onGrantMapped(g);
        } else if (m instanceof Hypervisor.GrantUnmapped u) {
            core.onGrantUnmapped(u);
        } else if (m instanceof HypervisorActor.EvtchnUpcall) {
            core.kick();
        } else if (m instanceof XsMessage x) {
            xs.onMessage(x);
        } else if (m instanceof XenstoredActor.Opened o) {
            xs.opened(o.connId());
            core.start();
        } else if (m instanceof Hypervisor.EvtchnPort p) {
            core.onBound(p);
        } else if (m instanceof Crash) {
            seam.events().event(cfg.frontendDom(), COMP, "BACKEND_CRASH").with("devid", cfg.devid())
                    .with("inFlight", core.inFlightCount()).emit();
            throw new IllegalStateException("blkback " + cfg.frontendDom() + "/" + cfg.devid() + " crashed (injected)");
        } else if (m instanceof Stall st) {
            core.stall(st.nanos());
        } else if (m instanceof CorruptRing c) {
            core.corrupt(c.what());
        } else if (m instanceof SlowDown sd) {
            core.slowDown(sd.factor());
        } else if (m instanceof PlantDefect d) {
            core.plant(d.defect(), d.count());
        } else if (m instanceof Shutdown) {
            core.releaseEverything();
            return Behaviors.stopped();
        }
        return Behaviors.same();
    }
}
