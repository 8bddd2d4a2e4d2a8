package xensim.timeline;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a Chrome Trace Event JSON file (the object form, {@code {"traceEvents": [...]}}) that
 * ui.perfetto.dev and chrome://tracing open, streaming as the log is read:
 *
 * <ul>
 *   <li>one process per domain: {@code pid = dom + 1} (pid 0 is special in trace viewers), named
 *       by {@code process_name} metadata ("dom1 (guest-1)");</li>
 *   <li>one thread per component inside it ({@code tid = pid * 1000 + n}, globally unique), named
 *       by {@code thread_name} metadata, plus a "phases" thread (the guest's phases as {@code X}
 *       slices, EBS notifies nested in EBS, disk read in firmware boot), a "phases: I/O" thread
 *       and an "offline check" thread;</li>
 *   <li>every event as a 1 ns {@code X} slice on its component's thread (args: the event's fields,
 *       {@code seq} and the exact virtual time {@code t_ns}); events at the same virtual instant on
 *       one thread are laid 1 ns apart in seq order so they never nest;</li>
 *   <li>{@code i} instants for FAULT_INJECTED and VIOLATION (the log's, on the checker thread; the
 *       offline checker's findings on the "offline check" thread);</li>
 *   <li>flow arrows ({@code s}/{@code f} with {@code bp:"e"}, paired by {@code id}): RING_REQ →
 *       RING_RSP matched on (dom, devid, id), and EVTCHN_SEND → EVTCHN_DELIVER matched on the
 *       receiving (remoteDom, remotePort) = (dom, port). An arrow is written only once both ends
 *       are seen, so every {@code s} has its {@code f}.</li>
 * </ul>
 *
 * Timestamps are microseconds with three decimals (exact ns). A large run's trace is thinned by its
 * {@link Detail}: the slices and flows only of the domains it shows, instants and phases of all.
 */
public final class PerfettoWriter implements Closeable {
    /** Unanswered requests remembered for flows; older ones are forgotten. */
    static final int MAX_PENDING_FLOWS = 100_000;

    private static final List<String> KNOWN_COMPONENTS = List.of("runtime", "toolstack", "hypervisor", "xenstored",
            "blkback", "console", "fw.core", "fw.xenbus", "fw.pvblk", "os", "nemesis", "checker");
    private static final int TID_PHASES = 1;
    private static final int TID_IO = 2;
    private static final int TID_OFFLINE = 3;

    private record Endpoint(long ts, long pid, long tid) {}

    private final JsonGenerator g;
    private final Filter filter;
    private final Detail detail;
    private final Map<String, Integer> compIndex = new HashMap<>();
    private final TreeMap<Long, String> threadNames = new TreeMap<>();   // tid → name
    private final TreeMap<Integer, Boolean> processes = new TreeMap<>(); // dom → seen
    private final Map<Long, Long> lastTs = new HashMap<>();              // tid → last display ts (ns)
    private final Map<String, Endpoint> pendingFlows = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Endpoint> eldest) {
            return size() > MAX_PENDING_FLOWS;
        }
    };
    private long nextFlowId = 1;
    private long written;
    private long flows;
    private boolean closed;

    public PerfettoWriter(OutputStream out, Filter filter) throws IOException {
        this(out, filter, Detail.EVERYTHING);
    }

    /** As above, the slices and flows only of what {@code detail} shows. */
    public PerfettoWriter(OutputStream out, Filter filter, Detail detail) throws IOException {
        this.filter = filter;
        this.detail = detail;
        this.g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8);
        g.writeStartObject();
        g.writeStringField("displayTimeUnit", "ns");
        g.writeArrayFieldStart("traceEvents");
        g.writeRaw('\n');
        for (int i = 0; i < KNOWN_COMPONENTS.size(); i++) compIndex.put(KNOWN_COMPONENTS.get(i), 10 + i);
    }

    static long pid(int dom) {
        return dom >= 0 ? dom + 1L : 1_000_000L - dom;
    }

    private long tid(int dom, int index) {
        return pid(dom) * 1000 + index;
    }

    private long componentTid(int dom, String comp) {
        Integer idx = compIndex.get(comp);
        if (idx == null) {
            idx = Math.min(999, 10 + compIndex.size());
            compIndex.put(comp, idx);
        }
        long tid = tid(dom, idx);
        processes.put(dom, Boolean.TRUE);
        threadNames.putIfAbsent(tid, comp);
        return tid;
    }

    /** Display time on a thread: the event's time, or 1 ns after the thread's previous item. */
    private long displayTs(long tid, long t) {
        Long prev = lastTs.get(tid);
        long ts = prev == null || t > prev ? t : prev + 1;
        lastTs.put(tid, ts);
        return ts;
    }

    /** Writes one log event (call in file order). */
    public void accept(LogEvent e) throws IOException {
        if (!filter.matches(e)) return;
        if (!detail.event(e) && !isInstant(e.ev())) return;
        long pid = pid(e.dom());
        long tid = componentTid(e.dom(), e.comp());
        long ts = displayTs(tid, e.t());
        switch (e.ev()) {
            case "FAULT_INJECTED" -> {
                String what = firstText(e, "fault", "kind", "type");
                instant(e.ev() + (what == null ? "" : " " + what), "fault", pid, tid, ts, e);
            }
            case "VIOLATION" -> instant("VIOLATION " + e.getString("invariant") + " (online)", "violation", pid, tid, ts, e);
            case "SCHEDULE_DEVIATION" -> instant("SCHEDULE_DEVIATION step " + e.getLong("step", -1), "schedule", pid, tid, ts, e);
            case "RING_REQ" -> {
                slice(e, pid, tid, ts);
                pendingFlows.put(ringKey(e), new Endpoint(ts, pid, tid));
            }
            case "RING_RSP" -> {
                slice(e, pid, tid, ts);
                Endpoint from = pendingFlows.remove(ringKey(e));
                if (from != null) flow("ring request → response", from, new Endpoint(ts, pid, tid));
            }
            case "EVTCHN_SEND" -> {
                slice(e, pid, tid, ts);
                long rd = e.getLong("remoteDom", -1);
                long rp = e.getLong("remotePort", -1);
                if (rd >= 0 && rp >= 0 && !e.isTrue("dropped") && !e.isTrue("coalesced")) {
                    pendingFlows.put("evtchn/" + rd + "/" + rp, new Endpoint(ts, pid, tid));
                }
            }
            case "EVTCHN_DELIVER" -> {
                slice(e, pid, tid, ts);
                Endpoint from = pendingFlows.remove("evtchn/" + e.dom() + "/" + e.getLong("port", -1));
                if (from != null) flow("event channel send → deliver", from, new Endpoint(ts, pid, tid));
            }
            default -> slice(e, pid, tid, ts);
        }
    }

    private static boolean isInstant(String ev) {
        return ev.equals("FAULT_INJECTED") || ev.equals("VIOLATION") || ev.equals("SCHEDULE_DEVIATION");
    }

    private static String ringKey(LogEvent e) {
        return "ring/" + e.dom() + "/" + e.get("devid") + "/" + e.get("id");
    }

    private static String firstText(LogEvent e, String... fields) {
        for (String f : fields) {
            String v = e.getString(f);
            if (v != null) return v;
        }
        return null;
    }

    private void common(String ph, String name, String cat, long pid, long tid, long tsNs) throws IOException {
        g.writeStartObject();
        g.writeStringField("ph", ph);
        g.writeStringField("name", name);
        if (cat != null) g.writeStringField("cat", cat);
        g.writeNumberField("pid", pid);
        g.writeNumberField("tid", tid);
        g.writeFieldName("ts");
        g.writeNumber(VirtualTime.micros(tsNs));
    }

    private void end() throws IOException {
        g.writeEndObject();
        g.writeRaw('\n');
        written++;
    }

    private void slice(LogEvent e, long pid, long tid, long ts) throws IOException {
        common("X", e.ev(), e.comp(), pid, tid, ts);
        g.writeFieldName("dur");
        g.writeNumber("0.001");
        args(e);
        end();
    }

    private void instant(String name, String cat, long pid, long tid, long ts, LogEvent e) throws IOException {
        common("i", name, cat, pid, tid, ts);
        g.writeStringField("s", "t");
        args(e);
        end();
    }

    private void args(LogEvent e) throws IOException {
        g.writeObjectFieldStart("args");
        g.writeNumberField("seq", e.seq());
        g.writeNumberField("t_ns", e.t());
        for (int i = 0; i < e.fieldCount(); i++) {
            String k = e.fieldName(i);
            if (k.equals("seq") || k.equals("t_ns")) k = "field." + k;
            g.writeFieldName(k);
            value(e.fieldValue(i));
        }
        g.writeEndObject();
    }

    private void value(Object v) throws IOException {
        if (v == null) g.writeNull();
        else if (v instanceof Long l) g.writeNumber(l);
        else if (v instanceof Double d) g.writeNumber(d);
        else if (v instanceof Boolean b) g.writeBoolean(b);
        else if (v instanceof Number n) g.writeNumber(n.toString());
        else if (v instanceof List<?> list) {
            g.writeStartArray();
            for (Object o : list) value(o);
            g.writeEndArray();
        } else if (v instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> en : map.entrySet()) {
                g.writeFieldName(String.valueOf(en.getKey()));
                value(en.getValue());
            }
            g.writeEndObject();
        } else g.writeString(v.toString());
    }

    private void flow(String name, Endpoint from, Endpoint to) throws IOException {
        long id = nextFlowId++;
        common("s", name, "flow", from.pid(), from.tid(), from.ts());
        g.writeNumberField("id", id);
        end();
        common("f", name, "flow", to.pid(), to.tid(), to.ts());
        g.writeNumberField("id", id);
        g.writeStringField("bp", "e");
        end();
        flows++;
    }

    /**
     * Writes the guests' phases, the offline checker's findings and the metadata, and ends the JSON;
     * {@link #close()} then closes the output stream.
     */
    public void finish(Timeline timeline, List<OfflineChecker.Finding> findings, Map<Integer, String> names) throws IOException {
        for (Timeline.Guest guest : timeline.guests()) {
            if (!filter.domain(guest.dom())) continue;
            phases(guest);
        }
        for (OfflineChecker.Finding f : findings) {
            if (!filter.domain(f.dom()) || !filter.time(f.t())) continue;
            long pid = pid(f.dom());
            long tid = tid(f.dom(), TID_OFFLINE);
            processes.put(f.dom(), Boolean.TRUE);
            threadNames.put(tid, "offline check");
            common("i", "VIOLATION " + f.invariant(), "violation", pid, tid, f.t());
            g.writeStringField("s", "t");
            g.writeObjectFieldStart("args");
            g.writeStringField("invariant", f.invariant());
            g.writeStringField("judged", "offline");
            g.writeNumberField("seq", f.seq());
            g.writeStringField("detail", f.detail());
            g.writeArrayFieldStart("evidence");
            for (Long s : f.evidence()) g.writeNumber(s);
            g.writeEndArray();
            g.writeEndObject();
            end();
        }
        metadata(names);
        g.writeEndArray();
        g.writeEndObject();
        g.flush();
    }

    private void phases(Timeline.Guest guest) throws IOException {
        int dom = guest.dom();
        long pid = pid(dom);
        long main = tid(dom, TID_PHASES);
        long io = tid(dom, TID_IO);
        List<Timeline.Phase> top = new ArrayList<>();
        Timeline.Phase disk = null;
        Timeline.Phase ioPhase = null;
        for (Timeline.Phase p : guest.phases()) {
            if (p.name().equals("disk read")) disk = p;
            else if (p.name().equals("I/O")) ioPhase = p;
            else top.add(p);
        }
        top.sort((a, b) -> Long.compare(a.start(), b.start()));
        for (int i = 0; i < top.size(); i++) {
            Timeline.Phase p = top.get(i);
            long start = p.start();
            long end = p.end();
            if (i + 1 < top.size()) end = Math.min(end, Math.max(start, top.get(i + 1).start())); // siblings never overlap
            if (!filter.overlaps(start, end)) continue;
            long s = Math.max(start, filter.from());
            long e = Math.min(end, filter.to());
            phaseSlice(p, pid, main, s, e);
            if (p.name().equals("firmware boot") && disk != null && filter.overlaps(disk.start(), disk.end())) {
                phaseSlice(disk, pid, main, clamp(disk.start(), s, e), clamp(disk.end(), s, e));
            }
            if (p.name().equals("EBS")) {
                for (Timeline.Notify n : guest.notifies()) {
                    long ns = clamp(n.begin(), s, e);
                    long ne = clamp(n.finished() ? n.end() : end, s, e);
                    if (!filter.overlaps(n.begin(), n.finished() ? n.end() : end)) continue;
                    common("X", "notify " + n.order() + ": " + n.driver() + (n.finished() ? "" : " (never returned)"), "phase",
                            pid, main, ns);
                    g.writeFieldName("dur");
                    g.writeNumber(VirtualTime.micros(ne - ns));
                    g.writeObjectFieldStart("args");
                    g.writeStringField("driver", n.driver());
                    g.writeStringField("index", String.valueOf(n.index()));
                    g.writeNumberField("beginSeq", n.beginSeq());
                    g.writeNumberField("endSeq", n.endSeq());
                    g.writeEndObject();
                    end();
                }
            }
        }
        if (ioPhase != null && filter.overlaps(ioPhase.start(), ioPhase.end())) {
            phaseSlice(ioPhase, pid, io, Math.max(ioPhase.start(), filter.from()), Math.min(ioPhase.end(), filter.to()));
            threadNames.put(io, "phases: I/O");
        }
        processes.put(dom, Boolean.TRUE);
        threadNames.put(main, "phases");
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private void phaseSlice(Timeline.Phase p, long pid, long tid, long start, long end) throws IOException {
        common("X", p.name() + (p.complete() ? "" : " (incomplete)"), "phase", pid, tid, start);
        g.writeFieldName("dur");
        g.writeNumber(VirtualTime.micros(Math.max(0, end - start)));
        g.writeObjectFieldStart("args");
        g.writeNumberField("startSeq", p.startSeq());
        g.writeNumberField("endSeq", p.endSeq());
        g.writeStringField("duration", VirtualTime.format(p.duration()));
        g.writeBooleanField("complete", p.complete());
        if (p.note() != null) g.writeStringField("note", p.note());
        g.writeEndObject();
        end();
    }

    private void metadata(Map<Integer, String> names) throws IOException {
        for (int dom : processes.keySet()) {
            long pid = pid(dom);
            String label = "dom" + dom + (dom == 0 ? " (host: Domain-0)" : names.containsKey(dom) ? " (" + names.get(dom) + ")" : "")
                    + (detail.domain(dom) ? "" : " — phases only");
            meta("process_name", pid, pid * 1000, "name", label);
            meta("process_sort_index", pid, pid * 1000, "sort_index", dom);
        }
        for (Map.Entry<Long, String> t : threadNames.entrySet()) {
            long tid = t.getKey();
            meta("thread_name", tid / 1000, tid, "name", t.getValue());
            meta("thread_sort_index", tid / 1000, tid, "sort_index", tid % 1000);
        }
    }

    private void meta(String name, long pid, long tid, String key, Object value) throws IOException {
        common("M", name, null, pid, tid, 0);
        g.writeObjectFieldStart("args");
        g.writeFieldName(key);
        value(value instanceof Integer i ? Long.valueOf(i) : value);
        g.writeEndObject();
        end();
    }

    /** Trace events written so far. */
    public long written() {
        return written;
    }

    /** Flow arrows written so far. */
    public long flows() {
        return flows;
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        g.close();
    }
}
