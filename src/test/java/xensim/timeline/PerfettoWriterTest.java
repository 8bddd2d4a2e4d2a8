package xensim.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trace against the Chrome Trace Event format's required fields, and what Perfetto needs to draw it. */
class PerfettoWriterTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** Two clean guests, one broken one (stale mapping, bus reset too early, a fault). */
    static TestLog sample() {
        TestLog log = new TestLog().begin().cleanGuest(1).cleanGuest(3);
        int g = 2;
        log.after(1000).ev(g, "toolstack", "DOMAIN_CREATED", "name", "guest-2", "memory", 65536);
        log.ev(g, "toolstack", "DEVICE_CREATED", "kind", "vbd", "devid", 51712);
        log.ev(g, "fw.pvblk", "GRANT_ACCESS", "ref", 8, "gfn", 0x1000, "domid", 0, "readonly", false);
        log.after(100).ev(g, "hypervisor", "GRANT_MAP", "mapper", 0, "ref", 8, "gfn", 0x1000, "handle", 1, "readonly", false, "status", 0);
        for (int i = 0; i < 4; i++) log.ev(g, "blkback", "RING_REQ", "devid", 51712, "id", i, "op", "BLKIF_OP_READ", "sector", 0, "nr", 1);
        log.after(1000).ev(g, "fw.core", "EBS_BEGIN", "mapKey", 1);
        log.ev(g, "fw.core", "EBS_NOTIFY_BEGIN", "driver", "XenBusDxe", "index", 0, "tpl", 8);
        log.after(100).ev(g, "fw.xenbus", "XENBUS_RESET", "method", "ring-0xff", "grantTable", true);
        log.ev(g, "fw.core", "EBS_NOTIFY_END", "driver", "XenBusDxe", "index", 0, "tpl", 8);
        log.ev(g, "fw.core", "EBS_END", "status", "EFI_SUCCESS");
        log.after(1000).ev(g, "os", "OS_HANDOFF", "memoryMapEntries", 3);
        log.ev(g, "os", "PAGE_RECLAIMED", "gfn", 0x1000, "count", 16, "type", "EfiBootServicesData");
        log.ev(g, "checker", "VIOLATION", "invariant", "STALE_MAPPING", "evidence", List.of(log.seq() - 1, log.seq()), "detail", "x");
        log.after(500).ev(g, "nemesis", "FAULT_INJECTED", "fault", "blkback-slow", "target", "blkback-2-51712");
        for (int i = 0; i < 4; i++) log.ev(g, "blkback", "RING_RSP", "devid", 51712, "id", i, "op", "BLKIF_OP_READ", "status", "BLKIF_RSP_OKAY");
        log.end("VIOLATION STALE_MAPPING RESET_ORDER HANG STALE_GRANT");
        return log;
    }

    @Test
    void everyEventHasTheRequiredFieldsAndFlowsArePaired() throws IOException {
        Path log = sample().write(dir.resolve("events.jsonl"));
        Path trace = dir.resolve("trace.json");
        TimelineAnalysis.Result r = TimelineAnalysis.analyse(log, new TimelineAnalysis.Options(Filter.ALL, true, false, trace, null));
        JsonNode root = JSON.readTree(trace.toFile());
        assertTrue(root.isObject());
        JsonNode events = root.get("traceEvents");
        assertTrue(events.isArray());
        assertEquals(r.perfettoEvents(), events.size());

        Set<Long> pids = new HashSet<>();
        Set<Long> tids = new HashSet<>();
        Set<Long> namedPids = new HashSet<>();
        Set<Long> namedTids = new HashSet<>();
        Map<Long, JsonNode> starts = new HashMap<>();
        Map<Long, JsonNode> finishes = new HashMap<>();
        Map<Long, List<long[]>> slicesByTid = new HashMap<>();
        Set<String> phaseNames = new HashSet<>();
        List<String> instants = new ArrayList<>();
        for (JsonNode e : events) {
            for (String f : new String[] {"ph", "pid", "tid", "ts", "name"}) assertNotNull(e.get(f), f + " missing in " + e);
            assertTrue(e.get("pid").isIntegralNumber() && e.get("tid").isIntegralNumber(), e.toString());
            assertTrue(e.get("ts").isNumber() && e.get("ts").decimalValue().signum() >= 0, e.toString());
            String ph = e.get("ph").asText();
            long pid = e.get("pid").asLong();
            long tid = e.get("tid").asLong();
            switch (ph) {
                case "X" -> {
                    assertTrue(e.get("dur") != null && e.get("dur").isNumber() && e.get("dur").decimalValue().signum() >= 0, e.toString());
                    pids.add(pid);
                    tids.add(tid);
                    slicesByTid.computeIfAbsent(tid, k -> new ArrayList<>()).add(new long[] {ns(e.get("ts")), ns(e.get("ts")) + ns(e.get("dur"))});
                    if ("phase".equals(e.path("cat").asText())) phaseNames.add(e.get("name").asText());
                }
                case "i" -> {
                    assertEquals("t", e.get("s").asText());
                    instants.add(e.get("name").asText());
                    pids.add(pid);
                    tids.add(tid);
                }
                case "M" -> {
                    String n = e.get("name").asText();
                    if (n.equals("process_name")) namedPids.add(pid);
                    if (n.equals("thread_name")) namedTids.add(tid);
                    assertTrue(e.get("args").isObject());
                }
                case "s" -> assertEquals(null, starts.put(e.get("id").asLong(), e), "one start per flow id");
                case "f" -> {
                    assertEquals("e", e.get("bp").asText());
                    assertEquals(null, finishes.put(e.get("id").asLong(), e), "one finish per flow id");
                }
                default -> throw new AssertionError("unexpected phase " + ph);
            }
        }
        assertEquals(pids, namedPids, "every process is named");
        assertEquals(tids, namedTids, "every thread is named");
        assertEquals(Set.of(1L, 2L, 3L, 4L), pids, "one process per domain (pid = dom + 1)");
        assertTrue(phaseNames.containsAll(Set.of("create", "firmware boot", "disk read", "EBS", "handoff", "OS reconnect", "I/O", "shutdown")),
                phaseNames.toString());
        assertTrue(phaseNames.contains("notify 0: XenPvBlkDxe"), phaseNames.toString());
        assertTrue(instants.contains("FAULT_INJECTED blkback-slow"), instants.toString());
        assertTrue(instants.contains("VIOLATION STALE_MAPPING (online)"), instants.toString());
        assertTrue(instants.containsAll(List.of("VIOLATION STALE_MAPPING", "VIOLATION RESET_ORDER", "VIOLATION HANG")), instants.toString());

        // flows: paired, same name and category, forward in time, each end bound to a slice on its thread
        assertEquals(starts.keySet(), finishes.keySet());
        assertEquals(r.perfettoFlows(), starts.size());
        assertEquals(2 * (1 + 3 + 1) + 4, starts.size(), "per clean guest 1 event channel + 4 ring flows; 4 ring flows in guest 2");
        for (Map.Entry<Long, JsonNode> s : starts.entrySet()) {
            JsonNode a = s.getValue();
            JsonNode b = finishes.get(s.getKey());
            assertEquals(a.get("name"), b.get("name"));
            assertEquals(a.get("cat"), b.get("cat"));
            assertTrue(ns(a.get("ts")) <= ns(b.get("ts")));
            for (JsonNode end : List.of(a, b)) {
                long ts = ns(end.get("ts"));
                boolean bound = slicesByTid.getOrDefault(end.get("tid").asLong(), List.of()).stream().anyMatch(x -> x[0] == ts && x[1] > ts);
                assertTrue(bound, "no slice to bind to: " + end);
            }
        }
        // slices on one thread nest or are disjoint (Perfetto drops partial overlaps)
        for (Map.Entry<Long, List<long[]>> t : slicesByTid.entrySet()) {
            List<long[]> sl = new ArrayList<>(t.getValue());
            sl.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(y[1], x[1]));
            Deque<long[]> stack = new ArrayDeque<>();
            for (long[] x : sl) {
                while (!stack.isEmpty() && stack.peek()[1] <= x[0]) stack.pop();
                assertTrue(stack.isEmpty() || x[1] <= stack.peek()[1], "partial overlap on tid " + t.getKey());
                stack.push(x);
            }
        }
    }

    @Test
    void eventsAtTheSameInstantOnOneThreadAreLaidOutOneNanosecondApart() throws IOException {
        TestLog log = new TestLog();
        for (int i = 0; i < 5; i++) log.ev(1, "blkback", "RING_REQ", "devid", 1, "id", i);
        Path trace = dir.resolve("t.json");
        TimelineAnalysis.analyse(log.write(dir.resolve("e.jsonl")), new TimelineAnalysis.Options(Filter.ALL, true, false, trace, null));
        List<Long> ts = new ArrayList<>();
        for (JsonNode e : JSON.readTree(trace.toFile()).get("traceEvents")) {
            if (e.get("ph").asText().equals("X") && e.get("name").asText().equals("RING_REQ")) {
                ts.add(ns(e.get("ts")));
                assertEquals(0, e.get("args").get("t_ns").asLong(), "args keep the exact virtual time");
            }
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), ts);
    }

    @Test
    void unansweredRequestsDrawNoFlow() throws IOException {
        TestLog log = new TestLog();
        log.ev(1, "blkback", "RING_REQ", "devid", 1, "id", 1);
        log.ev(0, "hypervisor", "EVTCHN_SEND", "port", 1, "remoteDom", 1, "remotePort", 2, "coalesced", false);
        log.ev(1, "hypervisor", "EVTCHN_SEND", "port", 2, "remoteDom", 0, "remotePort", -1, "dropped", true);
        Path trace = dir.resolve("t.json");
        TimelineAnalysis.analyse(log.write(dir.resolve("e.jsonl")), new TimelineAnalysis.Options(Filter.ALL, true, false, trace, null));
        String text = java.nio.file.Files.readString(trace);
        assertFalse(text.contains("\"ph\":\"s\""), text);
        JSON.readTree(text); // still valid JSON
    }

    private static long ns(JsonNode micros) {
        return micros.decimalValue().multiply(BigDecimal.valueOf(1000)).longValueExact();
    }
}
