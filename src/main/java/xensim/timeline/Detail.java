package xensim.timeline;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which domains the Perfetto trace and the HTML report show event by event. A run of a few guests
 * is shown whole; a large one (more than {@link #AUTO_ALL_UP_TO} guest domains) is thinned to what
 * a person can look at: every guest's phases, verdict and findings, but the per-event slices, flows
 * and swimlanes only of {@link #AUTO_SAMPLE} guests — those the offline checker or the online one
 * found a violation in first, then the lowest domids — plus the host's events that name one of
 * them ({@link #relatedDomain}). A 1,000-guest run's full trace is ~570 MB of JSON, which no trace
 * viewer opens comfortably; {@code timeline LOG --perfetto F.json.gz --trace-detail all} still
 * writes it.
 *
 * @param shown the domains shown in detail (dom0 always among them when thinned), or null: all
 * @param guests guest domains in the log (after the filter)
 */
public record Detail(Set<Integer> shown, int guests) {
    /** {@code --trace-detail auto}: everything up to this many guest domains. */
    public static final int AUTO_ALL_UP_TO = 16;
    /** {@code --trace-detail auto}: guests shown in detail beyond that. */
    public static final int AUTO_SAMPLE = 8;
    /** The {@code limit} for "auto". */
    public static final int AUTO = -1;
    /** The {@code limit} for "all". */
    public static final int ALL = Integer.MAX_VALUE;

    public static final Detail EVERYTHING = new Detail(null, 0);

    /**
     * Chooses the domains for a log whose first pass gave {@code run} and {@code checker}.
     *
     * @param limit {@link #AUTO}, {@link #ALL} or the number of guest domains to show in detail
     */
    public static Detail choose(RunInfo run, OfflineChecker checker, Filter filter, int limit) {
        List<Integer> guests = run.domains().stream().filter(d -> d > 0 && filter.domain(d)).toList();
        int n = limit == AUTO ? (guests.size() <= AUTO_ALL_UP_TO ? ALL : AUTO_SAMPLE) : limit;
        if (guests.size() <= n) return new Detail(null, guests.size());
        Set<Integer> pick = new LinkedHashSet<>();
        for (OfflineChecker.Finding f : checker.findings()) if (f.dom() > 0 && filter.domain(f.dom())) pick.add(f.dom());
        for (RunInfo.OnlineViolation v : run.onlineViolations()) if (v.dom() > 0 && filter.domain(v.dom())) pick.add(v.dom());
        Set<Integer> shown = new TreeSet<>();
        for (int d : pick) if (shown.size() < n) shown.add(d);
        for (int d : guests) if (shown.size() < n) shown.add(d);
        for (int d : run.domains()) if (d <= 0) shown.add(d); // the host (and any special domid) stays
        return new Detail(Collections.unmodifiableSet(shown), guests.size());
    }

    public boolean all() {
        return shown == null;
    }

    /** Whether this domain's own events are shown. */
    public boolean domain(int dom) {
        return shown == null || shown.contains(dom);
    }

    /**
     * Whether this event is shown: every event of a detailed guest; a host event when the guest it
     * names ({@link #relatedDomain}) is detailed or it names none.
     */
    public boolean event(LogEvent e) {
        if (shown == null) return true;
        if (e.dom() > 0) return shown.contains(e.dom());
        int rel = relatedDomain(e);
        return rel <= 0 || shown.contains(rel);
    }

    /** Guest domains shown in detail. */
    public int shownGuests() {
        if (shown == null) return guests;
        int k = 0;
        for (int d : shown) if (d > 0) k++;
        return k;
    }

    /**
     * The guest a host event is about, or -1: its {@code remoteDom} (event channels), {@code domid}
     * or {@code frontend} field, or the domid in a xenstore path ({@code /local/domain/N/...},
     * {@code .../backend/vbd/N/...}).
     */
    static int relatedDomain(LogEvent e) {
        for (String f : new String[] {"remoteDom", "domid", "frontend"}) {
            Object v = e.get(f);
            if (v instanceof Long l && l > 0 && l <= Integer.MAX_VALUE) return (int) (long) l;
        }
        if (e.get("path") instanceof String p) {
            int d = domidAfter(p, "/backend/vbd/");
            if (d < 0) d = domidAfter(p, "/backend/console/");
            if (d < 0) d = domidAfter(p, "/local/domain/");
            if (d > 0) return d;
        }
        return -1;
    }

    private static int domidAfter(String path, String prefix) {
        int at = path.indexOf(prefix);
        if (at < 0) return -1;
        int i = at + prefix.length();
        long v = 0;
        int start = i;
        while (i < path.length() && Character.isDigit(path.charAt(i)) && i - start < 9) v = v * 10 + (path.charAt(i++) - '0');
        return i == start ? -1 : (int) v;
    }

    /** "events of 8 of 1,000 guests (and the host's about them), phases of all" or "all". */
    public String describe() {
        if (shown == null) return "all events";
        return String.format(java.util.Locale.ROOT, "events of %d of %,d guests (and the host's events about them), phases and verdicts of all",
                shownGuests(), guests);
    }
}
