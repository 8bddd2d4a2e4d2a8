package xensim.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What another domain (or the checker) can see a guest's firmware do, from a run's events.jsonl,
 * as three sequences that do not depend on how the simulator interleaves actors:
 * <ul>
 *   <li>{@link #xenstore}: the guest's xenstore requests as xenstored handles them (type and
 *       path; consecutive reads of one state node are one entry: how often a wait loop polls is
 *       timing), up to the handoff;</li>
 *   <li>{@link #guest}: what the guest's vCPU does itself, in its order — event-channel hypercalls (alloc_unbound, send — consecutive sends to one port
 *       coalesce, as the receiver cannot tell them apart — close), grant-table physmap calls
 *       (PHYSMAP_ADD/REMOVE: space and gfn), the ExitBootServices notify brackets and the memory
 *       services called while they run (ALLOC_CALL with inEbs: one entry for each run of them
 *       between two other actions, naming the services called — not how often: edk2's pool
 *       use in a loop is finer than the model claims), up to the handoff;</li>
 *   <li>{@link #states}: every XenbusState transition another domain sees (the backend's, and the
 *       OS's; the firmware's own state writes are XS_WRITEs in {@link #guest}: the Java model
 *       also logs them as events, edk2 does not), in order for each state node (the frontend's,
 *       then the backend's: sorted by node, stable);</li>
 *   <li>{@link #grants}: the firmware's grant entries as the host sees them, in order (GRANT_ACCESS:
 *       ref, grantee, read-only; a GRANT_END that cleared the entry: ref — a refused end changes
 *       nothing in the entry), up to the handoff. A sequence of its own, so that the memory services
 *       between two actions of {@link #guest} stay one set (how long a wait lasts is timing).</li>
 * </ul>
 * The gfns of pool and page allocations (and so of granted pages) are left out: they follow from
 * allocation orders the model does not claim to reproduce; grant references are compared (the model
 * hands them out from edk2's free-list stack). Pure: reads a file, no simulation.
 */
public record ProtocolTrace(List<String> xenstore, List<String> guest, List<String> states, List<String> grants) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static ProtocolTrace read(Path events, int domid) throws IOException {
        List<String> xenstore = new ArrayList<>();
        List<String> guest = new ArrayList<>();
        List<String> states = new ArrayList<>();
        List<String> grants = new ArrayList<>();
        boolean handedOff = false;
        try (BufferedReader r = Files.newBufferedReader(events, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                JsonNode e = JSON.readTree(line);
                String ev = e.path("ev").asText();
                int dom = e.path("dom").asInt(-1);
                if (ev.equals("XENBUS_STATE") && dom == domid && !e.path("comp").asText().startsWith("fw.")) {
                    states.add(e.path("path").asText() + " " + e.path("from").asText() + "->" + e.path("to").asText());
                    continue;
                }
                if (handedOff) continue;
                String s = null;
                switch (ev) {
                    case "XS_REQ" -> {
                        if (dom == domid && e.path("comp").asText().equals("xenstored")) {
                            String x = e.path("type").asText() + " " + e.path("path").asText("");
                            // a wait loop reads a state node as often as the timing makes it: one entry per run
                            boolean poll = x.startsWith("XS_READ ") && x.endsWith("/state") && !xenstore.isEmpty()
                                    && xenstore.get(xenstore.size() - 1).equals(x);
                            if (!poll) xenstore.add(x);
                        }
                    }
                    case "EVTCHN_BIND", "EVTCHN_CLOSE" -> {
                        if (e.path("by").asInt(-1) == domid) s = ev + " " + e.path("op").asText("") + " port " + e.path("port").asInt();
                    }
                    case "EVTCHN_SEND" -> {
                        if (e.path("by").asInt(-1) == domid) {
                            s = "EVTCHN_SEND port " + e.path("port").asInt();
                            if (!guest.isEmpty() && guest.get(guest.size() - 1).equals(s)) s = null;
                        }
                    }
                    case "GRANT_ACCESS" -> {
                        if (dom == domid && e.path("comp").asText().startsWith("fw.")) {
                            grants.add("GRANT_ACCESS ref " + e.path("ref").asInt() + " to dom " + e.path("domid").asInt() + (e.path("readonly").asBoolean() ? " ro" : ""));
                        }
                    }
                    case "GRANT_END" -> {
                        if (dom == domid && e.path("comp").asText().startsWith("fw.") && e.path("ok").asBoolean(true)) grants.add("GRANT_END ref " + e.path("ref").asInt());
                    }
                    case "PHYSMAP_ADD", "PHYSMAP_REMOVE" -> {
                        if (e.path("by").asInt(-1) == domid) s = ev + " " + e.path("space").asText("") + " gfn " + e.path("gfn").asLong();
                    }
                    case "EBS_NOTIFY_BEGIN", "EBS_NOTIFY_END" -> {
                        if (dom == domid) s = ev + " " + e.path("tpl").asText();
                    }
                    case "ALLOC_CALL" -> {
                        if (dom == domid && e.path("inEbs").asBoolean()) {
                            // one entry per run of calls between two protocol actions: the services called
                            String svc = e.path("service").asText();
                            String last = guest.isEmpty() ? "" : guest.get(guest.size() - 1);
                            if (last.startsWith("ALLOC_IN_EBS ")) {
                                java.util.TreeSet<String> set = new java.util.TreeSet<>(List.of(last.substring(13).split(",")));
                                set.add(svc);
                                guest.set(guest.size() - 1, "ALLOC_IN_EBS " + String.join(",", set));
                            } else {
                                s = "ALLOC_IN_EBS " + svc;
                            }
                        }
                    }
                    case "OS_HANDOFF" -> {
                        if (dom == domid) {
                            s = "OS_HANDOFF";
                            handedOff = true;
                        }
                    }
                    default -> { }
                }
                if (s != null) guest.add(s);
            }
        }
        // per node: the frontend's and the backend's transitions are each in order, but which of the
        // two moves first at one instant is the simulator's interleaving, not the protocol
        java.util.List<String> byNode = new ArrayList<>(states);
        byNode.sort(java.util.Comparator.comparing((String x) -> x.substring(0, x.indexOf(' '))));
        return new ProtocolTrace(List.copyOf(xenstore), List.copyOf(guest), List.copyOf(byNode), List.copyOf(grants));
    }

    /** The first index where {@code a} and {@code b} differ, or -1 when they are equal. */
    public static int firstDifference(List<String> a, List<String> b) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) if (!a.get(i).equals(b.get(i))) return i;
        return a.size() == b.size() ? -1 : n;
    }

    /** "#i: model X / ovmf-c Y" for the first difference, or null. */
    public static String describe(List<String> model, List<String> real) {
        int i = firstDifference(model, real);
        if (i < 0) return null;
        String m = i < model.size() ? model.get(i) : "(nothing more)";
        String c = i < real.size() ? real.get(i) : "(nothing more)";
        return "#" + i + ": model `" + m + "` / ovmf-c `" + c + "`";
    }
}
