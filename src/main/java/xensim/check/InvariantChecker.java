package xensim.check;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import xensim.platform.Event;
import xensim.platform.EventLog;
import xensim.platform.EventSink;

/**
 * The online invariant checker (DESIGN.md §4). It sees every event of a run, in seq order, keeps
 * just enough state to judge each invariant, and emits a VIOLATION event naming the invariant,
 * the domain and the seqs of the events that prove it. The first violation of an invariant per
 * domain is reported as an event; later ones are counted.
 *
 * <p>It judges from the events alone (what the hypervisor, backends, firmware and OS report), never
 * by asking a component, so the offline re-check can reproduce it from the log.
 */
public final class InvariantChecker implements EventSink {

    /** First grant ref a frontend allocates; refs below are the toolstack's (console, xenstore). */
    static final long FIRST_FRONTEND_REF = 8;

    private record Mapping(int grantingDom, long mapper, long handle, long ref, long gfn, long seq) {}

    /** A live mapping's identity: the granting domain, the mapper and its handle. */
    private record MapKey(int dom, long mapper, long handle) {}

    private static final class Dom {
        long ebsBeginSeq = -1;
        long ebsEndSeq = -1;
        long notifyBeginSeq = -1;
        int notifyDepth;
        long handoffSeq = -1;
        long osDoneSeq = -1;
        long parkedSeq = -1;
        boolean destroyed;
        /** Reclaimed (OS-owned) gfn ranges: start → [end exclusive, seq]. */
        /** Every PAGE_RECLAIMED range {start, end, seq}: the OS owns their union (ranges may overlap). */
        final List<long[]> reclaimed = new ArrayList<>();
        /** Grant entries that permit access and were not made by the OS: ref → {gfn, seq of GRANT_ACCESS}. */
        final Map<Long, long[]> foreignEntries = new HashMap<>();
        /** Grants the OS made: ref → gfn. */
        final Map<Long, Long> osGrants = new HashMap<>();
        /** How many of {@link #osGrants} name each gfn (its values, counted: a lookup, not a scan). */
        final Map<Long, Integer> osGrantGfns = new HashMap<>();

        void osGrant(long ref, long gfn) {
            Long old = osGrants.put(ref, gfn);
            if (old != null) osUngrantGfn(old);
            osGrantGfns.merge(gfn, 1, Integer::sum);
        }

        void osUngrant(long ref) {
            Long old = osGrants.remove(ref);
            if (old != null) osUngrantGfn(old);
        }

        private void osUngrantGfn(long gfn) {
            osGrantGfns.computeIfPresent(gfn, (k, n) -> n == 1 ? null : n - 1);
        }
        /** Backend device paths → [last state, seq of that state change]. */
        final Map<String, long[]> backendState = new LinkedHashMap<>();
        /** Devices the toolstack created (devid), and those the OS connected. */
        final Set<Long> devices = new HashSet<>();
        final Set<Long> connected = new HashSet<>();
        long createdSeq = -1;
        /** Verified I/Os the OS asks of each device (OS_HANDOFF's ioOps). */
        long ioOps;
        /** devid → seq of the device's DEVICE_CREATED. */
        final Map<Long, Long> deviceSeq = new LinkedHashMap<>();
        /** devid → seq of its last OS_DEVICE_FAILED. */
        final Map<Long, Long> failed = new HashMap<>();
        /** devid → its last OS_WORKLOAD_END: {ios, unverified, seq}. */
        final Map<Long, long[]> workloadEnd = new HashMap<>();
    }

    private final EventLog log;
    private final Map<Integer, Dom> doms = new HashMap<>();
    /** Live mappings by granting domain, each in the order they were made (every check asks about one granter). */
    private final Map<Integer, LinkedHashMap<MapKey, Mapping>> mappings = new HashMap<>();
    private final Map<Invariant, Map<Integer, Integer>> counts = new EnumMap<>(Invariant.class);
    private boolean finished;

    /** @param log where VIOLATION events go (usually the log this checker is a sink of) */
    public InvariantChecker(EventLog log) {
        this.log = log;
    }

    private Dom dom(int d) {
        return doms.computeIfAbsent(d, k -> new Dom());
    }

    /**
     * The events {@link #accept} reads: every case of its switch (any other event changes nothing
     * here, so the log need not build it for this sink). InvariantCheckerWantsTest feeds real runs'
     * logs through a checker given every event and one given only these and compares.
     */
    static final Set<String> READS = Set.of("DOMAIN_CREATED", "DEVICE_CREATED", "EBS_BEGIN", "EBS_NOTIFY_BEGIN",
            "EBS_NOTIFY_END", "EBS_END", "ALLOC_CALL", "GRANT_MAP", "GRANT_UNMAP", "GRANT_ACCESS", "GRANT_END",
            "PAGE_RECLAIMED", "PAGE_FREE", "PAGE_ALLOC", "OS_HANDOFF", "OS_DEVICE_FAILED", "OS_WORKLOAD_END", "OS_DONE",
            "GUEST_CREATE_FAILED", "FOREIGN_WRITE", "XENBUS_STATE", "XENBUS_RESET", "OS_DEVICE_CONNECTED", "FW_PARKED",
            "IO_VERIFY", "XS_RSP", "DOMAIN_DESTROYED", "RUN_END");

    @Override
    public boolean wants(String ev) {
        return READS.contains(ev);
    }

    @Override
    public void accept(Event e) {
        switch (e.ev()) {
            case "DOMAIN_CREATED" -> dom(e.dom()).createdSeq = e.seq();
            case "DEVICE_CREATED" -> {
                Dom d = dom(e.dom());
                d.devices.add(e.getLong("devid"));
                d.deviceSeq.putIfAbsent(e.getLong("devid"), e.seq());
            }
            case "EBS_BEGIN" -> dom(e.dom()).ebsBeginSeq = e.seq();
            case "EBS_NOTIFY_BEGIN" -> {
                Dom d = dom(e.dom());
                if (d.notifyDepth++ == 0) d.notifyBeginSeq = e.seq();
            }
            case "EBS_NOTIFY_END" -> {
                Dom d = dom(e.dom());
                if (d.notifyDepth > 0) d.notifyDepth--;
            }
            case "EBS_END" -> {
                Dom d = dom(e.dom());
                if (isSuccess(e.get("status"))) d.ebsEndSeq = e.seq();
                d.notifyDepth = 0;
            }
            case "ALLOC_CALL" -> {
                Dom d = dom(e.dom());
                if (d.notifyDepth > 0) {
                    violation(Invariant.ALLOC_IN_EBS, e.dom(), List.of(d.notifyBeginSeq, e.seq()),
                            e.getString("service") + " called while EBS notify functions run");
                }
            }
            case "GRANT_MAP" -> onGrantMap(e);
            case "GRANT_UNMAP" -> {
                LinkedHashMap<MapKey, Mapping> mine = mappings.get(e.dom());
                if (mine != null) mine.remove(new MapKey(e.dom(), e.getLong("mapper"), e.getLong("handle")));
            }
            case "GRANT_ACCESS" -> {
                Dom d = dom(e.dom());
                if ("os".equals(e.comp())) {
                    d.osGrant(e.getLong("ref"), e.getLong("gfn"));
                    d.foreignEntries.remove(e.getLong("ref")); // the OS rewrote the entry
                } else {
                    d.foreignEntries.put(e.getLong("ref"), new long[] {e.getLong("gfn"), e.seq()});
                }
            }
            case "GRANT_END" -> {
                if (!Boolean.FALSE.equals(e.get("ok"))) {
                    Dom d = dom(e.dom());
                    d.foreignEntries.remove(e.getLong("ref"));
                    if ("os".equals(e.comp())) d.osUngrant(e.getLong("ref"));
                }
            }
            case "PAGE_RECLAIMED" -> onReclaim(e);
            case "PAGE_FREE" -> staleMappings(e, "the firmware freed");
            case "PAGE_ALLOC" -> staleMappings(e, "the firmware allocated again");
            case "OS_HANDOFF" -> {
                Dom d = dom(e.dom());
                d.handoffSeq = e.seq();
                d.ioOps = e.get("ioOps") instanceof Number n ? n.longValue() : 0;
            }
            case "OS_DEVICE_FAILED" -> {
                if (e.get("devid") instanceof Number n) dom(e.dom()).failed.put(n.longValue(), e.seq());
            }
            case "OS_WORKLOAD_END" -> {
                if (e.get("devid") instanceof Number n) dom(e.dom()).workloadEnd.put(n.longValue(),
                        new long[] {number(e.get("ios")), number(e.get("unverified")), e.seq()});
            }
            case "OS_DONE" -> onOsDone(e);
            // a guest the toolstack could not create never does its workload
            case "GUEST_CREATE_FAILED" -> violation(Invariant.WORKLOAD_INCOMPLETE, e.dom(), List.of(e.seq()),
                    "a guest could not be created (" + e.getString("error") + "): none of its work done");
            case "FOREIGN_WRITE" -> onForeignWrite(e);
            case "XENBUS_STATE" -> {
                String path = e.getString("path");
                if (path != null && path.contains("/backend/")) {
                    dom(e.dom()).backendState.put(path, new long[] {stateCode(e.get("to")), e.seq()});
                }
            }
            case "XENBUS_RESET" -> onBusReset(e);
            case "OS_DEVICE_CONNECTED" -> dom(e.dom()).connected.add(e.getLong("devid"));
            case "FW_PARKED" -> dom(e.dom()).parkedSeq = e.seq();
            case "IO_VERIFY" -> {
                if (Boolean.FALSE.equals(e.get("ok"))) {
                    violation(Invariant.DATA_INTEGRITY, e.dom(), List.of(e.seq()),
                            "read of sector " + e.get("sector") + " returned data other than the last acknowledged write");
                }
            }
            case "XS_RSP" -> onXsResponse(e);
            case "DOMAIN_DESTROYED" -> onDestroy(e);
            case "RUN_END" -> finish();
            default -> { }
        }
    }

    /**
     * WORKLOAD_INCOMPLETE, judged when the OS says it is done: every device the toolstack created
     * for the guest ended its workload (OS_WORKLOAD_END) with at least the verified I/Os OS_HANDOFF
     * asked for and no acknowledged sector left unverified by the read-back.
     */
    private void onOsDone(Event e) {
        Dom d = dom(e.dom());
        d.osDoneSeq = e.seq();
        if (d.handoffSeq < 0) return; // no OS took over: HANG's business
        for (Map.Entry<Long, Long> dev : d.deviceSeq.entrySet()) {
            long devid = dev.getKey();
            long[] end = d.workloadEnd.get(devid);
            Long failedSeq = d.failed.get(devid);
            long ios = end == null ? 0 : end[0];
            long unverified = end == null ? 0 : end[1];
            String why;
            if (end == null) {
                why = failedSeq != null ? "device " + devid + " failed to connect: none of its " + d.ioOps + " I/Os done"
                        : "device " + devid + " never ended its workload";
            } else if (ios < d.ioOps) {
                why = "device " + devid + " did " + ios + " of " + d.ioOps + " verified I/Os";
            } else if (unverified > 0) {
                why = "device " + devid + ": " + unverified + " acknowledged sectors not verified by the read-back";
            } else {
                continue;
            }
            List<Long> ev = new ArrayList<>(List.of(dev.getValue(), d.handoffSeq));
            if (failedSeq != null) ev.add(failedSeq);
            if (end != null) ev.add(end[2]);
            ev.add(e.seq());
            violation(Invariant.WORKLOAD_INCOMPLETE, e.dom(), ev, why + " before the OS finished");
        }
    }

    private static long number(Object v) {
        return v instanceof Number n ? n.longValue() : 0;
    }

    private void onGrantMap(Event e) {
        Object status = e.get("status");
        if (status instanceof Number n && n.intValue() != 0) return;
        Mapping m = new Mapping(e.dom(), e.getLong("mapper"), e.getLong("handle"), e.getLong("ref"), e.getLong("gfn"), e.seq());
        mappings.computeIfAbsent(m.grantingDom(), k -> new LinkedHashMap<>()).put(new MapKey(m.grantingDom(), m.mapper(), m.handle()), m);
    }

    /**
     * STALE_GRANT and STALE_MAPPING at PAGE_RECLAIMED: the OS takes the pages as its own, so no
     * grant entry it did not write may still permit access to them (Linux's gnttab never clears the
     * entries the firmware left: a stale GTF_permit_access lets dom0 map the OS's page at any time),
     * and no other domain may map them.
     */
    private void onReclaim(Event e) {
        Dom d = dom(e.dom());
        long gfn = e.getLong("gfn");
        long count = e.getLong("count");
        d.reclaimed.add(new long[] {gfn, gfn + count, e.seq()});
        for (Map.Entry<Long, long[]> g : new TreeMap<>(d.foreignEntries).entrySet()) {
            long eg = g.getValue()[0];
            if (eg >= gfn && eg < gfn + count) {
                violation(Invariant.STALE_GRANT, e.dom(), List.of(g.getValue()[1], e.seq()),
                        "OS reclaimed gfn " + hex(eg) + " while grant ref " + g.getKey() + " still permits foreign access to it");
            }
        }
        staleMappings(e, "the OS reclaimed");
    }

    /**
     * STALE_MAPPING at every change of hands of D's [gfn, gfn+count): PAGE_FREE (FreePages/FreePool:
     * OVMF's XenPvBlockFree frees the ring page even when GrantEndAccess failed), PAGE_ALLOC (the
     * freed page given out again) and PAGE_RECLAIMED. A live mapping of one of D's grants on such a
     * gfn lets the mapper read or write whatever the page's next owner puts there.
     */
    private void staleMappings(Event e, String what) {
        long gfn = e.getLong("gfn");
        long count = e.getLong("count");
        for (Mapping m : mappingsOf(e.dom())) {
            if (m.gfn() >= gfn && m.gfn() < gfn + count) {
                violation(Invariant.STALE_MAPPING, e.dom(), List.of(m.seq(), e.seq()),
                        what + " gfn " + hex(m.gfn()) + " while dom" + m.mapper() + " maps it (grant ref " + m.ref() + ")");
            }
        }
    }

    private void onForeignWrite(Event e) {
        Dom d = dom(e.dom());
        if (d.handoffSeq < 0) return;
        long gfn = e.getLong("gfn");
        long[] r = null;
        for (long[] range : d.reclaimed) {
            if (gfn >= range[0] && gfn < range[1]) {
                r = range;
                break;
            }
        }
        if (r == null) return;                       // not an OS-owned page
        if (d.osGrantGfns.containsKey(gfn)) return;   // the OS granted it: legitimate I/O
        violation(Invariant.DMA_AFTER_HANDOFF, e.dom(), List.of(d.handoffSeq, r[2], e.seq()),
                "dom" + e.get("mapper") + " wrote " + e.get("len") + " bytes into OS-owned gfn " + hex(gfn) + " after handoff");
    }

    private void onBusReset(Event e) {
        Dom d = dom(e.dom());
        for (Map.Entry<String, long[]> b : d.backendState.entrySet()) {
            long state = b.getValue()[0];
            // Initialised, Connected, Closing (and reconfiguration): the backend still holds the ring
            if (state >= XENBUS_INITIALISED && state != XENBUS_CLOSED) {
                violation(Invariant.RESET_ORDER, e.dom(), List.of(b.getValue()[1], e.seq()),
                        "bus reset while backend " + b.getKey() + " is in state " + state);
            }
        }
        for (Mapping m : mappingsOf(e.dom())) {
            if (m.ref() >= FIRST_FRONTEND_REF) {
                violation(Invariant.RESET_ORDER, e.dom(), List.of(m.seq(), e.seq()),
                        "bus reset while dom" + m.mapper() + " still maps grant ref " + m.ref());
            }
        }
    }

    private void onXsResponse(Event e) {
        int requester = e.dom();
        if (requester == 0) return;
        Object err = e.get("error");
        if (err != null && !err.toString().isEmpty()) return;
        String type = e.getString("type");
        String path = e.getString("path");
        if (type == null || path == null || path.startsWith("@")) return;
        if (!path.startsWith("/")) path = "/local/domain/" + requester + "/" + path;
        if (!path.startsWith("/local/domain/")) return;
        String rest = path.substring("/local/domain/".length());
        int slash = rest.indexOf('/');
        String owner = slash < 0 ? rest : rest.substring(0, slash);
        if (owner.equals(Integer.toString(requester))) return;
        Boolean read = switch (type) {
            case "XS_READ", "XS_DIRECTORY", "XS_DIRECTORY_PART", "XS_GET_PERMS" -> Boolean.TRUE;
            case "XS_WRITE", "XS_MKDIR", "XS_RM", "XS_SET_PERMS" -> Boolean.FALSE;
            default -> null; // watches, transactions and the like access no node
        };
        if (read == null) return;
        if (read && slash >= 0 && isOwnBackendDir(rest.substring(slash), requester)) return;
        violation(Invariant.XS_ISOLATION, requester, List.of(e.seq()),
                "dom" + requester + " " + (read ? "read " : "wrote ") + path + " of dom" + owner);
    }

    /** A frontend may read its backend's directory: /backend/<type>/<frontend domid>/... */
    private static boolean isOwnBackendDir(String tail, int requester) {
        String[] parts = tail.split("/");
        return parts.length >= 4 && parts[1].equals("backend") && parts[3].equals(Integer.toString(requester));
    }

    private void onDestroy(Event e) {
        Dom d = dom(e.dom());
        d.destroyed = true;
        d.foreignEntries.clear();
        for (Mapping m : mappingsOf(e.dom())) {
            violation(Invariant.GRANT_LEAK, e.dom(), List.of(m.seq(), e.seq()),
                    "dom" + e.dom() + " destroyed while dom" + m.mapper() + " maps grant ref " + m.ref());
        }
        mappings.remove(e.dom());
    }

    /**
     * Judges the progress invariant at the end of the run: every guest that began EBS finished it,
     * every guest reached the OS, and the OS connected every device the toolstack created.
     * Called on RUN_END; idempotent.
     */
    public void finish() {
        finish(null);
    }

    /**
     * As {@link #finish()}, knowing how the run ended: when it did not complete (QUIESCED: nothing
     * left to run; WALL_LIMIT) an OS that took over and never finished its work is stuck too.
     */
    public void finish(String ending) {
        if (finished) return;
        boolean unfinishedRun = "QUIESCED".equals(ending) || "WALL_LIMIT".equals(ending);
        finished = true;
        for (Map.Entry<Integer, Dom> entry : new TreeMap<>(doms).entrySet()) {
            int id = entry.getKey();
            Dom d = entry.getValue();
            if (id == 0 || d.destroyed) continue; // finished, or destroyed from outside (domain-destroy): not stuck
            if (d.parkedSeq >= 0) {
                violation(Invariant.HANG, id, List.of(d.parkedSeq), "firmware waits for an event that can never be signalled");
            } else if (d.ebsBeginSeq >= 0 && d.ebsEndSeq < 0) {
                violation(Invariant.HANG, id, List.of(d.ebsBeginSeq), "ExitBootServices never returned");
            } else if (d.createdSeq >= 0 && d.handoffSeq < 0 && !d.destroyed) {
                violation(Invariant.HANG, id, List.of(d.createdSeq), "the guest never reached the OS");
            } else if (d.handoffSeq >= 0 && d.osDoneSeq < 0) { // an OS that finished is judged by WORKLOAD_INCOMPLETE
                boolean allConnected = true;
                for (Long dev : d.devices) {
                    if (!d.connected.contains(dev)) {
                        allConnected = false;
                        violation(Invariant.HANG, id, List.of(d.handoffSeq), "the OS never connected device " + dev);
                    }
                }
                if (allConnected && unfinishedRun) {
                    violation(Invariant.HANG, id, List.of(d.handoffSeq), "the OS took over but never finished its work");
                }
            }
        }
    }

    private void violation(Invariant inv, int dom, List<Long> evidence, String detail) {
        Map<Integer, Integer> perDom = counts.computeIfAbsent(inv, k -> new HashMap<>());
        int n = perDom.merge(dom, 1, Integer::sum);
        if (n > 1) return;
        List<Long> ev = new ArrayList<>(evidence.size());
        for (Long s : evidence) if (s != null && s >= 0) ev.add(s);
        log.event(dom, "checker", "VIOLATION").with("invariant", inv.name()).with("evidence", ev)
                .with("detail", detail).emit();
    }

    /** The violated invariants so far. */
    public Set<Invariant> verdict() {
        Set<Invariant> s = EnumSet.noneOf(Invariant.class);
        s.addAll(counts.keySet());
        return s;
    }

    /** Violations per invariant (all occurrences, not just the reported first ones). */
    public Map<Invariant, Integer> counts() {
        Map<Invariant, Integer> out = new EnumMap<>(Invariant.class);
        counts.forEach((k, v) -> out.put(k, v.values().stream().mapToInt(Integer::intValue).sum()));
        return out;
    }

    /** "clean" or "VIOLATION A B …" as the CLI prints it. */
    public String verdictLine() {
        Set<Invariant> v = verdict();
        if (v.isEmpty()) return "verdict: clean";
        StringBuilder sb = new StringBuilder("verdict: VIOLATION");
        for (Invariant i : v) sb.append(' ').append(i.name());
        return sb.toString();
    }

    private static final long XENBUS_INITIALISED = 3;
    private static final long XENBUS_CLOSED = 6;

    private static long stateCode(Object to) {
        if (to instanceof Number n) return n.longValue();
        if (to == null) return -1;
        return switch (to.toString()) {
            case "Unknown" -> 0;
            case "Initialising" -> 1;
            case "InitWait" -> 2;
            case "Initialised" -> 3;
            case "Connected" -> 4;
            case "Closing" -> 5;
            case "Closed" -> 6;
            case "Reconfiguring" -> 7;
            case "Reconfigured" -> 8;
            default -> -1;
        };
    }

    private static boolean isSuccess(Object status) {
        return status == null || "EFI_SUCCESS".equals(status.toString()) || (status instanceof Number n && n.longValue() == 0);
    }

    /** The live mappings of {@code dom}'s grants, in the order they were made. */
    private java.util.Collection<Mapping> mappingsOf(int dom) {
        LinkedHashMap<MapKey, Mapping> mine = mappings.get(dom);
        return mine == null ? List.of() : mine.values();
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
