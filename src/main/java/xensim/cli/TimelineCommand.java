package xensim.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import xensim.timeline.Filter;
import xensim.timeline.LogReader;
import xensim.timeline.OfflineChecker;
import xensim.timeline.TimelineAnalysis;
import xensim.timeline.VirtualTime;

/**
 * {@code xensim timeline LOG}: analyse an events.jsonl offline — per-guest phase timelines, the
 * happens-before chain behind each violation, an independent re-check ({@code --check}), a
 * Perfetto trace ({@code --perfetto}) and an HTML report ({@code --html}). Exit codes: with
 * {@code --check} 1 when the offline verdict is a violation, else 0; 2 for a missing or unreadable
 * LOG or bad options. Reader warnings (skipped lines) go to stderr.
 */
@Command(name = "timeline", description = "Analyse an events.jsonl offline: per-guest phase timelines with durations, the events behind"
        + " each violation, an independent re-check of every invariant, a Perfetto trace, an HTML report.")
public final class TimelineCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "LOG", description = "the events.jsonl of a run")
    Path log;

    @Option(names = "--check", description = "only re-judge the invariants from the log and print the verdict; exit 1 on a violation")
    boolean check;

    @Option(names = "--perfetto", paramLabel = "F", description = "write a Chrome Trace Event JSON for ui.perfetto.dev to F")
    Path perfetto;

    @Option(names = "--html", paramLabel = "F", description = "write a self-contained HTML report to F")
    Path html;

    @Option(names = "--trace-detail", paramLabel = "auto|all|N", defaultValue = "auto",
            description = "the guests whose every event the trace and the report's lanes show: auto (default: all up to "
                    + xensim.timeline.Detail.AUTO_ALL_UP_TO + " guests, else " + xensim.timeline.Detail.AUTO_SAMPLE
                    + ", those with violations first), all, or a count; every guest's phases are always there. "
                    + "A --perfetto name ending in .gz is written gzip-compressed")
    String traceDetail;

    @Option(names = "--guest", paramLabel = "D", description = "show only domain D (the verdict stays the whole log's)")
    Integer guest;

    @Option(names = "--from", paramLabel = "T", description = "show from virtual time T (e.g. 5ms, 200us, 1s, or plain ns)")
    String from;

    @Option(names = "--to", paramLabel = "T", description = "show up to virtual time T")
    String to;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Filter filter = filter();
        UserPaths.inputFile(log, "LOG");
        UserPaths.outputFile(perfetto, "--perfetto");
        UserPaths.outputFile(html, "--html");

        TimelineAnalysis.Result r;
        try {
            r = TimelineAnalysis.analyse(log, new TimelineAnalysis.Options(filter, !check, !check, perfetto, html, detail(traceDetail)));
        } catch (TimelineAnalysis.OutputException e) {
            String option = e.path().equals(html) ? "--html" : "--perfetto";
            throw new BadInputException(option + " " + e.path() + ": cannot write it (" + UserPaths.reason(e.path(), e.cause()) + ")", e);
        } catch (IOException e) {
            throw new BadInputException("cannot read " + log + ": " + UserPaths.reason(log, e), e);
        }
        for (LogReader.Warning w : r.warnings()) err.println("xensim: warning: " + log.getFileName() + ": " + w);
        if (r.warningCount() > r.warnings().size()) {
            err.println("xensim: warning: … and " + (r.warningCount() - r.warnings().size()) + " more skipped or suspicious lines");
        }
        if (r.run().events() == 0) throw new BadInputException(log + ": no events (" + r.lines() + " lines, none a valid event)");
        if (!r.checker().progressJudged()) {
            err.println("xensim: warning: " + log.getFileName() + " has no RUN_END (truncated?): HANG, judged at RUN_END, was not judged");
        }

        if (!check) {
            header(out, r);
            r.timeline().print(out, filter);
            chains(out, r, filter);
        } else {
            for (OfflineChecker.Finding f : r.checker().findings()) {
                out.println("VIOLATION " + f.invariant() + " dom" + f.dom() + " at #" + f.seq() + " (" + VirtualTime.format(f.t()) + "): "
                        + f.detail() + "; evidence " + seqs(f));
            }
        }
        out.println(r.checker().verdictLine());
        String online = r.run().hasRunEnd() ? "online verdict (RUN_END): " : "online verdict (VIOLATION events, no RUN_END): ";
        out.println(online + r.run().onlineVerdictLine().substring("verdict: ".length()) + (r.agrees() ? " (agrees)" : " (DIFFERS from offline)"));
        if (perfetto != null) out.println("perfetto: wrote " + perfetto + " (" + r.perfettoEvents() + " trace events, " + r.perfettoFlows() + " flows"
                + (r.detail().all() ? "" : "; thinned: " + r.detail().describe() + "; --trace-detail all for every event") + ")");
        if (html != null) out.println("html: wrote " + html);
        out.flush();
        if (!check) return Main.EXIT_CLEAN;
        return r.checker().verdict().isEmpty() ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION;
    }

    /** --trace-detail: auto, all or a count >= 0; bad input → exit 2. */
    static int detail(String s) {
        if (s.equals("auto")) return xensim.timeline.Detail.AUTO;
        if (s.equals("all")) return xensim.timeline.Detail.ALL;
        try {
            int n = Integer.parseInt(s);
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // below
        }
        throw new BadInputException("--trace-detail: auto, all or a number of guests >= 0, got '" + s + "'");
    }

    private Filter filter() {
        long f = 0;
        long t = Long.MAX_VALUE;
        try {
            if (from != null) f = VirtualTime.parse(from);
            if (to != null) t = VirtualTime.parse(to);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        if (guest != null && guest < 0) throw new BadInputException("--guest must be a domain id >= 0");
        if (f > t) throw new BadInputException("--from " + from + " is after --to " + to);
        return new Filter(guest, f, t);
    }

    private void header(PrintWriter out, TimelineAnalysis.Result r) {
        out.printf("log: %s: %,d events in %,d lines%s, virtual time %s .. %s%n", log, r.run().events(), r.lines(),
                r.warningCount() > 0 ? " (" + r.warningCount() + " warnings)" : "", VirtualTime.format(r.run().firstT()),
                VirtualTime.format(r.run().lastT()));
        if (!r.run().begin().isEmpty()) {
            StringBuilder sb = new StringBuilder("run:");
            for (Map.Entry<String, Object> e : r.run().begin().entrySet()) sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
            out.println(sb);
        }
        Filter f = filter();
        if (!f.isAll()) {
            out.println("showing " + (f.guest() == null ? "all domains" : "dom" + f.guest()) + " from " + VirtualTime.format(f.from())
                    + (f.to() == Long.MAX_VALUE ? "" : " to " + VirtualTime.format(f.to())) + " (the verdict is the whole log's)");
        }
        if (r.timeline().guests().isEmpty()) out.println("(no guest events)");
        else if (f.guest() != null && !r.run().domains().contains(f.guest())) out.println("(no events of dom" + f.guest() + " in this log)");
        out.println();
    }

    private static void chains(PrintWriter out, TimelineAnalysis.Result r, Filter filter) {
        boolean any = false;
        for (OfflineChecker.Finding f : r.checker().findings()) {
            if (!filter.domain(f.dom())) continue;
            if (!any) {
                out.println();
                out.println("violations (offline check), each with the events that prove it, in order:");
                any = true;
            }
            long n = r.checker().count(f.invariant());
            out.println("  " + f.invariant() + " dom" + f.dom() + " at #" + f.seq() + " (" + VirtualTime.format(f.t()) + "): " + f.detail()
                    + (n > 1 ? "  [" + n + " occurrences in all domains]" : ""));
            for (long s : f.evidence()) {
                TimelineAnalysis.Evidence ev = r.evidence().get(s);
                out.println("    " + (ev == null ? "#" + s + " (not in the log)" : ev.event().describe()));
            }
        }
        if (!any) {
            out.println();
            out.println("violations (offline check): none");
        }
    }

    private static String seqs(OfflineChecker.Finding f) {
        StringBuilder sb = new StringBuilder();
        for (long s : f.evidence()) sb.append(sb.length() == 0 ? "#" : " #").append(s);
        return sb.toString();
    }
}
