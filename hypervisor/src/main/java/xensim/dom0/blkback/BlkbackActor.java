package xensim.dom0.blkback;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.PreRestart;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
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
 * {@link Crash} (the supervisor restarts the actor; the core ends the dead incarnation and the
 * next one re-attaches), {@link Stall}, {@link SlowDown}, {@link CorruptRing}.
 */
public final class BlkbackActor extends AbstractBehavior<BlkbackActor.Command> {

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

    private record XsIn(XsMessage m) implements Command {}

    private record XsOpened(int connId) implements Command {}

    private record MapReply(Hypervisor.GrantMapped g) implements Command {}

    private record BindReply(Hypervisor.EvtchnPort p) implements Command {}

    private record UnmapReply(Hypervisor.GrantUnmapped u) implements Command {}

    private record Kick() implements Command {}

    /** A timer the core armed ({@link BlkbackCore.Io#after}). */
    private record Wake(Runnable r) implements Command {}

    private static final String COMP = "blkback";

    public static Behavior<Command> create(Seam seam, BlkbackConfig cfg, ActorRef<HypervisorActor.Command> hypervisor,
                                           ActorRef<XenstoredActor.Command> xenstored) {
        LatencyModel latency = new LatencyModel(cfg.latencyMeanNanos(), cfg.tailProbability(), cfg.tailFactor(), cfg.queueDepth(),
                seam.random("blkback/" + cfg.frontendDom() + "/" + cfg.devid()));
        BlkbackCore core = new BlkbackCore(cfg, seam.events(), seam::nowNanos, latency); // outlives an incarnation
        return Behaviors.supervise(Behaviors.<Command>setup(ctx -> new BlkbackActor(ctx, seam, cfg, hypervisor, xenstored, core)))
                .onFailure(IllegalStateException.class, SupervisorStrategy.restart().withLoggingEnabled(false)); // the crash is a BACKEND_CRASH event
    }

    private final Seam seam;
    private final BlkbackConfig cfg;
    private final BlkbackCore core;
    private final Dom0XsClient xs;

    private BlkbackActor(ActorContext<Command> ctx, Seam seam, BlkbackConfig cfg, ActorRef<HypervisorActor.Command> hv,
                         ActorRef<XenstoredActor.Command> xenstored, BlkbackCore core) throws IOException {
        super(ctx);
        this.seam = seam;
        this.cfg = cfg;
        this.core = core;
        this.xs = new Dom0XsClient(xenstored);
        DiskImage disk = DiskImage.open(cfg.image(), cfg.readOnly());
        ActorRef<Hypervisor.GrantMapped> mapAdapter = ctx.messageAdapter(Hypervisor.GrantMapped.class, MapReply::new);
        ActorRef<Hypervisor.EvtchnPort> bindAdapter = ctx.messageAdapter(Hypervisor.EvtchnPort.class, BindReply::new);
        ActorRef<Hypervisor.GrantUnmapped> unmapAdapter = ctx.messageAdapter(Hypervisor.GrantUnmapped.class, UnmapReply::new);
        ActorRef<HypervisorActor.EvtchnUpcall> upcalls = ctx.messageAdapter(HypervisorActor.EvtchnUpcall.class, u -> new Kick());
        ActorRef<Command> self = ctx.getSelf();
        core.attach(new BlkbackCore.Io() {
            @Override public void xsRead(String path, Consumer<String> k) { xs.read(path, k); }
            @Override public void xsWrite(String path, String value) { xs.write(path, value, null); }
            @Override public void xsWatch(String path, String token, Runnable onFire) { xs.watch(path, token, p -> onFire.run()); }
            @Override public void mapGrant(int dom, int gref, boolean readonly) {
                hv.tell(new HypervisorActor.MapGrantRef(0, dom, gref, readonly, mapAdapter));
            }
            @Override public void unmapGrant(int handle, boolean answer) {
                hv.tell(new HypervisorActor.UnmapGrantRef(0, handle, answer ? unmapAdapter : null));
            }
            @Override public void bindInterdomain(int remoteDom, int remotePort) {
                hv.tell(new HypervisorActor.EvtchnBindInterdomain(0, remoteDom, remotePort, bindAdapter));
            }
            @Override public void bindUpcall(int localPort) { hv.tell(new HypervisorActor.BindUpcall(0, localPort, upcalls, null)); }
            @Override public void evtchnSend(int localPort) { hv.tell(new HypervisorActor.EvtchnSend(0, localPort, null)); }
            @Override public void evtchnClose(int localPort) { hv.tell(new HypervisorActor.EvtchnClose(0, localPort, null)); }
            @Override public void after(long nanos, Runnable r) { seam.deliverAfter(nanos, self, new Wake(r)); }
            @Override public void closeXs() { xs.close(); }
        }, disk);
        xenstored.tell(new XenstoredActor.OpenLocal(0, ctx.messageAdapter(XsMessage.class, XsIn::new),
                ctx.messageAdapter(XenstoredActor.Opened.class, o -> new XsOpened(o.connId()))));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(XsOpened.class, m -> {
                    xs.opened(m.connId());
                    core.start();
                    return this;
                })
                .onMessage(XsIn.class, m -> {
                    xs.onMessage(m.m());
                    return this;
                })
                .onMessage(MapReply.class, m -> {
                    core.onGrantMapped(m.g());
                    return this;
                })
                .onMessage(BindReply.class, m -> {
                    core.onBound(m.p());
                    return this;
                })
                .onMessage(UnmapReply.class, m -> {
                    core.onGrantUnmapped(m.u());
                    return this;
                })
                .onMessage(Kick.class, m -> {
                    core.kick();
                    return this;
                })
                .onMessage(Wake.class, m -> {
                    m.r().run();
                    return this;
                })
                .onMessage(Crash.class, m -> {
                    seam.events().event(cfg.frontendDom(), COMP, "BACKEND_CRASH").with("devid", cfg.devid())
                            .with("inFlight", core.inFlightCount()).emit();
                    throw new IllegalStateException("blkback " + cfg.frontendDom() + "/" + cfg.devid() + " crashed (injected)");
                })
                .onMessage(Stall.class, m -> {
                    core.stall(m.nanos());
                    return this;
                })
                .onMessage(CorruptRing.class, m -> {
                    core.corrupt(m.what());
                    return this;
                })
                .onMessage(PlantDefect.class, m -> {
                    core.plant(m.defect(), m.count());
                    return this;
                })
                .onMessage(SlowDown.class, m -> {
                    core.slowDown(m.factor());
                    return this;
                })
                .onMessage(Shutdown.class, m -> {
                    core.releaseEverything();
                    return Behaviors.stopped();
                })
                .onSignal(PreRestart.class, s -> {
                    core.crashed(); // the process died: its grant mappings and ports go with it
                    return this;
                })
                .onSignal(PostStop.class, s -> {
                    core.releaseEverything();
                    return this;
                })
                .build();
    }
}
