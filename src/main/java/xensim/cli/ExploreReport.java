package xensim.cli;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import xensim.platform.Event;
import xensim.platform.EventSink;

/**
 * {@code explore}'s {@code OUT/report.html}: one self-contained page (inline CSS and script, no
 * network) a person looks at — the design × profile × invariant matrix as a heat map (colour: the
 * share of the row's runs that failed), each failing cell linking to the report.html of its
 * smallest failing seed (run again for the page, under {@code OUT/seeds/}) with its replay line;
 * per design, the ExitBootServices notify orders that ran and which of them failed; run counts,
 * seeds per minute and the environment (version, Java, cores, scenario, profiles, designs).
 * The command gathers the data ({@link Model}); this class only lays it out, and asks
 * {@link SeedRunner} to re-run the seeds it links to.
 */
final class ExploreReport {
    private ExploreReport() {}

    /**
     * One matrix cell: failing runs, and the smallest failing (seed, explicit order, schedule seed) with its replay line.
     * The schedule seed is the one the failing run used (under FIFO, the seed's default, which chooses nothing).
     */
    record Cell(int failing, long seed, List<Integer> order, long scheduleSeed, String replay) {}

    /**
     * One matrix row: a design under one profile combination and one schedule ({@code sched}, the index into the
     * command's schedules; {@code schedule} its text when it is a controlled one, null under FIFO).
     */
    record Row(String name, String design, int combo, int sched, String schedule, Map<String, String> profiles, int runs,
               Map<String, Cell> cells) {}

    /** One run's ExitBootServices notify order (the owners, in the order they ran), whether it was edk2's own, its verdict. */
    record OrderRun(String design, String row, List<String> order, boolean edk2, Set<String> violations) {}

    /** Everything the page shows. */
    record Model(String title, List<String> invariants, List<Row> rows, List<OrderRun> orderRuns, int runs, double seconds,
                 int jobs, Map<String, String> environment) {}

    /**
     * Runs one failing cell's run again, exactly (its seed, order and, under a controlled schedule, the schedule and
     * schedule seed that found it), with its events written to {@code dir} and its report.html beside them.
     */
    @FunctionalInterface
    interface SeedRunner {
        void run(Row row, Cell cell, Path dir) throws Exception;
    }

    /** At most this many seeds are run again for their reports (beyond it a cell shows its replay line only). */
    static final int MAX_SEED_REPORTS = 200;

    /**
     * Re-runs the smallest failing seed of each failing cell (once per row, seed and order) into
     * {@code out/seeds/...}, then writes {@code out/report.html}. Returns the page and how many seed reports it links.
     */
    static int write(Path out, Model m, SeedRunner runner) throws Exception {
        Map<String, String> links = new LinkedHashMap<>();
        int made = 0;
        for (Row r : m.rows()) {
            for (Cell c : r.cells().values()) {
                if (c.failing() == 0) continue;
                String key = key(r, c);
                if (links.containsKey(key) || made >= MAX_SEED_REPORTS) continue;
                String rel = "seeds/" + slug(r.design()) + "-" + (r.combo() + 1)
                        + (r.schedule() == null ? "" : "-" + slug(r.schedule()) + "-" + (r.sched() + 1)) + "-seed" + c.seed()
                        + (r.schedule() == null ? "" : "-schedule-seed" + c.scheduleSeed())
                        + (c.order() == null ? "" : "-order-" + c.order().stream().map(String::valueOf).collect(Collectors.joining("-")));
                Path dir = out.resolve(rel);
                Files.createDirectories(dir);
                runner.run(r, c, dir);
                if (Files.isRegularFile(dir.resolve("report.html"))) {
                    links.put(key, rel + "/report.html");
                    made++;
                }
            }
        }
        try (Writer w = Files.newBufferedWriter(out.resolve("report.html"), StandardCharsets.UTF_8)) {
            page(w, m, links);
        }
        return made;
    }

    private static String key(Row r, Cell c) {
        return r.name() + "|" + c.seed() + "|" + c.order() + "|" + (r.schedule() == null ? "" : c.scheduleSeed());
    }

    static String slug(String s) {
        return s.replaceAll("[^A-Za-z0-9.-]+", "_");
    }

    private static void page(Writer w, Model m, Map<String, String> links) throws IOException {
        w.write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>xensim explore: "
                + esc(m.title()) + "</title>\n<style>\n" + CSS + "</style>\n</head>\n<body>\n");
        int failingRuns = 0;
        for (OrderRun o : m.orderRuns()) if (!o.violations().isEmpty()) failingRuns++;
        w.write("<header>\n<h1>xensim explore</h1>\n<p class=\"meta\">" + esc(m.title()) + "</p>\n");
        w.write(String.format(Locale.ROOT, "<p id=\"counts\" class=\"meta\" data-runs=\"%d\"><b>%,d</b> runs (%,d with a violation) in"
                        + " %.1f s on %d jobs: <b>%,.0f</b> seeds/min</p>\n", m.runs(), m.runs(), failingRuns, m.seconds(), m.jobs(),
                m.seconds() > 0 ? m.runs() / m.seconds() * 60 : 0.0));
        w.write("</header>\n");

        // the heat map
        w.write("<section id=\"matrix\">\n<h2>Failing runs: design × profile × invariant</h2>\n"
                + "<p class=\"note\">Each cell: failing runs / runs of the row; colour: the failing share. A failing cell links to"
                + " the report of its smallest failing seed; its replay line is below the map.</p>\n");
        w.write("<table class=\"heat\">\n<thead><tr><th>design</th><th>profiles</th>");
        for (String i : m.invariants()) w.write("<th class=\"inv\"><span>" + esc(i) + "</span></th>");
        w.write("</tr></thead>\n<tbody>\n");
        for (Row r : m.rows()) {
            w.write("<tr data-design=\"" + esc(r.design()) + "\"><th class=\"design\">" + esc(r.design()) + "</th><td class=\"prof\" title=\""
                    + esc(r.profiles().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "))) + "\">"
                    + esc(String.join(" ", r.profiles().values())) + "</td>");
            for (String i : m.invariants()) {
                Cell c = r.cells().get(i);
                int f = c == null ? 0 : c.failing();
                double share = r.runs() == 0 ? 0 : (double) f / r.runs();
                if (f == 0) {
                    w.write("<td class=\"cell ok\" title=\"" + esc(r.name() + " × " + i) + ": no failing run\">0</td>");
                    continue;
                }
                String link = links.get(key(r, c));
                String title = r.name() + " × " + i + ": " + f + " of " + r.runs() + " runs fail; smallest seed " + c.seed()
                        + (c.order() == null ? "" : " order " + c.order()) + " — " + c.replay();
                w.write("<td class=\"cell fail\" style=\"background:" + colour(share) + ";color:" + (share > 0.55 ? "#fff" : "#000")
                        + "\" data-share=\"" + String.format(Locale.ROOT, "%.3f", share) + "\" title=\"" + esc(title) + "\">");
                String text = f + "/" + r.runs();
                if (link != null) w.write("<a class=\"seed\" href=\"" + esc(link) + "\">" + text + "</a>");
                else w.write(text);
                w.write("</td>");
            }
            w.write("</tr>\n");
        }
        w.write("</tbody>\n</table>\n");
        w.write("<div class=\"legend\"><span>failing share</span>");
        for (int k = 0; k <= 4; k++) {
            double s = k / 4.0;
            w.write("<span class=\"sw\" style=\"background:" + (k == 0 ? "#eef6ee" : colour(s)) + "\"></span><span>"
                    + (k * 25) + "%</span>");
        }
        w.write("</div>\n</section>\n");

        // the failing cells with their replay lines
        w.write("<section id=\"failing\">\n<h2>Smallest failing seed per cell</h2>\n");
        boolean any = false;
        for (Row r : m.rows()) {
            for (String i : m.invariants()) {
                Cell c = r.cells().get(i);
                if (c == null || c.failing() == 0) continue;
                if (!any) w.write("<ul class=\"cells\">\n");
                any = true;
                String link = links.get(key(r, c));
                w.write("<li><b>" + esc(r.name()) + "</b> × <b>" + esc(i) + "</b>: " + c.failing() + "/" + r.runs() + ", seed "
                        + c.seed() + (c.order() == null ? "" : " order " + esc(c.order().toString()))
                        + (link == null ? "" : " — <a class=\"seedlist\" href=\"" + esc(link) + "\">its report</a>")
                        + "<br><code class=\"replay\">" + esc(c.replay()) + "</code></li>\n");
            }
        }
        w.write(any ? "</ul>\n" : "<p class=\"clean\">No violations.</p>\n");
        w.write("</section>\n");

        // EBS orders per design
        w.write("<section id=\"orders\">\n<h2>ExitBootServices notify orders per design</h2>\n<p class=\"note\">The notify"
                + " functions of the first guest's (last) ExitBootServices in the order they ran; <i>edk2</i>: the order edk2's own"
                + " queues give (highest TPL first, the latest created first). Red rows are orders with failing runs.</p>\n");
        Map<String, Map<List<String>, OrderStat>> byDesign = new LinkedHashMap<>();
        for (Row r : m.rows()) byDesign.computeIfAbsent(r.design(), k -> new LinkedHashMap<>());
        for (OrderRun o : m.orderRuns()) {
            OrderStat st = byDesign.computeIfAbsent(o.design(), k -> new LinkedHashMap<>()).computeIfAbsent(o.order(), k -> new OrderStat());
            st.runs++;
            if (o.edk2()) st.edk2++;
            if (!o.violations().isEmpty()) {
                st.failing++;
                st.invariants.addAll(o.violations());
                st.rows.add(o.row());
            }
        }
        for (Map.Entry<String, Map<List<String>, OrderStat>> d : byDesign.entrySet()) {
            long bad = d.getValue().values().stream().filter(s -> s.failing > 0).count();
            w.write("<div class=\"design-orders\" data-design=\"" + esc(d.getKey()) + "\" data-failing-orders=\"" + bad + "\"><h3>"
                    + esc(d.getKey()) + " <span class=\"meta\">" + d.getValue().size() + " order" + (d.getValue().size() == 1 ? "" : "s")
                    + ", " + bad + " failing</span></h3>\n<table class=\"orders\"><thead><tr><th>order</th><th>runs</th><th>failing</th>"
                    + "<th>invariants</th><th>failing in</th></tr></thead><tbody>\n");
            if (d.getValue().isEmpty()) w.write("<tr><td colspan=\"5\">no run reached ExitBootServices</td></tr>\n");
            for (Map.Entry<List<String>, OrderStat> e : d.getValue().entrySet()) {
                OrderStat st = e.getValue();
                String mark = st.edk2 == 0 ? "" : st.edk2 == st.runs ? " <i>edk2</i>" : " <i>edk2 in " + st.edk2 + "</i>";
                w.write("<tr class=\"" + (st.failing > 0 ? "bad" : "good") + "\"><td>" + (e.getKey().isEmpty() ? "(none)"
                        : esc(String.join(" → ", e.getKey()))) + mark + "</td><td>" + st.runs + "</td><td>" + st.failing + "</td><td>"
                        + esc(String.join(" ", st.invariants)) + "</td><td>" + esc(String.join("; ", st.rows)) + "</td></tr>\n");
            }
            w.write("</tbody></table></div>\n");
        }
        w.write("</section>\n");

        // environment
        w.write("<section id=\"environment\">\n<h2>Environment</h2>\n<table class=\"env\">\n");
        for (Map.Entry<String, String> e : m.environment().entrySet()) {
            w.write("<tr><th>" + esc(e.getKey()) + "</th><td>" + esc(e.getValue()) + "</td></tr>\n");
        }
        w.write("</table>\n</section>\n");
        w.write("<script>\n" + JS + "</script>\n</body>\n</html>\n");
    }

    private static final class OrderStat {
        int runs;
        int failing;
        int edk2;
        final Set<String> invariants = new TreeSet<>();
        final Set<String> rows = new LinkedHashSet<>();
    }

    /** White through orange to dark red by the failing share. */
    static String colour(double share) {
        double s = Math.max(0, Math.min(1, share));
        int r = (int) Math.round(255 - 75 * s);
        int g = (int) Math.round(220 - 210 * s);
        int b = (int) Math.round(180 - 170 * s);
        return String.format(Locale.ROOT, "rgb(%d,%d,%d)", r, g, b);
    }

    static String esc(String s) {
        if (s == null) return "";
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
    }

    /**
     * Watches one run for the first guest's ExitBootServices notify order: the owners of its
     * EBS_NOTIFY_BEGIN events in run order and their indexes in creation order ({@code registered});
     * a retried ExitBootServices starts again (the last call is the one whose group ran).
     */
    static final class NotifyOrderWatch implements EventSink {
        private int dom = -1;
        private final List<String> owners = new ArrayList<>();
        private final List<Integer> registered = new ArrayList<>();

        /** The events {@link #accept} reads (the log builds no other for this sink). */
        @Override
        public boolean wants(String ev) {
            return switch (ev) {
                case "EBS_BEGIN", "EBS_NOTIFY_BEGIN" -> true;
                default -> false;
            };
        }

        @Override
        public synchronized void accept(Event e) {
            switch (e.ev()) {
                case "EBS_BEGIN" -> {
                    if (dom < 0) dom = e.dom();
                    if (e.dom() == dom) {
                        owners.clear();
                        registered.clear();
                    }
                }
                case "EBS_NOTIFY_BEGIN" -> {
                    if (e.dom() == dom) {
                        owners.add(e.getString("driver"));
                        registered.add((int) e.getLong("registered"));
                    }
                }
                default -> { }
            }
        }

        synchronized List<String> owners() {
            return List.copyOf(owners);
        }

        synchronized List<Integer> registered() {
            return List.copyOf(registered);
        }
    }

    private static final String CSS = """
            body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
            h1 { margin: 0 0 .2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; } h3 { margin: 1em 0 .3em; }
            .meta { color: #555; } .note { color: #555; max-width: 60em; }
            table { border-collapse: collapse; }
            table.heat th, table.heat td { border: 1px solid #fff; padding: 3px 6px; }
            table.heat th.inv { height: 9em; vertical-align: bottom; white-space: nowrap; }
            table.heat th.inv span { writing-mode: vertical-rl; transform: rotate(180deg); }
            table.heat th.design { text-align: left; white-space: nowrap; }
            td.prof { color: #555; white-space: nowrap; font-size: 12px; }
            td.cell { text-align: center; min-width: 3.2em; font-variant-numeric: tabular-nums; }
            td.cell.ok { background: #eef6ee; color: #8a8; }
            td.cell a { color: inherit; font-weight: bold; }
            .legend { margin-top: .5em; display: flex; gap: .4em; align-items: center; color: #555; font-size: 12px; }
            .legend .sw { display: inline-block; width: 1.6em; height: 1em; border: 1px solid #ccc; }
            ul.cells li { margin-bottom: .4em; }
            code.replay { font-size: 12px; background: #f4f4f4; padding: 1px 4px; user-select: all; }
            table.orders th, table.orders td, table.env th, table.env td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
            table.orders tr.bad td { background: #fbe3e0; } table.orders tr.good td { background: #f3f8f3; }
            table.env th { background: #f6f6f6; font-weight: normal; color: #555; }
            .clean { color: #2a7; font-weight: bold; }
            td.cell.hl { outline: 2px solid #333; }
            """;

    /** Counts what was drawn (for the headless check) and highlights a row's cells on hover. */
    private static final String JS = """
            (function () {
              var cells = document.querySelectorAll('table.heat td.cell');
              var failing = document.querySelectorAll('table.heat td.cell.fail');
              var links = document.querySelectorAll('table.heat a.seed');
              document.body.setAttribute('data-cells', String(cells.length));
              document.body.setAttribute('data-failing-cells', String(failing.length));
              document.body.setAttribute('data-seed-links', String(links.length));
              document.body.setAttribute('data-order-tables', String(document.querySelectorAll('div.design-orders').length));
              cells.forEach(function (td) {
                td.addEventListener('mouseenter', function () { td.parentNode.querySelectorAll('td.cell').forEach(function (x) { x.classList.add('hl'); }); });
                td.addEventListener('mouseleave', function () { td.parentNode.querySelectorAll('td.cell').forEach(function (x) { x.classList.remove('hl'); }); });
              });
              document.body.setAttribute('data-rendered', 'ok');
            })();
            """;
}
