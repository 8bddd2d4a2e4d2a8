package xensim.timeline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Re-judges the invariants of DESIGN.md §4 from a log alone, event by event in file order, by the
 * rules written down in docs/events.md ("How the invariants are judged"). It is deliberately
 * separate code from the online {@code xensim.check.InvariantChecker}: two readings of one contract,
 * so a disagreement between their verdicts points at a bug in one of them or in the contract.
 *
 * <p>The log's own verdicts — VIOLATION events (comp {@code checker}) and RUN_END's {@code verdict}
 * — are ignored here; {@link RunInfo} collects them for comparison.
 *
 * <p>State is what the rules need and nothing more (live grant mappings, OS-owned gfn ranges, OS
 * grants, backend states, per-guest progress marks), so memory follows the simulated system, not
 * the length of the log. The first finding per invariant and domain is kept with its evidence;
 * later ones are counted.
 */
public final class OfflineChecker {

    /** The invariants of DESIGN.md §4, in that order (the order verdict lines print them in). */
    public static final List<String> INVARIANTS = List.of("ALLOC_IN_EBS", "STALE_MAPPING", "DMA_AFTER_HANDOFF",
            "RESET_ORDER", "HANG", "DATA_INTEGRITY", "XS_ISOLATION", "GRANT_LEAK", "WORKLOAD_INCOMPLETE", "STALE_GRANT");

    /**
     * Grant refs 0..7 are reserved (Xen's GNTTAB_NR_RESERVED_ENTRIES: the toolstack seeds the console
     * and xenstore pages there); an endpoint's own grants start at 8, and only those must be unmapped
     * before a bus reset.
     */
    static final long FIRST_ENDPOINT_REF = 8;

    /** One violation: the first per invariant and domain, with the seqs that prove it, ascending. */
    public record Finding(String invariant, int dom, long seq, long t, List<Long> evidence, String detail) {}

    /** A live mapping of one of {@code dom}'s grants by {@code mapper}, as GRANT_MAP reported it. */
    private record Mapping(long mapper, long handle, long ref, long gfn, long seq) {}

    private record MapKey(long mapper, long handle) {}

    /** What the rules track per domain. */
    private static final class Guest {
        long created = -1;
        long destroyed = -1;
        long ebsBegin = -1;
        long ebsSucceeded = -1;
        long parked = -1;
        long handoff = -1;
        long osDone = -1;
        int notifiesRunning;
        long outermostNotify = -1;
        final Map<Long, Long> devices = new LinkedHashMap<>();        // devid → DEVICE_CREATED seq
        final Set<Long> connected = new HashSet<>();
        final GfnRanges osOwned = new GfnRanges();
        final Map<Long, Long> osGrantGfn = new HashMap<>();          // OS grant ref → gfn
        final Map<Long, Integer> osGrantedGfns = new HashMap<>();    // gfn → number of OS refs on it
        final Map<String, long[]> backends = new LinkedHashMap<>();  // backend state path → {state, seq}
        final Map<Long, Long> lastGrantAccess = new HashMap<>();     // ref → seq (chains only)
        final Map<Long, long[]> permitted = new TreeMap<>();         // non-OS entry still permitting access: ref → {gfn, GRANT_ACCESS seq, failed GRANT_END seq}
        final Map<Long, Long> xsPending = new HashMap<>();           // reqId → XS_REQ seq (chains only)
        long ioOps;                                                  // verified I/Os asked of each device
        final Map<Long, Long> deviceFailed = new HashMap<>();        // devid → last OS_DEVICE_FAILED seq
        final Map<Long, long[]> workloadEnds = new HashMap<>();      // devid → last OS_WORKLOAD_END {ios, unverified, seq}
    }

    private final Map<Integer, Guest> guests = new HashMap<>();
    private final Map<Integer, Map<MapKey, Mapping>> liveMappings = new HashMap<>();
    private final Map<String, Finding> firsts = new LinkedHashMap<>();
    private final long[] counts = new long[INVARIANTS.size()];
    private boolean progressJudged;
    private long events;

    private Guest guest(int dom) {
        Guest g = guests.get(dom);
        if (g == null) guests.put(dom, g = new Guest());
        return g;
    }

    /** Feeds one event (in file order). */
    public void accept(LogEvent e) {
        events++;
        switch (e.ev()) {
            case "DOMAIN_CREATED" -> guest(e.dom()).created = e.seq();
            case "DEVICE_CREATED" -> {
                if (e.get("devid") instanceof Number n) guest(e.dom()).devices.putIfAbsent(n.longValue(), e.seq());
            }
            case "DOMAIN_DESTROYED" -> domainDestroyed(e);
            case "EBS_BEGIN" -> guest(e.dom()).ebsBegin = e.seq();
            case "EBS_NOTIFY_BEGIN" -> {
                Guest g = guest(e.dom());
                if (g.notifiesRunning++ == 0) g.outermostNotify = e.seq();
            }
            case "EBS_NOTIFY_END" -> {
                Guest g = guest(e.dom());
                if (g.notifiesRunning > 0) g.notifiesRunning--;
            }
            case "EBS_END" -> {
                Guest g = guest(e.dom());
                g.notifiesRunning = 0;
                if (efiSuccess(e.get("status"))) g.ebsSucceeded = e.seq();
            }
            case "ALLOC_CALL" -> {
                Guest g = guest(e.dom());
                if (g.notifiesRunning > 0) {
                    report("ALLOC_IN_EBS", e, e.getString("service") + " called while an ExitBootServices notify function runs",
                            g.ebsBegin, g.outermostNotify, e.seq());
                }
            }
            case "FW_PARKED" -> guest(e.dom()).parked = e.seq();
            case "GRANT_ACCESS" -> grantAccess(e);
            case "GRANT_END" -> grantEnd(e);
            case "GRANT_MAP" -> grantMap(e);
            case "GRANT_UNMAP" -> {
                Map<MapKey, Mapping> m = liveMappings.get(e.dom());
                if (m != null && e.get("mapper") instanceof Number mapper && e.get("handle") instanceof Number handle) {
                    m.remove(new MapKey(mapper.longValue(), handle.longValue()));
                }
            }
            case "OS_HANDOFF" -> {
                Guest g = guest(e.dom());
                g.handoff = e.seq();
                g.ioOps = e.get("ioOps") instanceof Number n ? n.longValue() : 0;
            }
            case "OS_DEVICE_FAILED" -> {
                if (e.get("devid") instanceof Number n) guest(e.dom()).deviceFailed.put(n.longValue(), e.seq());
            }
            case "OS_WORKLOAD_END" -> {
                if (e.get("devid") instanceof Number n) {
                    guest(e.dom()).workloadEnds.put(n.longValue(), new long[] {count(e.get("ios")), count(e.get("unverified")), e.seq()});
                }
            }
            case "OS_DONE" -> osDone(e);
            case "GUEST_CREATE_FAILED" -> report("WORKLOAD_INCOMPLETE", e, "the toolstack could not create a guest: "
                    + e.getString("error"), e.seq());
            case "PAGE_RECLAIMED" -> pageReclaimed(e);
            case "PAGE_FREE" -> pageChangesHands(e, "the firmware freed");
            case "PAGE_ALLOC" -> pageChangesHands(e, "the firmware allocated again");
            case "FOREIGN_WRITE" -> foreignWrite(e);
            case "XENBUS_STATE" -> {
                String path = e.getString("path");
                if (path != null && path.contains("/backend/")) {
                    guest(e.dom()).backends.put(path, new long[] {stateCode(e.get("to")), e.seq()});
                }
            }
            case "XENBUS_RESET" -> busReset(e);
            case "OS_DEVICE_CONNECTED" -> {
                if (e.get("devid") instanceof Number n) guest(e.dom()).connected.add(n.longValue());
            }
            case "IO_VERIFY" -> {
                if (e.isFalse("ok")) {
                    report("DATA_INTEGRITY", e, "sector " + e.get("sector") + " read back other data than the last acknowledged write",
                            e.seq());
                }
            }
            case "XS_REQ" -> {
                if (e.get("reqId") instanceof Number id) guest(e.dom()).xsPending.put(id.longValue(), e.seq());
            }
            case "XS_RSP" -> xsResponse(e);
            case "RUN_END" -> judgeProgress(e);
            default -> { }
        }
    }

    // --- grants and pages ------------------------------------------------------------------------

    private void grantAccess(LogEvent e) {
        if (!(e.get("ref") instanceof Number r)) return;
        long ref = r.longValue();
        Guest g = guest(e.dom());
        g.lastGrantAccess.put(ref, e.seq());
        if ("os".equals(e.comp())) {
            g.permitted.remove(ref);
        } else if (e.get("gfn") instanceof Number gfn) {
            g.permitted.put(ref, new long[] {gfn.longValue(), e.seq(), -1});
        }
        if ("os".equals(e.comp()) && e.get("gfn") instanceof Number gfn) {
            Long old = g.osGrantGfn.put(ref, gfn.longValue());
            if (old != null) unGrant(g, old);
            g.osGrantedGfns.merge(gfn.longValue(), 1, Integer::sum);
        }
    }

    private void grantEnd(LogEvent e) {
        if (!(e.get("ref") instanceof Number r)) return;
        Guest g = guest(e.dom());
        if (e.isFalse("ok")) {
            long[] p = g.permitted.get(r.longValue());
            if (p != null) p[2] = e.seq(); // "g.e. still in use!": the entry stays
            return;
        }
        g.permitted.remove(r.longValue());
        if (!"os".equals(e.comp())) return;
        Long gfn = g.osGrantGfn.remove(r.longValue());
        if (gfn != null) unGrant(g, gfn);
    }

    private static void unGrant(Guest g, long gfn) {
        g.osGrantedGfns.computeIfPresent(gfn, (k, n) -> n > 1 ? n - 1 : null);
    }

    private void grantMap(LogEvent e) {
        if (e.get("status") instanceof Number st && st.longValue() != 0) return; // a GNTST error: nothing mapped
        if (!(e.get("mapper") instanceof Number mapper) || !(e.get("handle") instanceof Number handle)
                || !(e.get("ref") instanceof Number ref) || !(e.get("gfn") instanceof Number gfn)) return;
        Mapping m = new Mapping(mapper.longValue(), handle.longValue(), ref.longValue(), gfn.longValue(), e.seq());
        liveMappings.computeIfAbsent(e.dom(), k -> new LinkedHashMap<>()).put(new MapKey(m.mapper(), m.handle()), m);
    }

    private void pageReclaimed(LogEvent e) {
        if (!(e.get("gfn") instanceof Number first) || !(e.get("count") instanceof Number cnt)) return;
        long from = first.longValue();
        long to = from + cnt.longValue();
        Guest g = guest(e.dom());
        for (Map.Entry<Long, long[]> p : g.permitted.entrySet()) {
            long[] v = p.getValue();
            if (v[0] >= from && v[0] < to) {
                report("STALE_GRANT", e, "the OS took gfn " + hex(v[0]) + " while grant ref " + p.getKey()
                        + " (not the OS's) still permits foreign access to it", v[1], v[2], g.handoff, e.seq());
            }
        }
        pageChangesHands(e, "the OS took");
        g.osOwned.add(from, to, e.seq());
    }

    /** STALE_MAPPING: PAGE_RECLAIMED, PAGE_FREE or PAGE_ALLOC of a gfn one of the domain's live mappings covers. */
    private void pageChangesHands(LogEvent e, String what) {
        if (!(e.get("gfn") instanceof Number first) || !(e.get("count") instanceof Number cnt)) return;
        long from = first.longValue();
        long to = from + cnt.longValue();
        Guest g = guest(e.dom());
        Map<MapKey, Mapping> live = liveMappings.get(e.dom());
        if (live == null) return;
        for (Mapping m : live.values()) {
            if (m.gfn() >= from && m.gfn() < to) {
                report("STALE_MAPPING", e, what + " gfn " + hex(m.gfn()) + " while dom" + m.mapper()
                        + " still maps it through grant ref " + m.ref(),
                        g.lastGrantAccess.getOrDefault(m.ref(), -1L), m.seq(), g.handoff, e.seq());
            }
        }
    }

    private void foreignWrite(LogEvent e) {
        Guest g = guests.get(e.dom());
        if (g == null || g.handoff < 0 || !(e.get("gfn") instanceof Number n)) return;
        long gfn = n.longValue();
        long reclaimedBy = g.osOwned.coveredBy(gfn);
        if (reclaimedBy < 0 || g.osGrantedGfns.containsKey(gfn)) return;
        long mapSeq = -1;
        Map<MapKey, Mapping> live = liveMappings.get(e.dom());
        if (live != null && e.get("mapper") instanceof Number mp && e.get("handle") instanceof Number h) {
            Mapping m = live.get(new MapKey(mp.longValue(), h.longValue()));
            if (m != null) mapSeq = m.seq();
        }
        report("DMA_AFTER_HANDOFF", e, "dom" + e.get("mapper") + " wrote " + e.get("len") + " bytes into gfn " + hex(gfn)
                + ", which the OS owns and did not grant", mapSeq, g.handoff, reclaimedBy, e.seq());
    }

    private void domainDestroyed(LogEvent e) {
        guest(e.dom()).destroyed = e.seq();
        guest(e.dom()).permitted.clear();
        Map<MapKey, Mapping> live = liveMappings.remove(e.dom());
        if (live == null) return;
        for (Mapping m : live.values()) {
            report("GRANT_LEAK", e, "dom" + e.dom() + " destroyed while dom" + m.mapper() + " still maps its grant ref "
                    + m.ref() + " (gfn " + hex(m.gfn()) + ")", m.seq(), e.seq());
        }
    }

    // --- bus reset -------------------------------------------------------------------------------

    private void busReset(LogEvent e) {
        Guest g = guest(e.dom());
        for (Map.Entry<String, long[]> b : g.backends.entrySet()) {
            long state = b.getValue()[0];
            if (backendHoldsRing(state)) {
                report("RESET_ORDER", e, "bus reset (" + e.get("method") + ") while backend " + b.getKey() + " is "
                        + stateName(state), b.getValue()[1], e.seq());
            }
        }
        Map<MapKey, Mapping> live = liveMappings.get(e.dom());
        if (live == null) return;
        for (Mapping m : live.values()) {
            if (m.ref() >= FIRST_ENDPOINT_REF) {
                report("RESET_ORDER", e, "bus reset (" + e.get("method") + ") while dom" + m.mapper() + " still maps grant ref "
                        + m.ref(), m.seq(), e.seq());
            }
        }
    }

    /** Initialised, Connected, Closing, Reconfiguring/ed (and any later code): the backend may use the ring. */
    private static boolean backendHoldsRing(long state) {
        return state >= 3 && state != 6;
    }

    // --- xenstore --------------------------------------------------------------------------------

    private static final Set<String> XS_READS = Set.of("XS_READ", "XS_DIRECTORY", "XS_DIRECTORY_PART", "XS_GET_PERMS");
    private static final Set<String> XS_WRITES = Set.of("XS_WRITE", "XS_MKDIR", "XS_RM", "XS_SET_PERMS");
    private static final String LOCAL_DOMAIN = "/local/domain/";

    private void xsResponse(LogEvent e) {
        int who = e.dom();
        Guest g = guests.get(who);
        long reqSeq = -1;
        if (g != null && e.get("reqId") instanceof Number id) {
            Long s = g.xsPending.remove(id.longValue());
            if (s != null) reqSeq = s;
        }
        if (who == 0) return; // dom0 (toolstack, backends) is privileged
        Object err = e.get("error");
        if (err != null && !err.toString().isEmpty()) return; // refused: nothing was accessed
        String type = e.getString("type");
        boolean write;
        if (XS_WRITES.contains(type)) write = true;
        else if (XS_READS.contains(type)) write = false;
        else return; // watches, transactions, introduce …: no node accessed
        String path = e.getString("path");
        if (path == null || path.startsWith("@")) return;
        String abs = path.startsWith("/") ? path : LOCAL_DOMAIN + who + "/" + path;
        if (!abs.startsWith(LOCAL_DOMAIN)) return;
        String[] parts = abs.substring(LOCAL_DOMAIN.length()).split("/", -1);
        String me = Integer.toString(who);
        if (parts[0].equals(me)) return; // its own subtree
        // a frontend may read its own backend's directory: /local/domain/<B>/backend/<type>/<me>/…
        if (!write && parts.length >= 4 && parts[1].equals("backend") && parts[3].equals(me)) return;
        report("XS_ISOLATION", e, "dom" + who + (write ? " wrote " : " read ") + abs + ", a node of dom" + parts[0],
                reqSeq, e.seq());
    }

    // --- progress --------------------------------------------------------------------------------

    /**
     * WORKLOAD_INCOMPLETE at the OS's OS_DONE: each DEVICE_CREATED device needs an OS_WORKLOAD_END
     * with {@code ios} at least OS_HANDOFF's {@code ioOps} and no {@code unverified} sector.
     */
    private void osDone(LogEvent e) {
        Guest g = guest(e.dom());
        g.osDone = e.seq();
        if (g.handoff < 0) return;
        for (Map.Entry<Long, Long> dev : g.devices.entrySet()) {
            long[] end = g.workloadEnds.get(dev.getKey());
            long failed = g.deviceFailed.getOrDefault(dev.getKey(), -1L);
            String detail;
            if (end == null && failed >= 0) {
                detail = "the OS gave up on device " + dev.getKey() + " (OS_DEVICE_FAILED) and did none of its " + g.ioOps + " I/Os";
            } else if (end == null) {
                detail = "the OS finished without ending the workload of device " + dev.getKey();
            } else if (end[0] < g.ioOps) {
                detail = "device " + dev.getKey() + " did " + end[0] + " of the " + g.ioOps + " verified I/Os asked";
            } else if (end[1] > 0) {
                detail = "device " + dev.getKey() + "'s read-back left " + end[1] + " acknowledged sectors unverified";
            } else {
                continue;
            }
            report("WORKLOAD_INCOMPLETE", e, detail, g.created, dev.getValue(), g.handoff, failed, end == null ? -1 : end[2], e.seq());
        }
    }

    private static long count(Object v) {
        return v instanceof Number n ? n.longValue() : 0;
    }

    private void judgeProgress(LogEvent end) {
        if (progressJudged) return;
        progressJudged = true;
        for (Map.Entry<Integer, Guest> en : new TreeMap<>(guests).entrySet()) {
            int dom = en.getKey();
            Guest g = en.getValue();
            if (dom == 0) continue;
            boolean created = g.created >= 0;
            boolean destroyed = g.destroyed >= 0;
            if (destroyed) continue; // finished, or destroyed from outside (domain-destroy): not stuck
            if (g.parked >= 0) {
                hang(dom, end, "the firmware waits for an event nothing can signal any more", g.created, g.parked);
            } else if (g.ebsBegin >= 0 && g.ebsSucceeded < 0) {
                hang(dom, end, "ExitBootServices began and never returned EFI_SUCCESS", g.created, g.ebsBegin);
            } else if (created && !destroyed && g.handoff < 0) {
                hang(dom, end, "the guest was created but its OS never took over", g.created);
            } else if (g.handoff >= 0 && g.osDone < 0) { // an OS that finished: WORKLOAD_INCOMPLETE judged it
                boolean allConnected = true;
                for (Map.Entry<Long, Long> dev : g.devices.entrySet()) {
                    if (!g.connected.contains(dev.getKey())) {
                        allConnected = false;
                        hang(dom, end, "the OS never connected device " + dev.getKey(), g.created, dev.getValue(), g.handoff);
                    }
                }
                Object ending = end.get("ending");
                boolean unfinishedRun = "QUIESCED".equals(ending) || "WALL_LIMIT".equals(ending);
                if (allConnected && unfinishedRun) {
                    hang(dom, end, "the OS took over but never finished its work", g.created, g.handoff);
                }
            }
        }
    }

    private void hang(int dom, LogEvent end, String detail, long... evidence) {
        long[] ev = java.util.Arrays.copyOf(evidence, evidence.length + 1);
        ev[evidence.length] = end.seq();
        record("HANG", dom, end.seq(), end.t(), detail, ev);
    }

    /** Whether RUN_END was seen (HANG is judged there; a truncated log has none). */
    public boolean progressJudged() {
        return progressJudged;
    }

    // --- results ---------------------------------------------------------------------------------

    private void report(String invariant, LogEvent at, String detail, long... evidence) {
        record(invariant, at.dom(), at.seq(), at.t(), detail, evidence);
    }

    private void record(String invariant, int dom, long seq, long t, String detail, long... evidence) {
        counts[INVARIANTS.indexOf(invariant)]++;
        String key = invariant + "/" + dom;
        if (firsts.containsKey(key)) return;
        TreeSet<Long> ev = new TreeSet<>();
        for (long s : evidence) if (s >= 0) ev.add(s);
        firsts.put(key, new Finding(invariant, dom, seq, t, List.copyOf(ev), detail));
    }

    /** Events fed so far. */
    public long events() {
        return events;
    }

    /** The violated invariants, in §4 order. */
    public List<String> verdict() {
        List<String> v = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) if (counts[i] > 0) v.add(INVARIANTS.get(i));
        return v;
    }

    /** {@code verdict: clean} or {@code verdict: VIOLATION A B} — InvariantChecker.verdictLine's format. */
    public String verdictLine() {
        return verdictLine(verdict());
    }

    /** The verdict line for a set of invariant names (printed in §4 order). */
    public static String verdictLine(java.util.Collection<String> invariants) {
        if (invariants.isEmpty()) return "verdict: clean";
        StringBuilder sb = new StringBuilder("verdict: VIOLATION");
        for (String inv : INVARIANTS) if (invariants.contains(inv)) sb.append(' ').append(inv);
        for (String inv : new TreeSet<>(invariants)) if (!INVARIANTS.contains(inv)) sb.append(' ').append(inv);
        return sb.toString();
    }

    /** The first finding per invariant and domain, in the order they were found. */
    public List<Finding> findings() {
        return Collections.unmodifiableList(new ArrayList<>(firsts.values()));
    }

    /** All occurrences of an invariant's violation, not just the first per domain. */
    public long count(String invariant) {
        int i = INVARIANTS.indexOf(invariant);
        return i < 0 ? 0 : counts[i];
    }

    // --- helpers ---------------------------------------------------------------------------------

    private static boolean efiSuccess(Object status) {
        if (status == null) return true;
        if (status instanceof Number n) return n.doubleValue() == 0;
        return "EFI_SUCCESS".equals(status.toString());
    }

    private static final List<String> XENBUS_STATES = List.of("Unknown", "Initialising", "InitWait", "Initialised",
            "Connected", "Closing", "Closed", "Reconfiguring", "Reconfigured");

    /** XenbusState by name or number; -1 when neither. */
    static long stateCode(Object to) {
        if (to instanceof Number n) return n.longValue();
        return to == null ? -1 : XENBUS_STATES.indexOf(to.toString());
    }

    static String stateName(long code) {
        return code >= 0 && code < XENBUS_STATES.size() ? XENBUS_STATES.get((int) code) : "state " + code;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /**
     * The gfns the OS has taken: a union of half-open ranges kept as disjoint pieces, each tagged
     * with the seq of the PAGE_RECLAIMED that first covered it.
     */
    static final class GfnRanges {
        private final TreeMap<Long, long[]> pieces = new TreeMap<>(); // start → {end, seq}

        void add(long from, long to, long seq) {
            long cur = from;
            while (cur < to) {
                Map.Entry<Long, long[]> below = pieces.floorEntry(cur);
                if (below != null && below.getValue()[0] > cur) { // cur lies inside a piece: skip it
                    cur = below.getValue()[0];
                    continue;
                }
                Long next = pieces.higherKey(cur);
                long end = next == null ? to : Math.min(to, next);
                pieces.put(cur, new long[] {end, seq});
                cur = end;
            }
        }

        /** The seq of the reclaim covering {@code gfn}, or -1 when the OS does not own it. */
        long coveredBy(long gfn) {
            Map.Entry<Long, long[]> p = pieces.floorEntry(gfn);
            return p != null && gfn < p.getValue()[0] ? p.getValue()[1] : -1;
        }
    }
}
