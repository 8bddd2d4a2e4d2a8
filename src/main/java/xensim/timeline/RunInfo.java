package xensim.timeline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a log says about its run, as logged: RUN_BEGIN's fields, RUN_END's verdict and the online
 * checker's VIOLATION events — the online verdict the offline one is compared with — plus counts
 * and the span of virtual time. Memory: the first {@link #MAX_VIOLATIONS_KEPT} VIOLATION events.
 */
public final class RunInfo {
    public static final int MAX_VIOLATIONS_KEPT = 1000;

    /** A VIOLATION event of the log (the online checker's report). */
    public record OnlineViolation(long seq, long t, int dom, String invariant, List<Long> evidence, String detail) {}

    private final Map<String, Object> begin = new LinkedHashMap<>();
    private String runEndVerdict;
    private String ending;
    private long runEndSeq = -1;
    private final Set<String> violationInvariants = new LinkedHashSet<>();
    private final List<OnlineViolation> violations = new ArrayList<>();
    private long events;
    private long firstT = Long.MAX_VALUE;
    private long lastT = Long.MIN_VALUE;
    private long lastSeq = -1;
    private final TreeMap<Integer, String> domainNames = new TreeMap<>();
    private final Set<Integer> domains = new TreeSet<>();
    private int lastDom = Integer.MIN_VALUE;
    private final Map<String, long[]> perEvent = new java.util.HashMap<>();

    public void accept(LogEvent e) {
        events++;
        firstT = Math.min(firstT, e.t());
        lastT = Math.max(lastT, e.t());
        lastSeq = e.seq();
        if (e.dom() != lastDom) {
            lastDom = e.dom();
            domains.add(lastDom);
        }
        long[] cnt = perEvent.get(e.ev());
        if (cnt == null) perEvent.put(e.ev(), cnt = new long[1]);
        cnt[0]++;
        switch (e.ev()) {
            case "RUN_BEGIN" -> {
                for (int i = 0; i < e.fieldCount(); i++) begin.put(e.fieldName(i), e.fieldValue(i));
            }
            case "RUN_END" -> {
                runEndVerdict = e.getString("verdict");
                ending = e.getString("ending");
                runEndSeq = e.seq();
            }
            case "DOMAIN_CREATED" -> {
                String name = e.getString("name");
                if (name != null) domainNames.put(e.dom(), name);
            }
            case "VIOLATION" -> {
                if (!"checker".equals(e.comp())) return;
                String inv = e.getString("invariant");
                if (inv != null) violationInvariants.add(inv);
                if (violations.size() < MAX_VIOLATIONS_KEPT) {
                    List<Long> ev = new ArrayList<>();
                    if (e.get("evidence") instanceof List<?> l) for (Object o : l) if (o instanceof Number n) ev.add(n.longValue());
                    violations.add(new OnlineViolation(e.seq(), e.t(), e.dom(), inv, ev, e.getString("detail")));
                }
            }
            default -> { }
        }
    }

    /** RUN_BEGIN's fields (seed, mode, strategy, scenario, version), empty when the log has none. */
    public Map<String, Object> begin() { return Collections.unmodifiableMap(begin); }
    /** Whether the log ends its run with RUN_END. */
    public boolean hasRunEnd() { return runEndSeq >= 0; }
    /** RUN_END's verdict text ("clean" or "VIOLATION A B"), or null. */
    public String runEndVerdict() { return runEndVerdict; }
    /** RUN_END's ending (COMPLETED, QUIESCED, WALL_LIMIT), or null. */
    public String ending() { return ending; }
    public long events() { return events; }
    public long firstT() { return events == 0 ? 0 : firstT; }
    public long lastT() { return events == 0 ? 0 : lastT; }
    public long lastSeq() { return lastSeq; }
    public Set<Integer> domains() { return Collections.unmodifiableSet(domains); }
    public Map<Integer, String> domainNames() { return Collections.unmodifiableMap(domainNames); }
    /** Events per name. */
    public Map<String, Long> perEvent() {
        Map<String, Long> m = new TreeMap<>();
        perEvent.forEach((k, v) -> m.put(k, v[0]));
        return m;
    }
    /** The online checker's VIOLATION events (the first {@link #MAX_VIOLATIONS_KEPT}). */
    public List<OnlineViolation> onlineViolations() { return Collections.unmodifiableList(violations); }

    /**
     * The online verdict: the invariants RUN_END names when the log has RUN_END, else those of the
     * VIOLATION events seen (a truncated log: a lower bound).
     */
    public Set<String> onlineVerdict() {
        if (runEndVerdict == null) return Collections.unmodifiableSet(violationInvariants);
        Set<String> s = new LinkedHashSet<>();
        String v = runEndVerdict.trim();
        if (v.startsWith("verdict:")) v = v.substring("verdict:".length()).trim();
        if (v.startsWith("VIOLATION")) {
            for (String w : v.substring("VIOLATION".length()).trim().split("\\s+")) if (!w.isEmpty()) s.add(w);
        }
        return s;
    }

    /** The online verdict as a verdict line. */
    public String onlineVerdictLine() {
        return OfflineChecker.verdictLine(onlineVerdict());
    }
}
