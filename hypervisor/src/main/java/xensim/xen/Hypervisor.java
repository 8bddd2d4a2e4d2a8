package xensim.xen;

import static xensim.abi.GrantTableAbi.GNTST_bad_domain;
import static xensim.abi.GrantTableAbi.GNTST_bad_gntref;
import static xensim.abi.GrantTableAbi.GNTST_bad_handle;
import static xensim.abi.GrantTableAbi.GNTST_eagain;
import static xensim.abi.GrantTableAbi.GNTST_general_error;
import static xensim.abi.GrantTableAbi.GNTST_no_space;
import static xensim.abi.GrantTableAbi.GNTST_okay;
import static xensim.abi.GrantTableAbi.GNTST_permission_denied;
import static xensim.abi.GrantTableAbi.GTF_permit_access;
import static xensim.abi.GrantTableAbi.GTF_readonly;
import static xensim.abi.XenErrno.EINVAL;
import static xensim.abi.XenErrno.ENOENT;
import static xensim.abi.XenErrno.ENOSPC;
import static xensim.abi.XenErrno.ENOSYS;
import static xensim.abi.XenErrno.EPERM;
import static xensim.abi.XenErrno.ESRCH;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import xensim.abi.GrantTableAbi;
import xensim.abi.HvmParams;
import xensim.platform.EventLog;
import xensim.xen.EventChannels.Port;
import xensim.xen.EventChannels.State;

/**
 * The hypervisor core: every domain and every hypercall, without Akka. {@link HypervisorActor} is a
 * thin message front for it; tests and harness code may call it directly.
 *
 * <p>Each hypercall method takes the calling domain ({@code caller}, Xen's {@code current->domain})
 * first and returns a record whose {@code rc} is 0 or a negative {@link xensim.abi.XenErrno}, or
 * whose {@code status} is a GNTST_* code for grant-table operations, with the same checks in the
 * same order as Xen. No input makes a method throw: hostile numbers give Xen's error.
 *
 * <p>Events (docs/events.md): GRANT_MAP, GRANT_UNMAP, FOREIGN_WRITE (from {@link GrantMapping}),
 * GRANT_ACCESS for toolstack-seeded entries, EVTCHN_BIND, EVTCHN_SEND, EVTCHN_CLOSE,
 * DOMCTL_CREATEDOMAIN, DOMCTL_DESTROYDOMAIN, PHYSMAP_ADD, PHYSMAP_REMOVE — all with comp
 * {@code "hypervisor"}.
 *
 * <p>Thread-safety: all state changes synchronize on this object (upcall handlers are called outside
 * the lock when delivery is scheduled through the seam). Guest memory and grant mappings are
 * separately thread-safe objects that may be used from any actor.
 */
public final class Hypervisor {
    public static final String COMP = "hypervisor";
    /** Memory of dom0's own (unused) physmap. */
    static final int DOM0_RAM_PAGES = 256;

    /** Reply of hypercalls that return only a status: 0 or -errno. */
    public record Result(int rc) {
        public static final Result OK = new Result(0);

        public boolean ok() {
            return rc == 0;
        }
    }

    /** XEN_DOMCTL_createdomain: the new domain's id and the handles its guest code uses directly. */
    public record DomainCreated(int rc, int domid, GuestMemory memory, SharedInfo sharedInfo) {
        public boolean ok() {
            return rc == 0;
        }
    }

    /** XEN_DOMCTL_destroydomain: the grants of the domain other domains still map (empty when clean). */
    public record DomainDestroyed(int rc, int domid, List<MappedGrant> stillMapped) {
        public boolean ok() {
            return rc == 0;
        }
    }

    /** GNTTABOP_map_grant_ref: GNTST status; on GNTST_okay a handle and the mapping to access the page. */
    public record GrantMapped(int status, int dom, int ref, int handle, GrantMapping mapping) {
        public boolean ok() {
            return status == GNTST_okay;
        }
    }

    /** GNTTABOP_unmap_grant_ref: GNTST status. */
    public record GrantUnmapped(int status, int handle) {
        public boolean ok() {
            return status == GNTST_okay;
        }
    }

    /** GNTTABOP_query_size. */
    public record GrantTableSize(int status, int nrFrames, int maxFrames) {}

    /** EVTCHNOP_alloc_unbound / EVTCHNOP_bind_interdomain: rc and the new local port. */
    public record EvtchnPort(int rc, int port) {
        public boolean ok() {
            return rc == 0;
        }
    }

    /** EVTCHNOP_status: {@code status} is an EVTCHNSTAT_* value; remote fields -1 when not applicable. */
    public record EvtchnStatus(int rc, int dom, int port, int status, int remoteDom, int remotePort) {}

    /** HVMOP_get_param (and the echo of a set). */
    public record HvmParam(int rc, int dom, int index, long value) {}

    private final EventLog log;
    private volatile UpcallScheduler scheduler;
    private final AtomicLong nextMfn = new AtomicLong(0x10000);
    private final TreeMap<Integer, Domain> domains = new TreeMap<>();
    private int lastDomid;

    /** A hypervisor with dom0 and upcalls delivered inline (core tests). */
    public Hypervisor(EventLog log) {
        this(log, null);
    }

    /**
     * A hypervisor with dom0 (privileged, id 0).
     *
     * @param log       where events go
     * @param scheduler how upcalls get delivered; null delivers inline, on the caller's thread
     */
    public Hypervisor(EventLog log, UpcallScheduler scheduler) {
        this.log = Objects.requireNonNull(log, "log");
        this.scheduler = scheduler;
        domains.put(DomId.DOM0, new Domain(DomId.DOM0, DomainConfig.ofRamPages(DOM0_RAM_PAGES), true,
                nextMfn::getAndIncrement, this));
    }

    /**
     * Guests created from now on get their pages from {@code backing} (called with the new
     * domid and the domain's config; null: Java heap pages). The real-OVMF mode sets it.
     */
    public synchronized void setMemoryBacking(java.util.function.BiFunction<Integer, DomainConfig, MemoryBacking> backing) {
        this.backingFactory = backing;
    }

    private java.util.function.BiFunction<Integer, DomainConfig, MemoryBacking> backingFactory;

    /** Replaces the upcall scheduler (the actor installs one routed through the seam). */
    public void setUpcallScheduler(UpcallScheduler scheduler) {
        this.scheduler = scheduler;
    }

    public EventLog events() {
        return log;
    }

    // ================================================================ domains (XEN_DOMCTL_*)

    /** XEN_DOMCTL_createdomain. Only a privileged caller (dom0) may: others get -EPERM. */
    public synchronized DomainCreated createDomain(int caller, DomainConfig config) {
        Domain c = current(caller);
        if (c == null || !c.privileged()) return new DomainCreated(-EPERM, -1, null, null);
        if (config == null || !config.valid()) return new DomainCreated(-EINVAL, -1, null, null);
        int domid = allocateDomid();
        if (domid < 0) return new DomainCreated(-ENOSPC, -1, null, null);
        MemoryBacking backing = backingFactory == null ? null : backingFactory.apply(domid, config);
        Domain d = new Domain(domid, config, false, nextMfn::getAndIncrement, this, backing);
        domains.put(domid, d);
        ev(domid, "DOMCTL_CREATEDOMAIN").with("by", caller).with("ramPages", config.ramPages())
                .with("maxGfn", config.maxGfn()).emit();
        return new DomainCreated(0, domid, d.memory(), d.sharedInfo());
    }

    /**
     * XEN_DOMCTL_destroydomain. Only a privileged caller; not itself or dom0 (-EINVAL); unknown
     * domain -ESRCH. Releases the grants the domain mapped (GRANT_UNMAP, reason "release"), closes
     * its event channels (peers go back to unbound), and reports the grants of this domain that other
     * domains still map. If there are any, the domain stays a dying zombie (its pages stay pinned,
     * the mappings keep working and can be unmapped) until the last one goes. Destroying a dying
     * domain again succeeds and reports what is still mapped.
     */
    public synchronized DomainDestroyed destroyDomain(int caller, int domid) {
        Domain c = current(caller);
        if (c == null || !c.privileged()) return new DomainDestroyed(-EPERM, domid, List.of());
        if (domid == caller || domid == DomId.DOM0) return new DomainDestroyed(-EINVAL, domid, List.of());
        Domain d = domains.get(domid);
        if (d == null) return new DomainDestroyed(-ESRCH, domid, List.of());
        if (d.dying) return new DomainDestroyed(0, domid, foreignMappingsOf(domid));
        d.dying = true;
        // gnttab_release_mappings: what the dying domain mapped of others
        for (GrantMapping m : d.maptrack().mappings()) unmapInternal(d, m, "release");
        // evtchn_destroy: close every port
        for (int port : d.eventChannels().usedPorts()) {
            State st = d.eventChannels().port(port).state;
            if (st == State.UNBOUND || st == State.INTERDOMAIN) closeInternal(d, port, "destroy");
        }
        d.memory().markDestroyed();
        List<MappedGrant> still = foreignMappingsOf(domid);
        if (still.isEmpty()) domains.remove(domid);
        List<Integer> refs = new ArrayList<>(), mappers = new ArrayList<>(), handles = new ArrayList<>();
        for (MappedGrant g : still) {
            refs.add(g.ref());
            mappers.add(g.mapper());
            handles.add(g.handle());
        }
        ev(domid, "DOMCTL_DESTROYDOMAIN").with("by", caller).with("stillMapped", still.size())
                .with("refs", refs).with("mappers", mappers).with("handles", handles).emit();
        return new DomainDestroyed(0, domid, still);
    }

    // ================================================================ memory (XENMEM_*)

    /**
     * XENMEM_add_to_physmap. Only XENMAPSPACE_grant_table is modelled: places grant frame {@code idx}
     * (growing the table up to its maximum) at {@code gfn}, replacing what was there and removing
     * the frame from its previous gfn. XENMAPSPACE_shared_info gives -ENOSYS (use {@link SharedInfo});
     * other spaces, idx beyond the maximum or gfn out of range -EINVAL.
     */
    public synchronized Result addToPhysmap(int caller, int domid, int space, long idx, long gfn) {
        Domain c = current(caller);
        if (c == null) return new Result(-ESRCH);
        Domain d = target(caller, domid);
        if (d == null) return new Result(-ESRCH);
        if (d != c && !c.privileged()) return new Result(-EPERM);
        if (d.dying) return new Result(-EINVAL);
        if (space == 0) return new Result(-ENOSYS); // XENMAPSPACE_shared_info: not modelled
        if (space != HvmParams.XENMAPSPACE_grant_table) return new Result(-EINVAL);
        if (!d.memory().inRange(gfn)) return new Result(-EINVAL);
        GrantTable gt = d.grantTable();
        Page frame = gt.frameForMap(idx);
        if (frame == null) return new Result(-EINVAL);
        int i = (int) idx;
        long old = gt.frameGfn(i);
        if (old >= 0 && old != gfn) d.memory().remove(old);
        Page replaced = d.memory().add(gfn, frame);
        if (replaced != null && replaced != frame) {
            int j = gt.indexOf(replaced);
            if (j >= 0) gt.setFrameGfn(j, -1);
        }
        gt.setFrameGfn(i, gfn);
        ev(d.domid(), "PHYSMAP_ADD").with("by", caller).with("space", "grant_table").with("idx", idx)
                .with("gfn", gfn).with("mfn", frame.mfn())
                .with("replaced", replaced == null || replaced == frame ? null : replaced.type()).emit();
        return Result.OK;
    }

    /**
     * XENMEM_remove_from_physmap: the gfn becomes a hole. A grant frame removed this way keeps its
     * entries (Xen still honours them); a RAM page removed while a backend maps it stays pinned
     * behind that mapping. Nothing there (a hole) or gfn out of range: -ENOENT.
     */
    public synchronized Result removeFromPhysmap(int caller, int domid, long gfn) {
        Domain c = current(caller);
        if (c == null) return new Result(-ESRCH);
        Domain d = target(caller, domid);
        if (d == null) return new Result(-ESRCH);
        if (d != c && !c.privileged()) return new Result(-EPERM);
        GuestMemory mem = d.memory();
        if (!mem.inRange(gfn) || mem.isHole(gfn)) return new Result(-ENOENT);
        String type = mem.type(gfn);
        Page removed = mem.remove(gfn);
        if (removed != null) {
            int j = d.grantTable().indexOf(removed);
            if (j >= 0) d.grantTable().setFrameGfn(j, -1);
        }
        ev(d.domid(), "PHYSMAP_REMOVE").with("by", caller).with("gfn", gfn)
                .with("mfn", removed == null ? -1 : removed.mfn())
                .with("type", type).emit();
        return Result.OK;
    }

    /**
     * XENMEM_populate_physmap of one 4 KiB extent: a fresh zeroed RAM page at {@code gfn} (how a
     * guest puts RAM back where it removed some). Already populated: no change. Out of range: -EINVAL.
     */
    public synchronized Result populatePhysmap(int caller, int domid, long gfn) {
        Domain c = current(caller);
        if (c == null) return new Result(-ESRCH);
        Domain d = target(caller, domid);
        if (d == null) return new Result(-ESRCH);
        if (d != c && !c.privileged()) return new Result(-EPERM);
        if (d.dying) return new Result(-EINVAL);
        if (!d.memory().inRange(gfn)) return new Result(-EINVAL);
        if (d.memory().isPopulated(gfn)) return Result.OK;
        Page p = d.memory().populate(gfn);
        ev(d.domid(), "PHYSMAP_ADD").with("by", caller).with("space", "ram").with("idx", 0L)
                .with("gfn", gfn).with("mfn", p.mfn()).with("replaced", null).emit();
        return Result.OK;
    }

    // ================================================================ grant tables (GNTTABOP_*)

    /**
     * GNTTABOP_map_grant_ref by {@code mapper} of {@code dom}'s entry {@code ref} (GNTMAP_host_map,
     * plus GNTMAP_readonly if {@code readonly}). Checks, in Xen's order: the granting domain exists
     * (GNTST_bad_domain), the ref is inside the frames set up (GNTST_bad_gntref), then — unless this
     * mapper already pins the entry — the entry is GTF_permit_access and granted to {@code mapper},
     * and is not GTF_readonly for a writable map; failures there are GNTST_general_error as in Xen
     * (its "Bad flags or dom" path; Xen uses GNTST_permission_denied only for XSM refusals). An entry
     * pinned by another domain: GNTST_general_error. On success GTF_reading (and GTF_writing) are set
     * in the entry with compare-and-set, the page the entry names now is pinned, and the reply
     * carries a fresh handle and the {@link GrantMapping}. Emits GRANT_MAP with the status.
     */
    public synchronized GrantMapped mapGrantRef(int mapper, int dom, int ref, boolean readonly) {
        Domain ld = current(mapper);
        if (ld == null) return mapFailed(mapper, dom, ref, readonly, GNTST_general_error, "unknown mapping domain", false);
        Domain rd = domains.get(dom);
        if (rd == null || rd.dying) return mapFailed(mapper, dom, ref, readonly, GNTST_bad_domain, "no such domain", false);
        if (!rd.grantTable().validRef(ref)) return mapFailed(mapper, dom, ref, readonly, GNTST_bad_gntref, "bad ref", false);
        if (rd.eagainMaps > 0) {
            rd.eagainMaps--;
            return mapFailed(mapper, dom, ref, readonly, GNTST_eagain, "injected", true);
        }
        int handle = ld.maptrack().allocate();
        if (handle < 0) return mapFailed(mapper, dom, ref, readonly, GNTST_no_space, "maptrack full", false);
        GrantTable.Pin pin = rd.grantTable().pin(ref, mapper, readonly, rd.memory());
        if (pin.status() != GNTST_okay) {
            ld.maptrack().remove(handle);
            return mapFailed(mapper, dom, ref, readonly, pin.status(), pin.reason(), false);
        }
        GrantMapping m = new GrantMapping(dom, mapper, ref, handle, pin.gfn(), readonly, pin.page(), log);
        ld.maptrack().put(handle, m);
        ev(dom, "GRANT_MAP").with("mapper", mapper).with("ref", ref).with("gfn", pin.gfn()).with("handle", handle)
                .with("readonly", readonly).with("status", GNTST_okay).with("mfn", pin.page().mfn()).emit();
        return new GrantMapped(GNTST_okay, dom, ref, handle, m);
    }

    private GrantMapped mapFailed(int mapper, int dom, int ref, boolean readonly, int status, String reason,
                                  boolean injected) {
        var b = ev(dom, "GRANT_MAP").with("mapper", mapper).with("ref", ref).with("gfn", -1L).with("handle", -1L)
                .with("readonly", readonly).with("status", status).with("error", GrantTableAbi.gntstName(status))
                .with("reason", reason);
        if (injected) b.with("injected", true);
        b.emit();
        return new GrantMapped(status, dom, ref, -1, null);
    }

    /**
     * GNTTABOP_unmap_grant_ref by {@code mapper} of its {@code handle}: GNTST_bad_handle for a handle
     * it does not hold (never mapped, already unmapped). Drops the pin; when the last writable pin
     * goes GTF_writing is cleared, when the last pin goes GTF_reading too. The mapping object faults
     * from now on. Emits GRANT_UNMAP. The last unmap of a destroyed domain's grant reaps it.
     */
    public synchronized GrantUnmapped unmapGrantRef(int mapper, int handle) {
        Domain ld = domains.get(mapper);
        if (ld == null) return new GrantUnmapped(GNTST_bad_handle, handle);
        GrantMapping m = ld.maptrack().get(handle);
        if (m == null) return new GrantUnmapped(GNTST_bad_handle, handle);
        unmapInternal(ld, m, "unmap");
        return new GrantUnmapped(GNTST_okay, handle);
    }

    private void unmapInternal(Domain ld, GrantMapping m, String reason) {
        ld.maptrack().remove(m.handle());
        m.invalidate();
        Domain rd = domains.get(m.granter());
        if (rd != null) rd.grantTable().unpin(m.ref(), m.readonly());
        ev(m.granter(), "GRANT_UNMAP").with("mapper", m.mapper()).with("ref", m.ref()).with("gfn", m.gfn())
                .with("handle", m.handle()).with("readonly", m.readonly()).with("status", GNTST_okay)
                .with("reason", reason).emit();
        if (rd != null && rd.dying && rd.grantTable().liveMappings() == 0) domains.remove(rd.domid());
    }

    /** GNTTABOP_query_size: frames set up and the maximum. */
    public synchronized GrantTableSize queryGrantTableSize(int caller, int dom) {
        Domain c = current(caller);
        Domain d = target(caller, dom);
        if (c == null || d == null) return new GrantTableSize(GNTST_bad_domain, 0, 0);
        if (d != c && !c.privileged()) return new GrantTableSize(GNTST_permission_denied, 0, 0);
        return new GrantTableSize(GNTST_okay, d.grantTable().nrFrames(), d.grantTable().maxFrames());
    }

    /**
     * What libxl's {@code xc_dom_gnttab_seed} does before the guest runs: a privileged caller writes
     * entry {@code ref} of {@code dom}'s table directly (GTF_permit_access for {@code grantee} on
     * {@code gfn}) — used for the reserved refs GNTTAB_RESERVED_CONSOLE / GNTTAB_RESERVED_XENSTORE.
     * Non-privileged -EPERM; unknown domain -ESRCH; ref outside the table -EINVAL. Emits GRANT_ACCESS.
     */
    public synchronized Result seedGrantEntry(int caller, int dom, int ref, int grantee, long gfn, boolean readonly) {
        Domain c = current(caller);
        if (c == null || !c.privileged()) return new Result(-EPERM);
        Domain d = domains.get(dom);
        if (d == null || d.dying) return new Result(-ESRCH);
        if (!d.grantTable().validRef(ref) || gfn < 0 || gfn > 0xFFFFFFFFL || !DomId.isOrdinary(grantee)) {
            return new Result(-EINVAL);
        }
        d.grantTable().writeEntry(ref, grantee, gfn, GTF_permit_access | (readonly ? GTF_readonly : 0));
        ev(dom, "GRANT_ACCESS").with("ref", ref).with("gfn", gfn).with("domid", grantee).with("readonly", readonly)
                .with("by", caller).emit();
        return Result.OK;
    }

    /**
     * Fault hook for the nemesis: the next {@code count} GNTTABOP_map_grant_ref of {@code dom}'s
     * grants (by anyone, after the domain and ref checks) fail with GNTST_eagain, as when Xen finds
     * the page paged out. The GRANT_MAP event says {@code injected: true}. -ESRCH if no such domain.
     */
    public synchronized Result injectGrantMapEagain(int dom, int count) {
        Domain d = domains.get(dom);
        if (d == null) return new Result(-ESRCH);
        d.eagainMaps = Math.max(0, count);
        return Result.OK;
    }

    /** Event-channel faults the nemesis can arm. */
    public enum EvtchnFault { DROP, DUP, DELAY }

    /**
     * Fault hook for the nemesis: the next {@code count} interdomain EVTCHNOP_send to or from
     * {@code dom} are dropped (the remote port never becomes pending), duplicated (a spurious second
     * upcall follows the first) or delayed by {@code delayNanos}. The EVTCHN_SEND event names the
     * fault ({@code injected}). -ESRCH if no such domain.
     */
    public synchronized Result injectEvtchnFault(int dom, EvtchnFault fault, int count, long delayNanos) {
        Domain d = domains.get(dom);
        if (d == null) return new Result(-ESRCH);
        d.evtchnFault = fault;
        d.evtchnFaultCount = Math.max(0, count);
        d.evtchnFaultDelayNanos = Math.max(0, delayNanos);
        return Result.OK;
    }

    /** The armed fault that hits a send from {@code ld} to {@code rd}, consuming one; or null. */
    private Domain takeEvtchnFault(Domain ld, Domain rd) {
        for (Domain d : new Domain[] {ld, rd}) {
            if (d != null && d.evtchnFault != null && d.evtchnFaultCount > 0) {
                d.evtchnFaultCount--;
                return d;
            }
        }
        return null;
    }

    // ================================================================ event channels (EVTCHNOP_*)

    /**
     * EVTCHNOP_alloc_unbound: a new port in {@code dom} (DOMID_SELF allowed) that {@code remoteDom}
     * (DOMID_SELF = the caller) may bind. -ESRCH unknown domain; -EPERM a non-privileged caller
     * allocating in another domain; -EINVAL dying; -ENOSPC table full. Emits EVTCHN_BIND.
     */
    public synchronized EvtchnPort evtchnAllocUnbound(int caller, int dom, int remoteDom) {
        Domain c = current(caller);
        if (c == null) return new EvtchnPort(-ESRCH, -1);
        Domain d = target(caller, dom);
        if (d == null) return new EvtchnPort(-ESRCH, -1);
        if (d != c && !c.privileged()) return new EvtchnPort(-EPERM, -1);
        if (d.dying) return new EvtchnPort(-EINVAL, -1);
        int port = d.eventChannels().allocate();
        if (port < 0) return new EvtchnPort(port, -1);
        Port p = d.eventChannels().port(port);
        p.state = State.UNBOUND;
        p.remoteDom = remoteDom == DomId.DOMID_SELF ? caller : remoteDom;
        ev(d.domid(), "EVTCHN_BIND").with("op", "alloc_unbound").with("port", port).with("remoteDom", p.remoteDom)
                .with("remotePort", -1L).with("by", caller).emit();
        return new EvtchnPort(0, port);
    }

    /**
     * EVTCHNOP_bind_interdomain: connects a new local port of the caller to {@code remoteDom}'s
     * {@code remotePort}, which must be unbound and allow the caller. -ESRCH unknown remote domain;
     * -EINVAL remote port not valid, not unbound, or reserved for another domain. As in Xen the new
     * local port is set pending at once ("we may have lost notifications on the remote unbound
     * port"), so a handler bound to it gets one upcall. Emits EVTCHN_BIND.
     */
    public synchronized EvtchnPort evtchnBindInterdomain(int caller, int remoteDom, int remotePort) {
        Domain ld = current(caller);
        if (ld == null) return new EvtchnPort(-ESRCH, -1);
        Domain rd = target(caller, remoteDom);
        if (rd == null) return new EvtchnPort(-ESRCH, -1);
        int lport = ld.eventChannels().allocate();
        if (lport < 0) return new EvtchnPort(lport, -1);
        Port rp = rd.eventChannels().port(remotePort);
        if (rp == null || rp.state != State.UNBOUND || rp.remoteDom != caller) return new EvtchnPort(-EINVAL, -1);
        Port lp = ld.eventChannels().port(lport);
        lp.state = State.INTERDOMAIN;
        lp.remoteDom = rd.domid();
        lp.remotePort = remotePort;
        rp.state = State.INTERDOMAIN;
        rp.remoteDom = caller;
        rp.remotePort = lport;
        ev(caller, "EVTCHN_BIND").with("op", "bind_interdomain").with("port", lport).with("remoteDom", rd.domid())
                .with("remotePort", remotePort).with("by", caller).emit();
        setPending(ld, lport, lp);
        return new EvtchnPort(0, lport);
    }

    /**
     * EVTCHNOP_send on the caller's {@code port}: interdomain → the remote port becomes pending and,
     * if it is unmasked and has a handler, an upcall is scheduled (a send while the remote port is
     * still pending coalesces); unbound → silently dropped (0); free, reserved or invalid → -EINVAL.
     * There is no way to name another domain's port: a number is always looked up in the caller's
     * own table. Emits EVTCHN_SEND.
     */
    public synchronized Result evtchnSend(int caller, int port) {
        Domain ld = current(caller);
        if (ld == null) return new Result(-ESRCH);
        Port lp = ld.eventChannels().port(port);
        if (lp == null) return new Result(-EINVAL);
        switch (lp.state) {
            case INTERDOMAIN -> {
                Domain rd = domains.get(lp.remoteDom);
                Port rp = rd == null ? null : rd.eventChannels().port(lp.remotePort);
                boolean coalesced = rp == null || rp.pending;
                Domain faulty = rp == null ? null : takeEvtchnFault(ld, rd);
                EvtchnFault fault = faulty == null ? null : faulty.evtchnFault;
                var b = ev(caller, "EVTCHN_SEND").with("port", port).with("remoteDom", lp.remoteDom)
                        .with("remotePort", lp.remotePort).with("coalesced", coalesced);
                if (fault != null) b.with("injected", fault.name().toLowerCase(java.util.Locale.ROOT));
                if (fault == EvtchnFault.DROP) b.with("dropped", true);
                b.emit();
                if (rp != null && fault != EvtchnFault.DROP) {
                    if (fault == EvtchnFault.DUP) rp.dupNext = true;
                    if (fault == EvtchnFault.DELAY) rp.extraDelayNanos = faulty.evtchnFaultDelayNanos;
                    setPending(rd, lp.remotePort, rp);
                }
                return Result.OK;
            }
            case UNBOUND -> {
                ev(caller, "EVTCHN_SEND").with("port", port).with("remoteDom", lp.remoteDom)
                        .with("remotePort", -1L).with("dropped", true).emit();
                return Result.OK;
            }
            default -> {
                return new Result(-EINVAL);
            }
        }
    }

    /**
     * EVTCHNOP_close of the caller's {@code port}: -EINVAL if invalid, free or reserved. An
     * interdomain port's peer goes back to unbound (allowing the caller to bind again), as in Xen.
     * The port's handler is dropped. Emits EVTCHN_CLOSE.
     */
    public synchronized Result evtchnClose(int caller, int port) {
        Domain ld = current(caller);
        if (ld == null) return new Result(-ESRCH);
        Port p = ld.eventChannels().port(port);
        if (p == null || p.state == State.FREE || p.state == State.RESERVED) return new Result(-EINVAL);
        closeInternal(ld, port, "close");
        return Result.OK;
    }

    private void closeInternal(Domain d, int port, String reason) {
        Port p = d.eventChannels().port(port);
        int remoteDom = p.remoteDom;
        int remotePort = p.remotePort;
        if (p.state == State.INTERDOMAIN) {
            Domain rd = domains.get(remoteDom);
            Port rp = rd == null ? null : rd.eventChannels().port(remotePort);
            if (rp != null && rp.state == State.INTERDOMAIN && rp.remoteDom == d.domid() && rp.remotePort == port) {
                rp.state = State.UNBOUND;
                rp.remoteDom = d.domid();
                rp.remotePort = -1;
            }
        } else {
            remotePort = -1;
        }
        d.eventChannels().free(port);
        ev(d.domid(), "EVTCHN_CLOSE").with("port", port).with("remoteDom", remoteDom).with("remotePort", remotePort)
                .with("reason", reason).emit();
    }

    /**
     * EVTCHNOP_status of {@code dom}'s {@code port} (DOMID_SELF allowed): -ESRCH unknown domain,
     * -EINVAL invalid port, -EPERM a non-privileged caller asking about another domain.
     */
    public synchronized EvtchnStatus evtchnStatus(int caller, int dom, int port) {
        Domain c = current(caller);
        Domain d = target(caller, dom);
        if (c == null || d == null) return new EvtchnStatus(-ESRCH, dom, port, -1, -1, -1);
        Port p = d.eventChannels().port(port);
        if (p == null) return new EvtchnStatus(-EINVAL, d.domid(), port, -1, -1, -1);
        if (d != c && !c.privileged()) return new EvtchnStatus(-EPERM, d.domid(), port, -1, -1, -1);
        return switch (p.state) {
            case FREE, RESERVED -> new EvtchnStatus(0, d.domid(), port, EventChannels.EVTCHNSTAT_closed, -1, -1);
            case UNBOUND -> new EvtchnStatus(0, d.domid(), port, EventChannels.EVTCHNSTAT_unbound, p.remoteDom, -1);
            case INTERDOMAIN -> new EvtchnStatus(0, d.domid(), port, EventChannels.EVTCHNSTAT_interdomain,
                    p.remoteDom, p.remotePort);
        };
    }

    /** Sets the mask bit of the caller's port (a shared_info write in Xen): -EINVAL if the port is invalid. */
    public synchronized Result evtchnMask(int caller, int port) {
        Domain d = current(caller);
        if (d == null) return new Result(-ESRCH);
        Port p = d.eventChannels().port(port);
        if (p == null) return new Result(-EINVAL);
        p.masked = true;
        return Result.OK;
    }

    /** EVTCHNOP_unmask: clears the mask bit; a pending event is then delivered. -EINVAL invalid port. */
    public synchronized Result evtchnUnmask(int caller, int port) {
        Domain d = current(caller);
        if (d == null) return new Result(-ESRCH);
        Port p = d.eventChannels().port(port);
        if (p == null) return new Result(-EINVAL);
        p.masked = false;
        maybeSchedule(d.domid(), port, p);
        return Result.OK;
    }

    /**
     * Binds (or with null, unbinds) the upcall handler of {@code dom}'s {@code port}, like Linux's
     * bind_evtchn_to_irqhandler: a pending, unmasked port is delivered at once. -ESRCH unknown
     * domain, -EINVAL port invalid, free or reserved.
     */
    public synchronized Result bindUpcall(int dom, int port, UpcallHandler handler) {
        Domain d = current(dom);
        if (d == null) return new Result(-ESRCH);
        Port p = d.eventChannels().port(port);
        if (p == null || p.state == State.FREE || p.state == State.RESERVED) return new Result(-EINVAL);
        p.handler = handler;
        maybeSchedule(dom, port, p);
        return Result.OK;
    }

    /**
     * Delivers a scheduled upcall: if {@code dom}'s {@code port} is still pending, unmasked and has a
     * handler, clears pending (the kernel acks the event before running the handler) and calls the
     * handler, outside the lock. Otherwise nothing (the event stays pending while masked).
     */
    public void deliverUpcall(int dom, int port) {
        UpcallHandler h;
        synchronized (this) {
            Domain d = domains.get(dom);
            Port p = d == null ? null : d.eventChannels().port(port);
            if (p == null) return;
            p.scheduled = false;
            if (!p.pending || p.masked || p.handler == null) return;
            p.pending = false;
            h = p.handler;
        }
        h.upcall(dom, port);
        synchronized (this) { // evtchn-dup: the same event arrives once more
            Domain d = domains.get(dom);
            Port p = d == null ? null : d.eventChannels().port(port);
            if (p != null && p.dupNext) {
                p.dupNext = false;
                setPending(d, port, p);
            }
        }
    }

    private void setPending(Domain d, int port, Port p) {
        if (p.pending) return;
        p.pending = true;
        maybeSchedule(d.domid(), port, p);
    }

    private void maybeSchedule(int dom, int port, Port p) {
        if (!p.pending || p.masked || p.handler == null || p.scheduled) return;
        p.scheduled = true;
        long extra = p.extraDelayNanos;
        p.extraDelayNanos = 0;
        UpcallScheduler s = scheduler;
        if (s == null) deliverUpcall(dom, port);
        else if (extra > 0) s.schedule(dom, port, extra);
        else s.schedule(dom, port);
    }

    synchronized boolean sharedInfoPending(int dom, int port, boolean clear) {
        Domain d = domains.get(dom);
        Port p = d == null ? null : d.eventChannels().port(port);
        if (p == null) return false;
        boolean was = p.pending;
        if (clear) p.pending = false;
        return was;
    }

    synchronized boolean sharedInfoMask(int dom, int port, Boolean set) {
        Domain d = domains.get(dom);
        Port p = d == null ? null : d.eventChannels().port(port);
        if (p == null) return false;
        if (set != null) p.masked = set;
        return p.masked;
    }

    // ================================================================ HVM params (HVMOP_*)

    /**
     * HVMOP_set_param: index ≥ HVM_NR_PARAMS -EINVAL; unknown domain -ESRCH; a non-privileged caller
     * on another domain -EPERM; then Xen's per-index rules ({@link HvmParamStore}): e.g. a guest may
     * set its own STORE_EVTCHN but not its STORE_PFN (-EPERM).
     */
    public synchronized Result hvmSetParam(int caller, int dom, int index, long value) {
        if (index < 0 || index >= HvmParamStore.HVM_NR_PARAMS) return new Result(-EINVAL);
        Domain c = current(caller);
        Domain d = target(caller, dom);
        if (c == null || d == null) return new Result(-ESRCH);
        if (d != c && !c.privileged()) return new Result(-EPERM);
        int rc = HvmParamStore.allowSet(index, d == c);
        if (rc != 0) return new Result(rc);
        d.hvmParams().set(index, value);
        return Result.OK;
    }

    /** HVMOP_get_param, with the same checks (a guest may read its store/console pfn and evtchn). */
    public synchronized HvmParam hvmGetParam(int caller, int dom, int index) {
        if (index < 0 || index >= HvmParamStore.HVM_NR_PARAMS) return new HvmParam(-EINVAL, dom, index, 0);
        Domain c = current(caller);
        Domain d = target(caller, dom);
        if (c == null || d == null) return new HvmParam(-ESRCH, dom, index, 0);
        if (d != c && !c.privileged()) return new HvmParam(-EPERM, d.domid(), index, 0);
        int rc = HvmParamStore.allowGet(index, d == c);
        if (rc != 0) return new HvmParam(rc, d.domid(), index, 0);
        return new HvmParam(0, d.domid(), index, d.hvmParams().get(index));
    }

    // ================================================================ inspection (tests, harness, toolstack)

    /** True if {@code domid} exists (including a dying zombie). */
    public synchronized boolean exists(int domid) {
        return domains.containsKey(domid);
    }

    /** True if {@code domid} was destroyed but is kept alive by mapped grants. */
    public synchronized boolean isDying(int domid) {
        Domain d = domains.get(domid);
        return d != null && d.dying;
    }

    /** The domain object, or null. For inspection: change state only through the hypercall methods. */
    public synchronized Domain domain(int domid) {
        return domains.get(domid);
    }

    /** Ids of all domains, dom0 and zombies included, ascending. */
    public synchronized Set<Integer> domids() {
        return new TreeSet<>(domains.keySet());
    }

    /** The guest memory of {@code domid} (privileged foreign access, like xenforeignmemory), or null. */
    public synchronized GuestMemory memory(int domid) {
        Domain d = domains.get(domid);
        return d == null ? null : d.memory();
    }

    /** Flags of {@code dom}'s grant entry {@code ref} as Xen sees them, or -1. */
    public synchronized int grantFlags(int dom, int ref) {
        Domain d = domains.get(dom);
        return d == null ? -1 : d.grantTable().flags(ref);
    }

    /** Number of mappings currently pinning {@code dom}'s entry {@code ref}. */
    public synchronized int grantPins(int dom, int ref) {
        Domain d = domains.get(dom);
        return d == null ? 0 : d.grantTable().pins(ref);
    }

    /** Every live mapping of {@code granter}'s grants, by mapper then handle. */
    public synchronized List<MappedGrant> foreignMappingsOf(int granter) {
        List<MappedGrant> out = new ArrayList<>();
        for (Domain d : domains.values()) {
            for (GrantMapping m : d.maptrack().mappings()) if (m.granter() == granter) out.add(MappedGrant.of(m));
        }
        return out;
    }

    /** Every live mapping held by {@code mapper}, by handle. */
    public synchronized List<MappedGrant> mappingsHeldBy(int mapper) {
        Domain d = domains.get(mapper);
        if (d == null) return List.of();
        List<MappedGrant> out = new ArrayList<>();
        for (GrantMapping m : d.maptrack().mappings()) out.add(MappedGrant.of(m));
        return out;
    }

    /** Whether {@code dom}'s {@code port} is pending (the shared_info bit). */
    public synchronized boolean evtchnPending(int dom, int port) {
        return sharedInfoPending(dom, port, false);
    }

    // ================================================================ helpers

    /** The calling domain: must exist and not be dying. */
    private Domain current(int caller) {
        Domain d = domains.get(caller);
        return d == null || d.dying ? null : d;
    }

    /** rcu_lock_domain_by_any_id: DOMID_SELF is the caller; dying domains are found too. */
    private Domain target(int caller, int domid) {
        return domains.get(domid == DomId.DOMID_SELF ? caller : domid);
    }

    private int allocateDomid() {
        for (int i = 0; i < DomId.DOMID_FIRST_RESERVED; i++) {
            int id = lastDomid + 1 + i;
            if (id >= DomId.DOMID_FIRST_RESERVED) id -= DomId.DOMID_FIRST_RESERVED - 1;
            if (!domains.containsKey(id)) {
                lastDomid = id;
                return id;
            }
        }
        return -1;
    }

    private EventLog.Builder ev(int dom, String name) {
        return log.event(dom, COMP, name);
    }
}
