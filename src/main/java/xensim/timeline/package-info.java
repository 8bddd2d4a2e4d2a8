/**
 * Log-based timeline analysis (issue 8, {@code ./xensim timeline LOG}): everything here works from
 * an {@code events.jsonl} file alone, streamed line by line so memory stays bounded however long the
 * log is.
 *
 * <ul>
 *   <li>{@link xensim.timeline.LogReader} — streams the log with Jackson's {@code JsonParser}; a
 *       malformed or truncated line becomes a warning with its line number and is skipped.</li>
 *   <li>{@link xensim.timeline.LogEvent} — one parsed line: the common fields and the event's own.</li>
 *   <li>{@link xensim.timeline.OfflineChecker} — re-judges every invariant of DESIGN.md §4 from the
 *       events, written independently of the online {@code xensim.check.InvariantChecker} against
 *       the rules in docs/events.md; it ignores the log's VIOLATION events and RUN_END verdict.</li>
 *   <li>{@link xensim.timeline.RunInfo} — RUN_BEGIN/RUN_END and the online checker's verdict as
 *       logged, to compare with the offline one.</li>
 *   <li>{@link xensim.timeline.Timeline} — per-guest phases (create, firmware boot, disk read, EBS
 *       with its notify order, handoff, OS reconnect, I/O, shutdown) in virtual time.</li>
 *   <li>{@link xensim.timeline.PerfettoWriter} — Chrome Trace Event JSON for ui.perfetto.dev.</li>
 *   <li>{@link xensim.timeline.HtmlReport} — one self-contained HTML file with SVG swimlanes.</li>
 *   <li>{@link xensim.timeline.TimelineAnalysis} — runs the passes over a log file and ties the
 *       above together for the {@code timeline} command.</li>
 * </ul>
 *
 * <p>Nothing here reads the wall clock: all times are the log's virtual {@code t} (ns).
 */
package xensim.timeline;
