package xensim.dom0.xenstored;

import xensim.abi.XsMessage;
import xensim.abi.XsFramer;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import xensim.platform.Seam;
import xensim.xen.HypervisorActor;

/**
 * xenstored as an actor: the only owner of the store ({@link XenstoredCore}). Three transports
 * feed it: in-process dom0 components ({@link OpenLocal}), dom0 tools on the unix socket
 * ({@link SocketOpened}/{@link SocketBytes}), and guests over their xenstore ring page
 * ({@link GuestRing}, attached on INTRODUCE when a hypervisor is present). Guests' rings and
 * in-process connections are served by the {@link MainLoop}, xenstored's single thread in steps of
 * virtual time ({@link XenstoredTiming}); socket clients (real dom0 tools) are answered at once.
 */
public final class XenstoredActor extends AbstractBehavior<XenstoredActor.Command> {

    public sealed interface Command permits OpenLocal, Request, Close, SocketOpened, SocketBytes, SocketClosed,
            GuestRing.RingCommand, Restart, XenstoredActor.RestartDone, XenstoredActor.Step {}

    /** One step of xenstored's main loop ({@link MainLoop}) coming due. */
    record Step(Runnable run) implements Command {}

    /**
     * Nemesis xenstored-restart: xenstored goes away for {@code downNanos} and comes back with its
     * state (as a live update does: the tree, watches, transactions and every connection's ring
     * survive). Meanwhile nothing is served; requests and ring kicks wait for it.
     */
    public record Restart(long downNanos) implements Command {}

    /** Opens an in-process connection for {@code domid}; replies and watch events go to {@code sink}. */
    public record OpenLocal(int domid, ActorRef<XsMessage> sink, ActorRef<Opened> replyTo) implements Command {}

    public record Opened(int connId) {}

    /** A request on a local connection. */
    public record Request(int connId, XsMessage message) implements Command {}

    public record Close(int connId) implements Command {}

    /**
     * A dom0 tool connected on the unix socket. Replies and watch events go to {@code out}, which
     * the transport drains at the client's pace; {@code closer} hangs up on the client.
     */
    public record SocketOpened(int sockId, OutputQueue out, Runnable closer) implements Command {}

    public record SocketBytes(int sockId, byte[] data) implements Command {}

    public record SocketClosed(int sockId) implements Command {}

    private record SocketConn(Connection conn, XsFramer framer, OutputQueue out, Runnable closer) {}

    private final Seam seam;
    private final XenstoredCore core;
    private final Map<Integer, Connection> local = new HashMap<>();
    private final Map<Integer, SocketConn> sockets = new HashMap<>();
    private final GuestRing rings;
    private final MainLoop loop;
    /** Virtual time until which xenstored is down (nemesis xenstored-restart). */
    private long downUntil = Long.MIN_VALUE;
    /** What arrived while it was down, in arrival order. */
    private final List<Command> deferred = new ArrayList<>();
    /** Socket clients whose output queue refused a message, to drop once the current message is handled. */
    private final java.util.Set<Integer> overQuota = new java.util.LinkedHashSet<>();

    record RestartDone(long until) implements Command {}

    private Receive<Command> built;

    public static Behavior<Command> create(Seam seam, XenstoredCore.Flavour flavour, ActorRef<HypervisorActor.Command> hypervisor) {
        return create(seam, new XenstoredCore(flavour, seam.events()), hypervisor);
    }

    /** xenstored with the default costs ({@link XenstoredTiming#DEFAULTS}). */
    public static Behavior<Command> create(Seam seam, XenstoredCore core, ActorRef<HypervisorActor.Command> hypervisor) {
        return create(seam, core, hypervisor, XenstoredTiming.DEFAULTS);
    }

    public static Behavior<Command> create(Seam seam, XenstoredCore core, ActorRef<HypervisorActor.Command> hypervisor,
                                           XenstoredTiming timing) {
        return Behaviors.setup(ctx -> new XenstoredActor(ctx, seam, core, hypervisor, timing));
    }

    private XenstoredActor(ActorContext<Command> ctx, Seam seam, XenstoredCore core,
                           ActorRef<HypervisorActor.Command> hypervisor, XenstoredTiming timing) {
        super(ctx);
        this.seam = seam;
        this.core = core;
        ActorRef<Command> self = ctx.getSelf();
        MainLoop.Costs costs = new MainLoop.Costs(
                new xensim.platform.Latency(timing.wakeupNanos(), seam.random("xenstored/wakeup")),
                new xensim.platform.Latency(timing.requestNanos(), seam.random("xenstored/request")),
                new xensim.platform.Latency(timing.ringCopyNanos(), seam.random("xenstored/ring-copy")),
                new xensim.platform.Latency(timing.notifyNanos(), seam.random("xenstored/notify")),
                new xensim.platform.Latency(timing.loopNanos(), seam.random("xenstored/loop")));
        this.loop = new MainLoop(core, new MainLoop.Env() {
            @Override
            public void after(long nanos, Runnable step) {
                seam.deliverAfter(nanos, self, new Step(step));
            }

            @Override
            public void notify(int localPort) {
                if (hypervisor != null) hypervisor.tell(new HypervisorActor.EvtchnSend(0, localPort, null));
            }
        }, costs);
        this.rings = new GuestRing(ctx, seam, hypervisor, loop);
        core.setDomainListener(rings);
    }

    @Override
    public Receive<Command> createReceive() {
        built = newReceiveBuilder()
                .onMessage(Restart.class, m -> {
                    long until = seam.nowNanos() + Math.max(0, m.downNanos());
                    downUntil = Math.max(downUntil, until);
                    seam.events().event(0, "xenstored", "XS_RESTART").with("phase", "down").with("until", downUntil).emit();
                    seam.deliverAfter(downUntil - seam.nowNanos(), getContext().getSelf(), new RestartDone(downUntil));
                    return this;
                })
                .onMessage(RestartDone.class, m -> {
                    if (m.until() != downUntil) return this; // a later restart extended the outage
                    seam.events().event(0, "xenstored", "XS_RESTART").with("phase", "up").emit();
                    loop.wake();
                    List<Command> held = new ArrayList<>(deferred);
                    deferred.clear();
                    for (Command c : held) built.receiveMessage(c); // in arrival order, before anything newer
                    return this;
                })
                .onMessage(Command.class, m -> seam.nowNanos() < downUntil, m -> {
                    deferred.add(m);
                    return this;
                })
                .onMessage(Step.class, m -> {
                    m.run().run();
                    dropOverQuota();
                    return this;
                })
                .onMessage(OpenLocal.class, m -> {
                    ActorRef<XsMessage> sink = m.sink();
                    Connection c = core.connect(m.domid(), "local", sink::tell);
                    local.put(c.id(), c);
                    loop.addLocal(c);
                    if (m.replyTo() != null) m.replyTo().tell(new Opened(c.id()));
                    return this;
                })
                .onMessage(Request.class, m -> {
                    Connection c = local.get(m.connId());
                    if (c != null) loop.submit(c, m.message()); // answered on the loop's turn
                    return this;
                })
                .onMessage(Close.class, m -> {
                    Connection c = local.remove(m.connId());
                    if (c != null) {
                        loop.remove(c);
                        core.disconnect(c);
                    }
                    return this;
                })
                .onMessage(SocketOpened.class, m -> {
                    OutputQueue out = m.out();
                    int id = m.sockId();
                    // queue without blocking; past the queue's limit the client is dropped
                    Connection c = core.connect(0, "socket", msg -> {
                        if (!out.offer(msg.encode())) overQuota.add(id);
                    });
                    sockets.put(id, new SocketConn(c, new XsFramer(), out, m.closer()));
                    return this;
                })
                .onMessage(SocketBytes.class, m -> {
                    SocketConn s = sockets.get(m.sockId());
                    if (s == null) return this;
                    for (XsMessage msg : s.framer().feed(m.data(), 0, m.data().length)) {
                        if (s.out().overflowed()) break; // being dropped: no more work for it
                        core.handle(s.conn(), msg);
                    }
                    dropOverQuota();
                    if (!sockets.containsKey(m.sockId())) return this;
                    if (s.framer().broken()) { // payload over XENSTORE_PAYLOAD_MAX: drop the client
                        seam.events().event(0, "xenstored", "XS_RESET").with("reason", "payload-too-long").with("conn", "socket").emit();
                        core.disconnect(s.conn());
                        sockets.remove(m.sockId());
                        s.closer().run();
                    }
                    return this;
                })
                .onMessage(SocketClosed.class, m -> {
                    SocketConn s = sockets.remove(m.sockId());
                    if (s != null) {
                        core.disconnect(s.conn());
                        s.out().close();
                    }
                    return this;
                })
                .onMessage(GuestRing.RingCommand.class, m -> {
                    rings.onCommand(m);
                    dropOverQuota();
                    return this;
                })
                .build();
        return built;
    }

    /**
     * Drops each socket client whose output passed its queue's limit (C's ignore_connection: its
     * watches, transactions and queued output go; the client is hung up on).
     */
    private void dropOverQuota() {
        if (overQuota.isEmpty()) return;
        for (int id : List.copyOf(overQuota)) {
            SocketConn s = sockets.remove(id);
            if (s == null) continue;
            seam.events().event(0, "xenstored", "XS_RESET").with("reason", "output-quota").with("conn", "socket")
                    .with("limit", s.out().limit()).emit();
            core.disconnect(s.conn());
            s.out().close();
            s.closer().run();
        }
        overQuota.clear();
    }
}
