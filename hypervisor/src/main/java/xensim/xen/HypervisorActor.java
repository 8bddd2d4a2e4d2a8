package xensim.xen;

import static xensim.abi.GrantTableAbi.GNTST_bad_handle;
import static xensim.abi.GrantTableAbi.GNTST_general_error;
import static xensim.abi.XenErrno.EINVAL;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.ExtensibleBehavior;
import akka.actor.typed.Signal;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.List;
import xensim.platform.Seam;
import xensim.xen.Hypervisor.DomainCreated;
import xensim.xen.Hypervisor.DomainDestroyed;
import xensim.xen.Hypervisor.EvtchnPort;
import xensim.xen.Hypervisor.EvtchnStatus;
import xensim.xen.Hypervisor.GrantMapped;
import xensim.xen.Hypervisor.GrantTableSize;
import xensim.xen.Hypervisor.GrantUnmapped;
import xensim.xen.Hypervisor.HvmParam;
import xensim.xen.Hypervisor.Result;

/**
 * The hypervisor as an actor: hypercalls are messages, replies go to the {@code replyTo} in each
 * message (null: no reply wanted). Every handler delegates to one {@link Hypervisor} core. Replies
 * are the core's records: {@code rc} 0 or a negative Xen errno, or a GNTST_* {@code status}.
 *
 * <p>{@code caller} in a message is the calling domain (Xen's {@code current->domain}); the
 * simulation trusts it. Hostile input gets Xen's error and never stops or restarts the actor (an
 * unexpected exception is logged and answered with -EINVAL / GNTST_general_error).
 *
 * <p>Upcalls: a port's handler is bound with {@link BindUpcall}; when the port becomes pending
 * (unmasked), the hypervisor sends itself a delivery through the seam
 * ({@code seam.deliverAfter(upcallLatency, self, ...)}) and then tells the handler
 * {@link EvtchnUpcall}.
 */
public final class HypervisorActor {
    private HypervisorActor() {}

    /** Every message the hypervisor understands. */
    public sealed interface Command {}

    // ---- domains -------------------------------------------------------------------------------

    /** XEN_DOMCTL_createdomain (dom0 only). */
    public record CreateDomain(int caller, DomainConfig config, ActorRef<DomainCreated> replyTo) implements Command {}

    /** XEN_DOMCTL_destroydomain (dom0 only); the reply lists grants still mapped. */
    public record DestroyDomain(int caller, int domid, ActorRef<DomainDestroyed> replyTo) implements Command {}

    // ---- memory --------------------------------------------------------------------------------

    /** XENMEM_add_to_physmap (space XENMAPSPACE_grant_table: frame idx at gfn). */
    public record AddToPhysmap(int caller, int domid, int space, long idx, long gfn, ActorRef<Result> replyTo)
            implements Command {}

    /** XENMEM_remove_from_physmap. */
    public record RemoveFromPhysmap(int caller, int domid, long gfn, ActorRef<Result> replyTo) implements Command {}

    /** XENMEM_populate_physmap of one page. */
    public record PopulatePhysmap(int caller, int domid, long gfn, ActorRef<Result> replyTo) implements Command {}

    // ---- grant tables --------------------------------------------------------------------------

    /** GNTTABOP_map_grant_ref: {@code mapper} maps {@code dom}'s {@code ref}. */
    public record MapGrantRef(int mapper, int dom, int ref, boolean readonly, ActorRef<GrantMapped> replyTo)
            implements Command {}

    /** GNTTABOP_unmap_grant_ref of one of {@code mapper}'s handles. */
    public record UnmapGrantRef(int mapper, int handle, ActorRef<GrantUnmapped> replyTo) implements Command {}

    /** GNTTABOP_query_size. */
    public record QueryGrantTableSize(int caller, int dom, ActorRef<GrantTableSize> replyTo) implements Command {}

    /** xc_dom_gnttab_seed: dom0 writes a grant entry of {@code dom} (reserved console/xenstore refs). */
    public record SeedGrantEntry(int caller, int dom, int ref, int grantee, long gfn, boolean readonly,
                                 ActorRef<Result> replyTo) implements Command {}

    /** Nemesis: the next {@code count} maps of {@code dom}'s grants fail with GNTST_eagain. */
    public record InjectGrantMapEagain(int dom, int count, ActorRef<Result> replyTo) implements Command {}

    /** Nemesis: the next {@code count} event-channel sends to or from {@code dom} are dropped, duplicated or delayed. */
    public record InjectEvtchnFault(int dom, Hypervisor.EvtchnFault fault, int count, long delayNanos, ActorRef<Result> replyTo)
            implements Command {}

    // ---- event channels ------------------------------------------------------------------------

    /** EVTCHNOP_alloc_unbound: a port in {@code dom} that {@code remoteDom} may bind. */
    public record EvtchnAllocUnbound(int caller, int dom, int remoteDom, ActorRef<EvtchnPort> replyTo)
            implements Command {}

    /** EVTCHNOP_bind_interdomain. */
    public record EvtchnBindInterdomain(int caller, int remoteDom, int remotePort, ActorRef<EvtchnPort> replyTo)
            implements Command {}

    /** EVTCHNOP_send (replyTo usually null: notify and go on). */
    public record EvtchnSend(int caller, int port, ActorRef<Result> replyTo) implements Command {}

    /** EVTCHNOP_close. */
    public record EvtchnClose(int caller, int port, ActorRef<Result> replyTo) implements Command {}

    /** EVTCHNOP_status. */
    public record EvtchnGetStatus(int caller, int dom, int port, ActorRef<EvtchnStatus> replyTo) implements Command {}

    /** Set the port's mask bit (a shared_info write in Xen). */
    public record EvtchnMask(int caller, int port, ActorRef<Result> replyTo) implements Command {}

    /** EVTCHNOP_unmask: a pending event is delivered. */
    public record EvtchnUnmask(int caller, int port, ActorRef<Result> replyTo) implements Command {}

    /**
     * Binds {@code handler} to {@code dom}'s {@code port} (Linux bind_evtchn_to_irqhandler); null
     * unbinds. A port already pending is delivered at once.
     */
    public record BindUpcall(int dom, int port, ActorRef<EvtchnUpcall> handler, ActorRef<Result> replyTo)
            implements Command {}

    /** What a bound handler receives: an event arrived on {@code dom}'s {@code port}. */
    public record EvtchnUpcall(int dom, int port) {}

    // ---- HVM params ----------------------------------------------------------------------------

    /** HVMOP_set_param. */
    public record HvmSetParam(int caller, int dom, int index, long value, ActorRef<Result> replyTo) implements Command {}

    /** HVMOP_get_param. */
    public record HvmGetParam(int caller, int dom, int index, ActorRef<HvmParam> replyTo) implements Command {}

    /** Internal: a scheduled upcall comes due. */
    private record DeliverUpcall(int dom, int port) implements Command {}

    /** Default upcall latency: 0 (still routed through the seam). */
    public static final long DEFAULT_UPCALL_LATENCY_NANOS = 0;

    /** A hypervisor with a fresh core (dom0 only) logging to the seam's event log. */
    public static Behavior<Command> create(Seam seam) {
        return create(seam, new Hypervisor(seam.events()), DEFAULT_UPCALL_LATENCY_NANOS);
    }

    /**
     * A hypervisor actor over an existing core (so harness code can inspect it or inject faults
     * directly). Installs an upcall scheduler on the core that goes through the seam.
     */
    public static Behavior<Command> create(Seam seam, Hypervisor core, long upcallLatencyNanos) {
        return Behaviors.setup(ctx -> {
            ActorRef<Command> self = ctx.getSelf();
            core.setUpcallScheduler(new UpcallScheduler() {
                @Override
                public void schedule(int dom, int port) {
                    seam.deliverAfter(upcallLatencyNanos, self, new DeliverUpcall(dom, port));
                }

                @Override
                public void schedule(int dom, int port, long extraNanos) {
                    seam.deliverAfter(upcallLatencyNanos + extraNanos, self, new DeliverUpcall(dom, port));
                }
            });
            return new Dispatch(ctx, core);
        });
    }

    /** The behaviour: every command straight to {@link #handle} (no receive builder's case list in between); signals unhandled. */
    private static final class Dispatch extends ExtensibleBehavior<Command> {
        private final ActorContext<Command> ctx;
        private final Hypervisor core;

        Dispatch(ActorContext<Command> ctx, Hypervisor core) {
            this.ctx = ctx;
            this.core = core;
        }

        @Override
        public Behavior<Command> receive(TypedActorContext<Command> c, Command cmd) {
            try {
                handle(core, cmd);
            } catch (RuntimeException e) {
                ctx.getLog().warn("hypercall {} failed unexpectedly: {}", cmd, e.toString());
                failSafe(ctx, cmd);
            }
            return Behaviors.same();
        }

        @Override
        public Behavior<Command> receiveSignal(TypedActorContext<Command> c, Signal signal) {
            return Behaviors.unhandled();
        }
    }

    /** One hypercall; the blkif path's (grant map/unmap, event send, upcall delivery) tested first. */
    private static void handle(Hypervisor hv, Command cmd) {
        if (cmd instanceof MapGrantRef c) {
            reply(c.replyTo(), hv.mapGrantRef(c.mapper(), c.dom(), c.ref(), c.readonly()));
        } else if (cmd instanceof UnmapGrantRef c) {
            reply(c.replyTo(), hv.unmapGrantRef(c.mapper(), c.handle()));
        } else if (cmd instanceof EvtchnSend c) {
            reply(c.replyTo(), hv.evtchnSend(c.caller(), c.port()));
        } else if (cmd instanceof DeliverUpcall c) {
            hv.deliverUpcall(c.dom(), c.port());
        } else if (cmd instanceof CreateDomain c) {
            reply(c.replyTo(), hv.createDomain(c.caller(), c.config()));
        } else if (cmd instanceof DestroyDomain c) {
            reply(c.replyTo(), hv.destroyDomain(c.caller(), c.domid()));
        } else if (cmd instanceof AddToPhysmap c) {
            reply(c.replyTo(), hv.addToPhysmap(c.caller(), c.domid(), c.space(), c.idx(), c.gfn()));
        } else if (cmd instanceof RemoveFromPhysmap c) {
            reply(c.replyTo(), hv.removeFromPhysmap(c.caller(), c.domid(), c.gfn()));
        } else if (cmd instanceof PopulatePhysmap c) {
            reply(c.replyTo(), hv.populatePhysmap(c.caller(), c.domid(), c.gfn()));
        } else if (cmd instanceof QueryGrantTableSize c) {
            reply(c.replyTo(), hv.queryGrantTableSize(c.caller(), c.dom()));
        } else if (cmd instanceof SeedGrantEntry c) {
            reply(c.replyTo(), hv.seedGrantEntry(c.caller(), c.dom(), c.ref(), c.grantee(), c.gfn(), c.readonly()));
        } else if (cmd instanceof InjectEvtchnFault c) {
            reply(c.replyTo(), hv.injectEvtchnFault(c.dom(), c.fault(), c.count(), c.delayNanos()));
        } else if (cmd instanceof InjectGrantMapEagain c) {
            reply(c.replyTo(), hv.injectGrantMapEagain(c.dom(), c.count()));
        } else if (cmd instanceof EvtchnAllocUnbound c) {
            reply(c.replyTo(), hv.evtchnAllocUnbound(c.caller(), c.dom(), c.remoteDom()));
        } else if (cmd instanceof EvtchnBindInterdomain c) {
            reply(c.replyTo(), hv.evtchnBindInterdomain(c.caller(), c.remoteDom(), c.remotePort()));
        } else if (cmd instanceof EvtchnClose c) {
            reply(c.replyTo(), hv.evtchnClose(c.caller(), c.port()));
        } else if (cmd instanceof EvtchnGetStatus c) {
            reply(c.replyTo(), hv.evtchnStatus(c.caller(), c.dom(), c.port()));
        } else if (cmd instanceof EvtchnMask c) {
            reply(c.replyTo(), hv.evtchnMask(c.caller(), c.port()));
        } else if (cmd instanceof EvtchnUnmask c) {
            reply(c.replyTo(), hv.evtchnUnmask(c.caller(), c.port()));
        } else if (cmd instanceof BindUpcall c) {
            ActorRef<EvtchnUpcall> h = c.handler();
            reply(c.replyTo(), hv.bindUpcall(c.dom(), c.port(), h == null ? null : new ActorUpcall(h)));
        } else if (cmd instanceof HvmSetParam c) {
            reply(c.replyTo(), hv.hvmSetParam(c.caller(), c.dom(), c.index(), c.value()));
        } else if (cmd instanceof HvmGetParam c) {
            reply(c.replyTo(), hv.hvmGetParam(c.caller(), c.dom(), c.index()));
        }
    }

    /** Tells the bound actor; a record so that re-binding the same actor compares equal. */
    private record ActorUpcall(ActorRef<EvtchnUpcall> ref) implements UpcallHandler {
        @Override
        public void upcall(int dom, int port) {
            ref.tell(new EvtchnUpcall(dom, port));
        }
    }

    /** Best-effort error reply after an unexpected exception, so a caller waiting on it is not stuck. */
    private static void failSafe(ActorContext<Command> ctx, Command cmd) {
        try {
            if (cmd instanceof CreateDomain c) reply(c.replyTo(), new DomainCreated(-EINVAL, -1, null, null));
            else if (cmd instanceof DestroyDomain c) reply(c.replyTo(), new DomainDestroyed(-EINVAL, c.domid(), List.of()));
            else if (cmd instanceof AddToPhysmap c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof RemoveFromPhysmap c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof PopulatePhysmap c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof MapGrantRef c) reply(c.replyTo(), new GrantMapped(GNTST_general_error, c.dom(), c.ref(), -1, null));
            else if (cmd instanceof UnmapGrantRef c) reply(c.replyTo(), new GrantUnmapped(GNTST_bad_handle, c.handle()));
            else if (cmd instanceof QueryGrantTableSize c) reply(c.replyTo(), new GrantTableSize(GNTST_general_error, 0, 0));
            else if (cmd instanceof SeedGrantEntry c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof InjectGrantMapEagain c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof InjectEvtchnFault c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof EvtchnAllocUnbound c) reply(c.replyTo(), new EvtchnPort(-EINVAL, -1));
            else if (cmd instanceof EvtchnBindInterdomain c) reply(c.replyTo(), new EvtchnPort(-EINVAL, -1));
            else if (cmd instanceof EvtchnSend c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof EvtchnClose c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof EvtchnGetStatus c) reply(c.replyTo(), new EvtchnStatus(-EINVAL, c.dom(), c.port(), -1, -1, -1));
            else if (cmd instanceof EvtchnMask c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof EvtchnUnmask c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof BindUpcall c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof HvmSetParam c) reply(c.replyTo(), new Result(-EINVAL));
            else if (cmd instanceof HvmGetParam c) reply(c.replyTo(), new HvmParam(-EINVAL, c.dom(), c.index(), 0));
        } catch (RuntimeException e) {
            ctx.getLog().warn("could not answer {}: {}", cmd, e.toString());
        }
    }

    private static <T> void reply(ActorRef<T> to, T msg) {
        if (to != null) to.tell(msg);
    }
}
