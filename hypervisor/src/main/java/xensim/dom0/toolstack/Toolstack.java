package xensim.dom0.toolstack;

import static xensim.abi.XsWire.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import xensim.abi.GrantTableAbi;
import xensim.abi.HvmParams;
import xensim.abi.XsMessage;
import xensim.dom0.Dom0XsClient;
import xensim.dom0.blkback.BlkbackActor;
import xensim.dom0.console.ConsoleBackend;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.platform.Seam;
import xensim.xen.DomainConfig;
import xensim.xen.GuestMemory;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;
import xensim.xen.MappedGrant;

/**
 * The toolstack (what libxl does for an HVM/PVH guest): create the domain, reserve and seed the
 * xenstore and console pages (grant refs 1 and 0, like xc_dom_gnttab_seed), allocate their event
 * channels, set the HVM params, write the guest's and its backends' xenstore nodes with libxl's
 * permissions, INTRODUCE it to xenstored, start blkback and the console backend. Destroy:
 * RELEASE, remove the nodes, destroy the domain, report every grant still mapped by a backend
 * (GRANT_LEAK), stop the backends.
 */
public final class Toolstack extends AbstractBehavior<Toolstack.Command> {

    public sealed interface Command {}

    public record Create(GuestSpec spec, ActorRef<Created> replyTo) implements Command {}

    /** A created guest: what its firmware needs to boot. */
    public record Created(int domid, GuestMemory memory, long storeGfn, int storePort, long consoleGfn, int consolePort,
                          GuestSpec spec, String error) {}

    public record Destroy(int domid, ActorRef<Destroyed> replyTo) implements Command {}

    public record Destroyed(int domid, int leakedGrants) {}

    /** The blkback of one of a guest's disks (for fault injection). */
    public record GetBlkback(int domid, int devid, ActorRef<BlkbackRef> replyTo) implements Command {}

    public record BlkbackRef(ActorRef<BlkbackActor.Command> ref) {}

    private record Xs(XsMessage m) implements Command {}

    private record XsOpened(int id) implements Command {}

    private record DomReply(Hypervisor.DomainCreated r) implements Command {}

    private record ResReply(Hypervisor.Result r) implements Command {}

    private record PortReply(Hypervisor.EvtchnPort r) implements Command {}

    private record DestroyReply(Hypervisor.DomainDestroyed r) implements Command {}

    private record ConsoleStopped(ConsoleBackend.Stopped s) implements Command {}

    private static final String COMP = "toolstack";

    private final Seam seam;
    private final ActorRef<HypervisorActor.Command> hv;
    private final ActorRef<XenstoredActor.Command> xenstored;
    private final Dom0XsClient xs;
    private final List<Runnable> untilOpen = new ArrayList<>();
    private final ArrayDeque<Consumer<Hypervisor.DomainCreated>> domWaiters = new ArrayDeque<>();
    private final ArrayDeque<Consumer<Hypervisor.Result>> resWaiters = new ArrayDeque<>();
    private final ArrayDeque<Consumer<Hypervisor.EvtchnPort>> portWaiters = new ArrayDeque<>();
    private final ArrayDeque<Consumer<Hypervisor.DomainDestroyed>> destroyWaiters = new ArrayDeque<>();
    private final Map<Integer, Consumer<ConsoleBackend.Stopped>> consoleWaiters = new HashMap<>();
    private final ActorRef<Hypervisor.DomainCreated> domAdapter;
    private final ActorRef<Hypervisor.Result> resAdapter;
    private final ActorRef<Hypervisor.EvtchnPort> portAdapter;
    private final ActorRef<Hypervisor.DomainDestroyed> destroyAdapter;
    private final ActorRef<ConsoleBackend.Stopped> consoleAdapter;

    private static final class Guest {
        GuestSpec spec;
        int domid;
        final Map<Integer, ActorRef<BlkbackActor.Command>> blkbacks = new HashMap<>();
        ActorRef<ConsoleBackend.Command> console;
    }

    private final Map<Integer, Guest> guests = new HashMap<>();

    public static Behavior<Command> create(Seam seam, ActorRef<HypervisorActor.Command> hv, ActorRef<XenstoredActor.Command> xenstored) {
        return create(seam, hv, xenstored, true);
    }

    /**
     * @param xsResetWatches whether to write {@code control/platform-feature-xs_reset_watches = 1}
     *        into each guest's home, as libxl's libxl__domain_make does; a guest OS sends
     *        XS_RESET_WATCHES only when it is there (Linux xs_reset_watches)
     */
    public static Behavior<Command> create(Seam seam, ActorRef<HypervisorActor.Command> hv, ActorRef<XenstoredActor.Command> xenstored,
                                           boolean xsResetWatches) {
        return Behaviors.setup(ctx -> new Toolstack(ctx, seam, hv, xenstored, xsResetWatches));
    }

    private final boolean xsResetWatches;

    private Toolstack(ActorContext<Command> ctx, Seam seam, ActorRef<HypervisorActor.Command> hv,
                      ActorRef<XenstoredActor.Command> xenstored, boolean xsResetWatches) {
        super(ctx);
        this.xsResetWatches = xsResetWatches;
        this.seam = seam;
        this.hv = hv;
        this.xenstored = xenstored;
        this.xs = new Dom0XsClient(xenstored);
        domAdapter = ctx.messageAdapter(Hypervisor.DomainCreated.class, DomReply::new);
        resAdapter = ctx.messageAdapter(Hypervisor.Result.class, ResReply::new);
        portAdapter = ctx.messageAdapter(Hypervisor.EvtchnPort.class, PortReply::new);
        destroyAdapter = ctx.messageAdapter(Hypervisor.DomainDestroyed.class, DestroyReply::new);
        consoleAdapter = ctx.messageAdapter(ConsoleBackend.Stopped.class, ConsoleStopped::new);
        xenstored.tell(new XenstoredActor.OpenLocal(0, ctx.messageAdapter(XsMessage.class, Xs::new),
                ctx.messageAdapter(XenstoredActor.Opened.class, o -> new XsOpened(o.connId()))));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(XsOpened.class, m -> {
                    xs.opened(m.id());
                    untilOpen.forEach(Runnable::run);
                    untilOpen.clear();
                    return this;
                })
                .onMessage(Xs.class, m -> {
                    xs.onMessage(m.m());
                    return this;
                })
                .onMessage(DomReply.class, m -> next(domWaiters, m.r()))
                .onMessage(ResReply.class, m -> next(resWaiters, m.r()))
                .onMessage(PortReply.class, m -> next(portWaiters, m.r()))
                .onMessage(DestroyReply.class, m -> next(destroyWaiters, m.r()))
                .onMessage(ConsoleStopped.class, m -> {
                    Consumer<ConsoleBackend.Stopped> k = consoleWaiters.remove(m.s().domid());
                    if (k != null) k.accept(m.s());
                    return this;
                })
                .onMessage(Create.class, m -> {
                    if (xs.isOpen()) create(m); else untilOpen.add(() -> create(m));
                    return this;
                })
                .onMessage(Destroy.class, m -> {
                    destroy(m);
                    return this;
                })
                .onMessage(GetBlkback.class, m -> {
                    Guest g = guests.get(m.domid());
                    m.replyTo().tell(new BlkbackRef(g == null ? null : g.blkbacks.get(m.devid())));
                    return this;
                })
                .build();
    }

    private <T> Behavior<Command> next(ArrayDeque<Consumer<T>> q, T reply) {
        Consumer<T> k = q.poll();
        if (k != null) k.accept(reply);
        return this;
    }

    private void hvm(int dom, int index, long value, Runnable then) {
        resWaiters.add(r -> then.run());
        hv.tell(new HypervisorActor.HvmSetParam(0, dom, index, value, resAdapter));
    }

    // --- create ------------------------------------------------------------------------------

    private void create(Create m) {
        GuestSpec spec = m.spec();
        domWaiters.add(dc -> {
            if (dc.rc() != 0) {
                m.replyTo().tell(new Created(-1, null, 0, 0, 0, 0, spec, "createdomain failed: " + dc.rc()));
                return;
            }
            int d = dc.domid();
            Guest g = new Guest();
            g.spec = spec;
            g.domid = d;
            guests.put(d, g);
            GuestMemory mem = dc.memory();
            mem.setType(spec.storeGfn(), "Reserved");
            mem.setType(spec.consoleGfn(), "Reserved");
            resWaiters.add(r1 -> resWaiters.add(r2 -> {
                portWaiters.add(store -> portWaiters.add(console -> {
                    hvm(d, HvmParams.HVM_PARAM_STORE_PFN, spec.storeGfn(), () ->
                        hvm(d, HvmParams.HVM_PARAM_STORE_EVTCHN, store.port(), () ->
                            hvm(d, HvmParams.HVM_PARAM_CONSOLE_PFN, spec.consoleGfn(), () ->
                                hvm(d, HvmParams.HVM_PARAM_CONSOLE_EVTCHN, console.port(), () ->
                                    writeNodes(g, store.port(), console.port(), () -> {
                                        startBackends(g, console.port());
                                        seam.events().event(d, COMP, "DOMAIN_CREATED").with("name", spec.name())
                                                .with("memory", (long) spec.ramPages() * 4).emit();
                                        for (GuestSpec.Disk disk : spec.disks()) {
                                            seam.events().event(d, COMP, "DEVICE_CREATED").with("kind", "vbd").with("devid", disk.devid())
                                                    .with("frontend", frontendPath(d, disk.devid())).with("backend", backendPath(d, disk.devid())).emit();
                                        }
                                        m.replyTo().tell(new Created(d, mem, spec.storeGfn(), store.port(), spec.consoleGfn(),
                                                console.port(), spec, null));
                                    })))));
                }));
                hv.tell(new HypervisorActor.EvtchnAllocUnbound(0, d, 0, portAdapter));
                hv.tell(new HypervisorActor.EvtchnAllocUnbound(0, d, 0, portAdapter));
            }));
            hv.tell(new HypervisorActor.SeedGrantEntry(0, d, GrantTableAbi.GNTTAB_RESERVED_CONSOLE, 0, spec.consoleGfn(), false, resAdapter));
            hv.tell(new HypervisorActor.SeedGrantEntry(0, d, GrantTableAbi.GNTTAB_RESERVED_XENSTORE, 0, spec.storeGfn(), false, resAdapter));
        });
        hv.tell(new HypervisorActor.CreateDomain(0, DomainConfig.ofRamPages(spec.ramPages()), domAdapter));
    }

    public static String frontendPath(int domid, int devid) {
        return "/local/domain/" + domid + "/device/vbd/" + devid;
    }

    public static String backendPath(int domid, int devid) {
        return "/local/domain/0/backend/vbd/" + domid + "/" + devid;
    }

    /** The nodes libxl writes; each directory gets its permissions before its children exist. */
    private void writeNodes(Guest g, int storePort, int consolePort, Runnable then) {
        int d = g.domid;
        String home = "/local/domain/" + d;
        List<String[]> ops = new ArrayList<>();
        ops.add(new String[] {"mkdir", home});
        ops.add(new String[] {"perms", home, "n" + d});
        ops.add(new String[] {"write", home + "/name", g.spec.name()});
        ops.add(new String[] {"write", home + "/domid", Integer.toString(d)});
        ops.add(new String[] {"mkdir", home + "/memory"});
        ops.add(new String[] {"write", home + "/memory/target", Long.toString((long) g.spec.ramPages() * 4)});
        ops.add(new String[] {"mkdir", home + "/control"});
        ops.add(new String[] {"perms", home + "/control", "n0", "r" + d});
        if (xsResetWatches) ops.add(new String[] {"write", home + "/control/platform-feature-xs_reset_watches", "1"});
        ops.add(new String[] {"mkdir", home + "/device"});
        ops.add(new String[] {"perms", home + "/device", "n" + d, "r0"});
        ops.add(new String[] {"mkdir", home + "/console"});
        ops.add(new String[] {"perms", home + "/console", "n" + d, "r0"});
        ops.add(new String[] {"write", home + "/console/ring-ref", Long.toString(g.spec.consoleGfn())});
        ops.add(new String[] {"write", home + "/console/port", Integer.toString(consolePort)});
        ops.add(new String[] {"write", home + "/console/type", "xenconsoled"});
        ops.add(new String[] {"write", home + "/console/limit", "1048576"});
        for (GuestSpec.Disk disk : g.spec.disks()) {
            String fe = frontendPath(d, disk.devid());
            String be = backendPath(d, disk.devid());
            ops.add(new String[] {"mkdir", fe});
            ops.add(new String[] {"perms", fe, "n" + d, "r0"});
            ops.add(new String[] {"write", fe + "/backend", be});
            ops.add(new String[] {"write", fe + "/backend-id", "0"});
            ops.add(new String[] {"write", fe + "/state", "1"});
            ops.add(new String[] {"write", fe + "/virtual-device", Integer.toString(disk.devid())});
            ops.add(new String[] {"write", fe + "/device-type", "disk"});
            ops.add(new String[] {"mkdir", be});
            ops.add(new String[] {"perms", be, "n0", "r" + d});
            ops.add(new String[] {"write", be + "/frontend", fe});
            ops.add(new String[] {"write", be + "/frontend-id", Integer.toString(d)});
            ops.add(new String[] {"write", be + "/params", disk.image().toString()});
            ops.add(new String[] {"write", be + "/mode", disk.readOnly() ? "r" : "w"});
            ops.add(new String[] {"write", be + "/online", "1"});
            ops.add(new String[] {"write", be + "/state", "1"});
            ops.add(new String[] {"write", be + "/sector-size", "512"});
            ops.add(new String[] {"write", be + "/feature-flush-cache", "1"});
            ops.add(new String[] {"write", be + "/feature-discard", "1"});
        }
        ops.add(new String[] {"introduce", Integer.toString(d), Long.toString(g.spec.storeGfn()), Integer.toString(storePort)});
        runXs(ops, 0, then);
    }

    private void runXs(List<String[]> ops, int i, Runnable then) {
        if (i == ops.size()) {
            then.run();
            return;
        }
        String[] op = ops.get(i);
        Consumer<XsMessage> k = reply -> {
            if (reply.type() == XS_ERROR) {
                seam.events().event(0, COMP, "TOOLSTACK_ERROR").with("op", String.join(" ", op)).with("error", reply.strings().get(0)).emit();
            }
            runXs(ops, i + 1, then);
        };
        switch (op[0]) {
            case "mkdir" -> xs.request(XsMessage.of(XS_MKDIR, 0, 0, op[1]), k);
            case "perms" -> xs.setPerms(op[1], k, java.util.Arrays.copyOfRange(op, 2, op.length));
            case "write" -> xs.write(op[1], op[2], k);
            case "rm" -> xs.rm(op[1], k);
            case "rmIfEmpty" -> xs.request(XsMessage.of(XS_DIRECTORY, 0, 0, op[1]), dir -> {
                if (dir.type() == XS_DIRECTORY && dir.payload().length == 0) xs.rm(op[1], k);
                else runXs(ops, i + 1, then);
            });
            case "release" -> xs.request(XsMessage.of(XS_RELEASE, 0, 0, op[1]), k);
            case "introduce" -> xs.request(XsMessage.of(XS_INTRODUCE, 0, 0, op[1], op[2], op[3]), k);
            default -> throw new IllegalStateException(op[0]);
        }
    }

    private void startBackends(Guest g, int consolePort) {
        for (GuestSpec.Disk disk : g.spec.disks()) {
            xensim.dom0.blkback.BlkbackConfig cfg = new xensim.dom0.blkback.BlkbackConfig(g.domid, disk.devid(), backendPath(g.domid, disk.devid()),
                    frontendPath(g.domid, disk.devid()), disk.image(), disk.readOnly(), disk.latencyMeanNanos(),
                    disk.tailProbability(), disk.tailFactor(), disk.queueDepth(), disk.profile());
            g.blkbacks.put(disk.devid(), getContext().spawn(BlkbackActor.create(seam, cfg, hv, xenstored),
                    "blkback-" + g.domid + "-" + disk.devid()));
        }
        g.console = getContext().spawn(ConsoleBackend.create(seam, g.domid, consolePort, hv), "console-" + g.domid);
    }

    // --- destroy -----------------------------------------------------------------------------

    private void destroy(Destroy m) {
        Guest g = guests.remove(m.domid());
        if (g == null) {
            m.replyTo().tell(new Destroyed(m.domid(), 0));
            return;
        }
        int d = g.domid;
        List<String[]> ops = new ArrayList<>();
        ops.add(new String[] {"release", Integer.toString(d)});
        ops.add(new String[] {"rm", "/local/domain/" + d});
        ops.add(new String[] {"rm", "/local/domain/0/backend/vbd/" + d});
        ops.add(new String[] {"rmIfEmpty", "/local/domain/0/backend/vbd"});
        ops.add(new String[] {"rmIfEmpty", "/local/domain/0/backend"});
        Runnable afterConsole = () -> runXs(ops, 0, () -> {
            destroyWaiters.add(r -> {
                List<MappedGrant> still = r.stillMapped() == null ? List.of() : r.stillMapped();
                for (MappedGrant mg : still) {
                    seam.events().event(d, COMP, "GRANT_LEAK").with("detail", mg.toString()).emit();
                }
                for (ActorRef<BlkbackActor.Command> b : g.blkbacks.values()) b.tell(new BlkbackActor.Shutdown());
                seam.events().event(d, COMP, "DOMAIN_DESTROYED").with("leakedGrants", still.size()).emit();
                m.replyTo().tell(new Destroyed(d, still.size()));
            });
            hv.tell(new HypervisorActor.DestroyDomain(0, d, destroyAdapter));
        });
        if (g.console != null) {
            consoleWaiters.put(d, s -> afterConsole.run());
            g.console.tell(new ConsoleBackend.Shutdown(consoleAdapter));
        } else {
            afterConsole.run();
        }
    }
}
