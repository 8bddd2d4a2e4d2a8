package xensim.timeline;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One self-contained HTML report of a log (no network: inline CSS, SVG and a few lines of JS):
 *
 * <ul>
 *   <li>a header with the run (RUN_BEGIN) and both verdicts, offline and online, and whether they agree
 *       ({@code #verdict});</li>
 *   <li>a summary table per guest: each phase's duration, violations ({@code #summary-table}) and
 *       a table per invariant ({@code #invariants});</li>
 *   <li>SVG swimlanes, one {@code svg.lanes} per domain: a "phases" lane (rects {@code .phase} with
 *       {@code data-phase}) and one lane per component ({@code g.swimlane} with {@code data-dom} and
 *       {@code data-comp}); each lane shows event density over virtual time (memory-bounded bins),
 *       evidence events as dots linked to their row, violations as red markers
 *       ({@code .violation-marker}, {@code data-invariant}) linked to their finding;</li>
 *   <li>each finding as {@code div.violation} ({@code id="v-INV-dom"}, {@code data-invariant},
 *       {@code data-dom}) with its happens-before chain, each step an anchor to {@code #ev-SEQ};</li>
 *   <li>the evidence events ({@code tr.evidence-event}, {@code id="ev-SEQ"}) with their raw JSON;</li>
 *   <li>the online checker's VIOLATION events, and the reader's warnings.</li>
 * </ul>
 *
 * A large run's report ({@link Detail}) has every guest in its summary table but swimlanes only for
 * the domains the detail shows, and says how to draw any other guest's.
 *
 * Feed the events of the window to {@link #accept} (the second pass), then {@link #write}.
 */
public final class HtmlReport {
    static final int BINS = 600;
    static final int PLOT_W = 1200;
    static final int LABEL_W = 150;
    static final int LANE_H = 22;
    static final int MAX_MARKS = 5000;
    /** The summary table of a run with more guests than this is paged. */
    static final int PAGE_ROWS = 100;

    private static final List<String> COMPONENT_ORDER = List.of("runtime", "toolstack", "hypervisor", "xenstored",
            "blkback", "console", "fw.core", "fw.xenbus", "fw.pvblk", "os", "nemesis", "checker");

    private final Filter filter;
    private final Detail detail;
    private final long t0;
    private final long t1;
    /** dom → comp → bins. */
    private final TreeMap<Integer, TreeMap<String, int[]>> lanes = new TreeMap<>();
    private final List<long[]> faultMarks = new ArrayList<>(); // {dom, t, seq}
    /** The lane (component) each mark is drawn in: the nemesis's for a fault, the runtime's for a schedule deviation. */
    private final List<String> faultLanes = new ArrayList<>();
    private final List<String> faultNames = new ArrayList<>();

    /** Draws [from, to] of virtual time (the filter's window within the log's span). */
    public HtmlReport(Filter filter, long from, long to) {
        this(filter, from, to, Detail.EVERYTHING);
    }

    /** As above, drawing lanes only for the domains {@code detail} shows. */
    public HtmlReport(Filter filter, long from, long to, Detail detail) {
        this.filter = filter;
        this.detail = detail;
        this.t0 = from;
        this.t1 = Math.max(to, from + 1);
    }

    /** Counts one event into its lane (call for every event; the filter is applied here). */
    public void accept(LogEvent e) {
        if (!filter.matches(e) || e.t() < t0 || e.t() > t1 || !detail.domain(e.dom())) return;
        int[] bins = lanes.computeIfAbsent(e.dom(), k -> new TreeMap<>(HtmlReport::compareComp))
                .computeIfAbsent(e.comp(), k -> new int[BINS]);
        bins[bin(e.t())]++;
        if (e.ev().equals("FAULT_INJECTED") && faultMarks.size() < MAX_MARKS) {
            faultMarks.add(new long[] {e.dom(), e.t(), e.seq()});
            faultLanes.add(e.comp());
            String what = e.getString("fault");
            faultNames.add(what == null ? e.ev() : "FAULT_INJECTED " + what);
        }
        if (e.ev().equals("SCHEDULE_DEVIATION") && faultMarks.size() < MAX_MARKS) {
            // a controlled schedule left FIFO here: marked like a fault
            faultMarks.add(new long[] {e.dom(), e.t(), e.seq()});
            faultLanes.add(e.comp());
            faultNames.add("SCHEDULE_DEVIATION step " + e.getLong("step", -1) + ": candidate " + e.getLong("index", -1)
                    + " of " + e.getLong("candidates", -1) + " instead of the FIFO head");
        }
    }

    private static int compareComp(String a, String b) {
        int ia = COMPONENT_ORDER.indexOf(a);
        int ib = COMPONENT_ORDER.indexOf(b);
        if (ia < 0) ia = COMPONENT_ORDER.size();
        if (ib < 0) ib = COMPONENT_ORDER.size();
        return ia != ib ? Integer.compare(ia, ib) : a.compareTo(b);
    }

    private int bin(long t) {
        long b = (t - t0) * BINS / (t1 - t0 + 1);
        return (int) Math.max(0, Math.min(BINS - 1, b));
    }

    private double x(long t) {
        double f = (double) (Math.max(t0, Math.min(t1, t)) - t0) / (t1 - t0);
        return LABEL_W + f * PLOT_W;
    }

    /** Everything the report shows besides the lanes. */
    public record Content(String logName, RunInfo run, OfflineChecker checker, Timeline timeline,
                          Map<Long, TimelineAnalysis.Evidence> evidence, List<LogReader.Warning> warnings, long warningCount) {}

    public void write(Writer w, Content c) throws IOException {
        List<String> offline = c.checker().verdict();
        Set<String> online = c.run().onlineVerdict();
        boolean agree = new LinkedHashSet<>(offline).equals(online);
        w.write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        w.write("<title>xensim timeline: " + esc(c.logName()) + "</title>\n");
        w.write("<style>\n" + CSS + "</style>\n</head>\n<body>\n");
        // header
        w.write("<header>\n<h1>xensim timeline</h1>\n<p class=\"meta\">log <code>" + esc(c.logName()) + "</code>: "
                + String.format(Locale.ROOT, "%,d", c.run().events()) + " events, virtual time "
                + esc(VirtualTime.format(c.run().firstT())) + " – " + esc(VirtualTime.format(c.run().lastT()))
                + (c.warningCount() > 0 ? ", <a href=\"#warnings\">" + c.warningCount() + " warnings</a>" : "") + "</p>\n");
        if (!c.run().begin().isEmpty()) {
            w.write("<p class=\"meta\" id=\"run\">run:");
            for (Map.Entry<String, Object> en : c.run().begin().entrySet()) {
                w.write(" <span class=\"kv\">" + esc(en.getKey()) + "=<b>" + esc(String.valueOf(en.getValue())) + "</b></span>");
            }
            w.write("</p>\n");
        }
        if (!filter.isAll()) {
            w.write("<p class=\"meta\" id=\"filter\">showing " + (filter.guest() == null ? "all domains" : "dom" + filter.guest())
                    + ", " + esc(VirtualTime.format(t0)) + " – " + esc(VirtualTime.format(t1)) + " (the verdict is the whole log's)</p>\n");
        }
        w.write("<p id=\"verdict\" class=\"verdict " + (offline.isEmpty() ? "clean" : "violated") + "\">offline "
                + esc(c.checker().verdictLine()) + "<br>online (" + (c.run().hasRunEnd() ? "RUN_END" : "VIOLATION events; no RUN_END")
                + ") " + esc(c.run().onlineVerdictLine()) + "<br><span id=\"agreement\" data-agree=\"" + agree + "\">"
                + (agree ? "offline and online verdicts agree" : "offline and online verdicts DIFFER") + "</span>"
                + (c.checker().progressJudged() ? "" : "<br>no RUN_END: HANG (judged at RUN_END) was not judged") + "</p>\n");
        w.write("</header>\n");
        summary(w, c);
        swimlanes(w, c);
        violations(w, c);
        evidence(w, c);
        online(w, c);
        warnings(w, c);
        w.write("<script>\n" + JS + "</script>\n</body>\n</html>\n");
        w.flush();
    }

    private void summary(Writer w, Content c) throws IOException {
        w.write("<section id=\"summary\">\n<h2>Summary</h2>\n");
        List<String> phaseNames = List.of("create", "firmware boot", "disk read", "EBS", "handoff", "OS reconnect", "I/O", "shutdown");
        w.write("<table id=\"summary-table\" class=\"summary\">\n<tr><th>guest</th>");
        for (String p : phaseNames) w.write("<th>" + esc(p) + "</th>");
        w.write("<th>EBS notify order</th><th>violations</th></tr>\n");
        Map<Integer, List<OfflineChecker.Finding>> byDom = new TreeMap<>();
        for (OfflineChecker.Finding f : c.checker().findings()) byDom.computeIfAbsent(f.dom(), k -> new ArrayList<>()).add(f);
        int shownRows = 0;
        for (Timeline.Guest g : c.timeline().guests()) if (filter.domain(g.dom())) shownRows++;
        boolean paged = shownRows > PAGE_ROWS;
        int row = 0;
        for (Timeline.Guest g : c.timeline().guests()) {
            if (!filter.domain(g.dom())) continue;
            if (paged && row % PAGE_ROWS == 0) {
                // a large run's guests in pages: the hidden ones are parsed but never laid out
                w.write((row == 0 ? "" : "</tbody>\n") + "<tbody class=\"page\" data-page=\"" + row / PAGE_ROWS + "\"" + (row == 0 ? "" : " hidden")
                        + ">\n");
            }
            row++;
            w.write("<tr class=\"guest-row\" data-dom=\"" + g.dom() + "\"><td>" + (detail.domain(g.dom())
                    ? "<a href=\"#lanes-dom" + g.dom() + "\">" + esc(g.label()) + "</a>" : esc(g.label())) + "</td>");
            for (String p : phaseNames) {
                Timeline.Phase ph = g.phase(p);
                if (ph == null) w.write("<td class=\"none\">–</td>");
                else w.write("<td class=\"" + (ph.complete() ? "done" : "incomplete") + "\" title=\"" + esc(VirtualTime.format(ph.start())
                        + " – " + (ph.complete() ? VirtualTime.format(ph.end()) : "never ended") + (ph.note() == null ? "" : "; " + ph.note()))
                        + "\">" + esc(VirtualTime.format(ph.duration())) + (ph.complete() ? "" : " (incomplete)") + "</td>");
            }
            w.write("<td>" + esc(g.notifyOrder()) + "</td><td>");
            for (OfflineChecker.Finding f : byDom.getOrDefault(g.dom(), List.of())) {
                w.write("<a class=\"vlink\" href=\"#" + vid(f) + "\">" + esc(f.invariant()) + "</a> ");
            }
            w.write("</td></tr>\n");
        }
        if (paged) {
            int pages = (shownRows + PAGE_ROWS - 1) / PAGE_ROWS;
            w.write("</tbody>\n</table>\n");
            w.write(String.format(Locale.ROOT, "<p class=\"meta\" id=\"summary-pager\" data-pages=\"%d\"><button type=\"button\" "
                    + "data-step=\"-1\">&laquo; previous</button> <span class=\"page-label\">guests 1–%d of %,d</span> "
                    + "<button type=\"button\" data-step=\"1\">next &raquo;</button></p>%n", pages, PAGE_ROWS, shownRows));
            w.write("<script>\n" + PAGER_JS.replace("ROWS", Integer.toString(PAGE_ROWS)).replace("TOTAL", Integer.toString(shownRows))
                    + "</script>\n");
        } else {
            w.write("</table>\n");
        }
        w.write("<table id=\"invariants\" class=\"summary\">\n<tr><th>invariant</th><th>offline</th><th>occurrences</th><th>online</th></tr>\n");
        Set<String> online = c.run().onlineVerdict();
        for (String inv : OfflineChecker.INVARIANTS) {
            long n = c.checker().count(inv);
            boolean on = online.contains(inv);
            w.write("<tr data-invariant=\"" + inv + "\"" + ((n > 0) != on ? " class=\"differs\"" : "") + "><td>" + inv + "</td><td class=\""
                    + (n > 0 ? "bad\">VIOLATED" : "ok\">ok") + "</td><td>" + n + "</td><td class=\"" + (on ? "bad\">VIOLATED" : "ok\">ok")
                    + "</td></tr>\n");
        }
        w.write("</table>\n</section>\n");
    }

    private void swimlanes(Writer w, Content c) throws IOException {
        w.write("<section id=\"swimlanes\">\n<h2>Swimlanes</h2>\n<p class=\"meta\">Virtual time " + esc(VirtualTime.format(t0)) + " – "
                + esc(VirtualTime.format(t1)) + ". Shade: events per " + esc(VirtualTime.format(Math.max(1, (t1 - t0) / BINS)))
                + "; dots: evidence events (click to jump); red marks: violations.</p>\n");
        Set<Integer> doms = new java.util.TreeSet<>(lanes.keySet());
        for (Timeline.Guest g : c.timeline().guests()) if (filter.domain(g.dom()) && detail.domain(g.dom())) doms.add(g.dom());
        if (!detail.all()) {
            int first = c.timeline().guests().stream().map(Timeline.Guest::dom).filter(d -> !detail.domain(d) && filter.domain(d))
                    .findFirst().orElse(1);
            w.write(String.format(Locale.ROOT, "<p class=\"meta\" id=\"lanes-thinned\" data-shown=\"%d\" data-guests=\"%d\">Lanes of %d of "
                    + "%,d guests (those with violations first, then the lowest domids) and the host; every guest is in the summary "
                    + "above. One guest's lanes: <code>./xensim timeline %s --guest %d --html dom%d.html</code>.</p>%n",
                    detail.shownGuests(), detail.guests(), detail.shownGuests(), detail.guests(), esc(c.logName()), first, first));
        }
        for (int dom : doms) {
            Timeline.Guest guest = c.timeline().guest(dom);
            TreeMap<String, int[]> comps = lanes.getOrDefault(dom, new TreeMap<>());
            int rows = comps.size() + (guest != null ? 1 : 0);
            int h = 24 + rows * LANE_H + 8;
            String title = guest != null ? guest.label() : "dom" + dom + (dom == 0 ? " (host)" : "");
            w.write("<h3 id=\"lanes-dom" + dom + "\">" + esc(title) + "</h3>\n");
            w.write("<svg class=\"lanes\" data-dom=\"" + dom + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + (LABEL_W + PLOT_W + 10)
                    + "\" height=\"" + h + "\" viewBox=\"0 0 " + (LABEL_W + PLOT_W + 10) + " " + h + "\">\n");
            axis(w, h);
            int y = 24;
            if (guest != null) {
                w.write("<g class=\"swimlane phases\" data-dom=\"" + dom + "\" data-comp=\"phases\">\n");
                w.write("<text class=\"lane-label\" x=\"4\" y=\"" + (y + 15) + "\">phases</text>\n");
                int k = 0;
                for (Timeline.Phase p : guest.phases()) {
                    if (!filter.overlaps(p.start(), p.end())) continue;
                    double x0 = x(p.start());
                    double x1 = Math.max(x0 + 1, x(p.end()));
                    int yy = y + 3 + (p.name().equals("disk read") || p.name().equals("I/O") ? 9 : 0);
                    int hh = p.name().equals("disk read") || p.name().equals("I/O") ? 8 : 9;
                    w.write("<rect class=\"phase" + (p.complete() ? "" : " incomplete") + " p" + (k++ % 8) + "\" data-phase=\"" + esc(p.name())
                            + "\" x=\"" + f(x0) + "\" y=\"" + yy + "\" width=\"" + f(x1 - x0) + "\" height=\"" + hh + "\"><title>" + esc(p.name()
                            + ": " + VirtualTime.format(p.duration()) + (p.complete() ? "" : " (incomplete)") + " from " + VirtualTime.format(p.start())
                            + (p.note() == null ? "" : "; " + p.note())) + "</title></rect>\n");
                    if (hh == 9 && x1 - x0 >= 7 * p.name().length() + 6) {
                        w.write("<text class=\"phase-label\" x=\"" + f(x0 + 3) + "\" y=\"" + (yy + 8) + "\">" + esc(p.name()) + "</text>\n");
                    }
                }
                for (OfflineChecker.Finding fd : c.checker().findings()) {
                    if (fd.dom() != dom || !filter.time(fd.t())) continue;
                    double xv = x(fd.t());
                    w.write("<a href=\"#" + vid(fd) + "\"><path class=\"violation-marker\" data-invariant=\"" + fd.invariant() + "\" d=\"M"
                            + f(xv) + " " + (y + 1) + " l5 9 l-5 9 l-5 -9 z\"><title>" + esc(fd.invariant() + " at " + VirtualTime.format(fd.t())
                            + ": " + fd.detail()) + "</title></path></a>\n");
                }
                w.write("</g>\n");
                y += LANE_H;
            }
            for (Map.Entry<String, int[]> lane : comps.entrySet()) {
                String comp = lane.getKey();
                int[] bins = lane.getValue();
                int max = 1;
                for (int b : bins) max = Math.max(max, b);
                w.write("<g class=\"swimlane\" data-dom=\"" + dom + "\" data-comp=\"" + esc(comp) + "\">\n");
                w.write("<text class=\"lane-label\" x=\"4\" y=\"" + (y + 15) + "\">" + esc(comp) + "</text>\n");
                w.write("<rect class=\"lane-bg\" x=\"" + LABEL_W + "\" y=\"" + (y + 2) + "\" width=\"" + PLOT_W + "\" height=\"" + (LANE_H - 4) + "\"/>\n");
                double bw = (double) PLOT_W / BINS;
                for (int i = 0; i < BINS; i++) {
                    if (bins[i] == 0) continue;
                    double op = 0.25 + 0.75 * Math.log1p(bins[i]) / Math.log1p(max);
                    w.write("<rect class=\"tick\" x=\"" + f(LABEL_W + i * bw) + "\" y=\"" + (y + 4) + "\" width=\"" + f(Math.max(1, bw)) + "\" height=\""
                            + (LANE_H - 8) + "\" fill-opacity=\"" + f(op) + "\"><title>" + bins[i] + " event" + (bins[i] == 1 ? "" : "s") + "</title></rect>\n");
                }
                for (Map.Entry<Long, TimelineAnalysis.Evidence> ev : c.evidence().entrySet()) {
                    LogEvent e = ev.getValue().event();
                    if (e.dom() != dom || !comp.equals(e.comp()) || !filter.time(e.t())) continue;
                    w.write("<a href=\"#ev-" + e.seq() + "\"><circle class=\"evidence-marker\" data-seq=\"" + e.seq() + "\" cx=\"" + f(x(e.t()))
                            + "\" cy=\"" + (y + LANE_H / 2) + "\" r=\"4\"><title>" + esc(e.describe()) + "</title></circle></a>\n");
                }
                // each mark in its own event's lane (a deviation's lane is the runtime's, which a run without faults
                // has while it has no nemesis lane)
                for (int i = 0; i < faultMarks.size(); i++) {
                    long[] fm = faultMarks.get(i);
                    if (fm[0] != dom || !comp.equals(faultLanes.get(i))) continue;
                    w.write("<path class=\"fault-marker\" d=\"M" + f(x(fm[1])) + " " + (y + 2) + " l4 8 l-8 0 z\"><title>#" + fm[2] + " "
                            + esc(faultNames.get(i)) + " at " + esc(VirtualTime.format(fm[1])) + "</title></path>\n");
                }
                w.write("</g>\n");
                y += LANE_H;
            }
            w.write("</svg>\n");
        }
        w.write("</section>\n");
    }

    private void axis(Writer w, int h) throws IOException {
        w.write("<g class=\"axis\">\n");
        for (int i = 0; i <= 10; i++) {
            long t = t0 + (t1 - t0) * i / 10;
            double xx = x(t);
            w.write("<line x1=\"" + f(xx) + "\" y1=\"14\" x2=\"" + f(xx) + "\" y2=\"" + (h - 4) + "\"/>");
            w.write("<text x=\"" + f(xx) + "\" y=\"11\" text-anchor=\"" + (i == 0 ? "start" : i == 10 ? "end" : "middle") + "\">"
                    + esc(VirtualTime.format(t)) + "</text>\n");
        }
        w.write("</g>\n");
    }

    private void violations(Writer w, Content c) throws IOException {
        w.write("<section id=\"violations\">\n<h2>Violations (offline check)</h2>\n");
        List<OfflineChecker.Finding> shown = new ArrayList<>();
        for (OfflineChecker.Finding fd : c.checker().findings()) if (filter.domain(fd.dom())) shown.add(fd);
        if (shown.isEmpty()) w.write("<p class=\"none\" id=\"no-violations\">none</p>\n");
        for (OfflineChecker.Finding fd : shown) {
            w.write("<div class=\"violation\" id=\"" + vid(fd) + "\" data-invariant=\"" + fd.invariant() + "\" data-dom=\"" + fd.dom()
                    + "\" data-seq=\"" + fd.seq() + "\">\n<h3>" + fd.invariant() + " <span class=\"dom\">dom" + fd.dom() + "</span> at "
                    + esc(VirtualTime.format(fd.t())) + " (#" + fd.seq() + ")" + (c.checker().count(fd.invariant()) > 1
                    ? " <span class=\"count\">" + c.checker().count(fd.invariant()) + " occurrences in all domains</span>" : "") + "</h3>\n");
            w.write("<p>" + esc(fd.detail()) + "</p>\n<ol class=\"chain\">\n");
            for (long s : fd.evidence()) {
                TimelineAnalysis.Evidence ev = c.evidence().get(s);
                w.write("<li><a class=\"evidence-link\" href=\"#ev-" + s + "\">#" + s + "</a> "
                        + (ev == null ? "(not in the log)" : esc(ev.event().describe().substring(String.valueOf(s).length() + 1))) + "</li>\n");
            }
            w.write("</ol>\n</div>\n");
        }
        w.write("</section>\n");
    }

    private void evidence(Writer w, Content c) throws IOException {
        w.write("<section id=\"evidence\">\n<h2>Evidence events</h2>\n<table class=\"events\">\n<tr><th>seq</th><th>t</th><th>dom</th>"
                + "<th>comp</th><th>ev</th><th>line</th><th>JSON</th></tr>\n");
        for (TimelineAnalysis.Evidence ev : c.evidence().values()) {
            LogEvent e = ev.event();
            w.write("<tr class=\"evidence-event\" id=\"ev-" + e.seq() + "\" data-seq=\"" + e.seq() + "\"><td>#" + e.seq() + "</td><td>"
                    + esc(VirtualTime.format(e.t())) + "</td><td>" + e.dom() + "</td><td>" + esc(e.comp()) + "</td><td>" + esc(e.ev())
                    + "</td><td>" + e.line() + "</td><td><code>" + esc(ev.raw()) + "</code></td></tr>\n");
        }
        w.write("</table>\n</section>\n");
    }

    private void online(Writer w, Content c) throws IOException {
        w.write("<section id=\"online\">\n<h2>The online checker's reports (VIOLATION events in the log)</h2>\n");
        if (c.run().onlineViolations().isEmpty()) {
            w.write("<p class=\"none\">none</p>\n</section>\n");
            return;
        }
        w.write("<table class=\"events\">\n<tr><th>seq</th><th>t</th><th>dom</th><th>invariant</th><th>evidence</th><th>detail</th></tr>\n");
        for (RunInfo.OnlineViolation v : c.run().onlineViolations()) {
            if (!filter.domain(v.dom())) continue;
            w.write("<tr class=\"online-violation\" data-invariant=\"" + esc(String.valueOf(v.invariant())) + "\"><td>#" + v.seq() + "</td><td>"
                    + esc(VirtualTime.format(v.t())) + "</td><td>" + v.dom() + "</td><td>" + esc(String.valueOf(v.invariant())) + "</td><td>");
            for (long s : v.evidence()) w.write("<a href=\"#ev-" + s + "\">#" + s + "</a> ");
            w.write("</td><td>" + esc(String.valueOf(v.detail())) + "</td></tr>\n");
        }
        w.write("</table>\n</section>\n");
    }

    private void warnings(Writer w, Content c) throws IOException {
        w.write("<section id=\"warnings\">\n<h2>Reader warnings</h2>\n");
        if (c.warningCount() == 0) {
            w.write("<p class=\"none\">none</p>\n</section>\n");
            return;
        }
        w.write("<ul>\n");
        for (LogReader.Warning warn : c.warnings()) {
            w.write("<li class=\"warning\" data-line=\"" + warn.line() + "\">" + esc(warn.toString()) + "</li>\n");
        }
        if (c.warningCount() > c.warnings().size()) w.write("<li>… and " + (c.warningCount() - c.warnings().size()) + " more</li>\n");
        w.write("</ul>\n</section>\n");
    }

    private static String vid(OfflineChecker.Finding f) {
        return "v-" + f.invariant() + "-" + f.dom();
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** HTML text and attribute escaping. */
    static String esc(String s) {
        if (s == null) return "";
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            String rep = switch (ch) {
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '&' -> "&amp;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (rep != null || ch < 0x20 && ch != '\n' && ch != '\t') {
                if (sb == null) sb = new StringBuilder(s.length() + 16).append(s, 0, i);
                sb.append(rep != null ? rep : "\uFFFD");
            } else if (sb != null) sb.append(ch);
        }
        return sb == null ? s : sb.toString();
    }

    /** The evidence seqs of findings and online violations (and the VIOLATION events themselves). */
    static Set<Long> evidenceSeqs(Collection<OfflineChecker.Finding> findings, Collection<RunInfo.OnlineViolation> online) {
        Set<Long> s = new java.util.TreeSet<>();
        for (OfflineChecker.Finding f : findings) s.addAll(f.evidence());
        for (RunInfo.OnlineViolation v : online) {
            s.add(v.seq());
            s.addAll(v.evidence());
        }
        return s;
    }

    private static final String CSS = """
            body { font: 14px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #222; }
            h1 { margin: 0 0 .2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.5em; } h3 { margin: .8em 0 .3em; }
            .meta { color: #555; margin: .2em 0; } .kv { margin-right: .8em; }
            code { font: 12px ui-monospace, monospace; word-break: break-all; }
            .verdict { font-weight: bold; padding: .4em .8em; border-radius: 4px; display: inline-block; }
            .verdict.clean { background: #e3f6e3; } .verdict.violated { background: #fde2e2; }
            table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
            th { background: #f3f3f3; } td.incomplete, td.bad { color: #b00; font-weight: bold; } td.none { color: #aaa; }
            tr.differs { background: #fff3cd; } td.ok { color: #286; }
            svg.lanes { display: block; background: #fff; border: 1px solid #ddd; margin-bottom: .5em; }
            .axis line { stroke: #eee; } .axis text { font-size: 10px; fill: #888; }
            .lane-label { font-size: 12px; fill: #333; } .lane-bg { fill: #f7f7f7; }
            .phase-label { font-size: 8px; fill: #222; pointer-events: none; }
            .tick { fill: #3366aa; }
            .phase { stroke: #333; stroke-width: .5; } .phase.incomplete { stroke: #b00; stroke-dasharray: 3 2; fill-opacity: .5; }
            .p0 { fill: #8dd3c7; } .p1 { fill: #ffffb3; } .p2 { fill: #bebada; } .p3 { fill: #fb8072; }
            .p4 { fill: #80b1d3; } .p5 { fill: #fdb462; } .p6 { fill: #b3de69; } .p7 { fill: #fccde5; }
            .violation-marker { fill: #d00; stroke: #600; } .evidence-marker { fill: #f90; stroke: #630; }
            .fault-marker { fill: #a0f; }
            .violation { border-left: 4px solid #d00; background: #fff5f5; padding: .2em 1em; margin: .8em 0; }
            .violation:target, tr:target { outline: 2px solid #f90; }
            ol.chain li { font: 12px ui-monospace, monospace; }
            tr.evidence-event.hl { background: #fff0c0; }
            .count { font-size: 12px; color: #777; font-weight: normal; }
            """;

    private static final String PAGER_JS = """
            (function () {
              var pages = document.querySelectorAll('#summary-table tbody.page'), at = 0;
              var label = document.querySelector('#summary-pager .page-label');
              document.getElementById('summary-pager').setAttribute('data-pager', 'ok');
              document.querySelectorAll('#summary-pager button').forEach(function (b) {
                b.addEventListener('click', function () {
                  var next = at + Number(b.getAttribute('data-step'));
                  if (next < 0 || next >= pages.length) return;
                  pages[at].hidden = true; pages[next].hidden = false; at = next;
                  label.textContent = 'guests ' + (at * ROWS + 1) + '\u2013' + Math.min(TOTAL, (at + 1) * ROWS) + ' of ' + (TOTAL).toLocaleString('en');
                });
              });
            })();
            """;

    private static final String JS = """
            (function () {
              var v = document.querySelectorAll('div.violation');
              document.body.setAttribute('data-rendered', 'ok');
              document.body.setAttribute('data-violations', String(v.length));
              document.querySelectorAll('div.violation').forEach(function (d) {
                d.addEventListener('click', function () {
                  document.querySelectorAll('tr.hl').forEach(function (r) { r.classList.remove('hl'); });
                  d.querySelectorAll('a.evidence-link').forEach(function (a) {
                    var r = document.getElementById(a.getAttribute('href').substring(1));
                    if (r) r.classList.add('hl');
                  });
                });
              });
            })();
            """;
}
