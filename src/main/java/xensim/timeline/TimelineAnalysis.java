package xensim.timeline;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs the analysis of one log file, streaming:
 *
 * <ol>
 *   <li>pass 1 — every event through {@link RunInfo}, the {@link OfflineChecker} and the
 *       {@link Timeline};</li>
 *   <li>pass 2, only when evidence, a trace or a report is asked for — the file is read again to
 *       pick up the events the findings name by seq (a bounded set), write the
 *       {@link PerfettoWriter} trace and count the HTML lanes' bins, knowing from pass 1 the span of
 *       virtual time and which domains a large run shows in {@link Detail}.</li>
 * </ol>
 *
 * Memory stays bounded by the simulated system's state, never by the log's length.
 */
public final class TimelineAnalysis {
    private TimelineAnalysis() {}

    /**
     * @param filter     narrows timelines, trace and report (never the verdict)
     * @param timeline   build the per-guest phases
     * @param chains     read the evidence events back (pass 2) for happens-before chains
     * @param perfetto   write a Chrome trace here, or null
     * @param html       write the HTML report here, or null
     */
    public record Options(Filter filter, boolean timeline, boolean chains, Path perfetto, Path html, int detail) {
        /** As below, with {@link Detail#AUTO}: a large run's trace and report are thinned. */
        public Options(Filter filter, boolean timeline, boolean chains, Path perfetto, Path html) {
            this(filter, timeline, chains, perfetto, html, Detail.AUTO);
        }

        /** Just the offline check (one pass, no timeline): what {@code timeline --check} and the bench run. */
        public static Options checkOnly() {
            return new Options(Filter.ALL, false, false, null, null);
        }
    }

    /** Writing an output (the trace or the report) failed: not a problem of the log being read. */
    public static final class OutputException extends IOException {
        private final Path path;

        OutputException(Path path, IOException cause) {
            super("cannot write " + path + ": " + cause.getMessage(), cause);
            this.path = path;
        }

        public Path path() {
            return path;
        }

        public IOException cause() {
            return (IOException) getCause();
        }
    }

    /** An output stream whose every failure is an {@link OutputException} for {@code path}. */
    private static final class Output extends java.io.FilterOutputStream {
        private final Path path;

        Output(Path path) throws OutputException {
            super(open(path));
            this.path = path;
        }

        private static OutputStream open(Path p) throws OutputException {
            try {
                return Files.newOutputStream(p);
            } catch (IOException e) {
                throw new OutputException(p, e);
            }
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw new OutputException(path, e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw new OutputException(path, e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw new OutputException(path, e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } catch (IOException e) {
                throw new OutputException(path, e);
            }
        }
    }

    /** An event named as evidence, with its line as written in the log. */
    public record Evidence(LogEvent event, String raw) {}

    /** What the passes found. */
    public record Result(Path log, RunInfo run, OfflineChecker checker, Timeline timeline, Map<Long, Evidence> evidence,
                         List<LogReader.Warning> warnings, long warningCount, long lines, long bytes, long perfettoEvents,
                         long perfettoFlows, Detail detail) {
        /** Offline and online verdicts name the same invariants. */
        public boolean agrees() {
            return new LinkedHashSet<>(checker.verdict()).equals(run.onlineVerdict());
        }
    }

    public static Result analyse(Path log, Options o) throws IOException {
        RunInfo run = new RunInfo();
        OfflineChecker checker = new OfflineChecker();
        Timeline timeline = new Timeline();
        boolean wantTimeline = o.timeline() || o.perfetto() != null || o.html() != null;
        List<LogReader.Warning> warnings;
        long warningCount;
        long lines;
        long bytes;
        long traceEvents = 0;
        long traceFlows = 0;
        try (LogReader r = LogReader.open(log)) {
            LogEvent e;
            if (wantTimeline) {
                while ((e = r.next()) != null) {
                    run.accept(e);
                    checker.accept(e);
                    timeline.accept(e);
                }
            } else {
                while ((e = r.next()) != null) {
                    run.accept(e);
                    checker.accept(e);
                }
            }
            timeline.finish();
            warnings = r.warnings();
            warningCount = r.warningCount();
            lines = r.lines();
            bytes = r.bytes();
        }

        Map<Long, Evidence> evidence = new TreeMap<>();
        Detail detail = o.perfetto() != null || o.html() != null ? Detail.choose(run, checker, o.filter(), o.detail()) : Detail.EVERYTHING;
        if (o.chains() || o.html() != null || o.perfetto() != null) {
            Set<Long> wanted = o.chains() || o.html() != null ? HtmlReport.evidenceSeqs(checker.findings(), run.onlineViolations()) : Set.of();
            long from = Math.max(o.filter().from(), run.firstT());
            long to = Math.min(o.filter().to(), run.lastT());
            HtmlReport html = o.html() == null ? null : new HtmlReport(o.filter(), from, Math.max(from, to), detail);
            if (!wanted.isEmpty() || html != null || o.perfetto() != null) {
                OutputStream traceOut = o.perfetto() == null ? null : traceStream(o.perfetto());
                try (LogReader r = LogReader.open(log);
                     PerfettoWriter trace = traceOut == null ? null : new PerfettoWriter(traceOut, o.filter(), detail)) {
                    LogEvent e;
                    while ((e = r.next()) != null) {
                        if (!wanted.isEmpty() && wanted.contains(e.seq())) evidence.putIfAbsent(e.seq(), new Evidence(e, r.currentLine()));
                        if (html != null) html.accept(e);
                        if (trace != null) trace.accept(e);
                    }
                    if (trace != null) {
                        trace.finish(timeline, checker.findings(), run.domainNames());
                        traceEvents = trace.written();
                        traceFlows = trace.flows();
                    }
                } finally {
                    if (traceOut != null) traceOut.close();
                }
            }
            if (html != null) {
                try (Writer w = new java.io.BufferedWriter(new java.io.OutputStreamWriter(new Output(o.html()), StandardCharsets.UTF_8), 1 << 16)) {
                    html.write(w, new HtmlReport.Content(log.getFileName().toString(), run, checker, timeline, evidence, warnings,
                            warningCount));
                }
            }
        }
        return new Result(log, run, checker, timeline, Collections.unmodifiableMap(evidence), warnings, warningCount, lines, bytes,
                traceEvents, traceFlows, detail);
    }

    /** The trace's output: gzip-compressed when the name ends in {@code .gz} (ui.perfetto.dev opens either). */
    private static OutputStream traceStream(Path p) throws IOException {
        OutputStream raw = new Output(p);
        if (!p.getFileName().toString().endsWith(".gz")) return new BufferedOutputStream(raw, 1 << 16);
        try {
            return new BufferedOutputStream(new java.util.zip.GZIPOutputStream(raw, 1 << 16) {
                { def.setLevel(java.util.zip.Deflater.BEST_SPEED); }
            }, 1 << 16);
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }
}
