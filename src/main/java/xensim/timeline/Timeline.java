package xensim.timeline;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Per-guest phase timelines in virtual time, built in one pass with a few marks per guest (memory
 * does not grow with the log). Phases and the events that bound them:
 *
 * <table>
 *   <caption>phases</caption>
 *   <tr><th>phase</th><th>from</th><th>to</th></tr>
 *   <tr><td>create</td><td>DOMCTL_CREATEDOMAIN (else the guest's first event)</td><td>DOMAIN_CREATED</td></tr>
 *   <tr><td>firmware boot</td><td>DOMAIN_CREATED (else the first fw.* event)</td><td>EBS_BEGIN</td></tr>
 *   <tr><td>disk read</td><td>first RING_REQ before EBS_BEGIN</td><td>last RING_RSP before EBS_BEGIN</td></tr>
 *   <tr><td>EBS</td><td>EBS_BEGIN</td><td>EBS_END with EFI_SUCCESS (notify order from EBS_NOTIFY_BEGIN)</td></tr>
 *   <tr><td>handoff</td><td>that EBS_END</td><td>OS_HANDOFF</td></tr>
 *   <tr><td>OS reconnect</td><td>OS_HANDOFF</td><td>the OS_DEVICE_CONNECTED that completes the DEVICE_CREATED set</td></tr>
 *   <tr><td>I/O</td><td>first RING_REQ or IO_VERIFY after OS_HANDOFF</td><td>last IO_VERIFY or RING_RSP</td></tr>
 *   <tr><td>shutdown</td><td>DOMCTL_DESTROYDOMAIN (else DOMAIN_DESTROYED)</td><td>DOMAIN_DESTROYED</td></tr>
 * </table>
 *
 * A phase that began and never ended is incomplete and runs to the guest's last event.
 */
public final class Timeline {
    public static final int MAX_NOTIFIES = 256;

    /** One phase of a guest's life; {@code end} is the guest's last event when incomplete. */
    public record Phase(String name, long start, long end, long startSeq, long endSeq, boolean complete, String note) {
        public long duration() {
            return end - start;
        }
    }

    /** One EBS notify function, in the order it ran. */
    public record Notify(int order, String driver, Object index, Object tpl, long begin, long end, long beginSeq, long endSeq) {
        public boolean finished() {
            return endSeq >= 0;
        }
    }

    /** One guest's timeline. */
    public static final class Guest {
        private final int dom;
        private String name;
        private final List<Phase> phases = new ArrayList<>();
        private final List<Notify> notifies = new ArrayList<>();
        long firstT = -1, lastT = -1, firstSeq = -1, lastSeq = -1;

        // marks: {t, seq}, null when not seen
        long[] domctlCreate, created, firstFw, ebsBegin, ebsEnd, ebsEndFailed, handoff, reconnected, lastConnect;
        long[] bootReqFirst, bootRspLast, ioFirst, ioLast, destroyStart, destroyed;
        Object ebsEndFailedStatus;
        int bootRequests;
        long ioVerified, ioFailed, osRequests;
        final Set<Long> devices = new LinkedHashSet<>();
        final Set<Long> connected = new HashSet<>();
        final List<Integer> openNotify = new ArrayList<>(); // indexes into notifies, innermost last

        Guest(int dom) {
            this.dom = dom;
        }

        public int dom() { return dom; }
        /** DOMAIN_CREATED's name, or null. */
        public String name() { return name; }
        public List<Phase> phases() { return Collections.unmodifiableList(phases); }
        public List<Notify> notifies() { return Collections.unmodifiableList(notifies); }
        public long firstT() { return firstT; }
        public long lastT() { return lastT; }
        public long ioVerified() { return ioVerified; }
        public long ioFailed() { return ioFailed; }

        public Phase phase(String phaseName) {
            for (Phase p : phases) if (p.name().equals(phaseName)) return p;
            return null;
        }

        /** "0 XenBusDxe, 1 XenPvBlkDxe" — drivers in the order their EBS notifies ran. */
        public String notifyOrder() {
            StringBuilder sb = new StringBuilder();
            for (Notify n : notifies) {
                if (sb.length() > 0) sb.append(", ");
                if (n.index() != null) sb.append(n.index()).append(' ');
                sb.append(n.driver());
            }
            return sb.toString();
        }

        public String label() {
            return "dom" + dom + (name == null ? "" : " (" + name + ")");
        }
    }

    private final TreeMap<Integer, Guest> guests = new TreeMap<>();
    private boolean finished;

    private static long[] mark(LogEvent e) {
        return new long[] {e.t(), e.seq()};
    }

    /** Feeds one event (in file order). */
    public void accept(LogEvent e) {
        if (e.dom() == 0) return;
        Guest g = guests.get(e.dom());
        if (g == null) guests.put(e.dom(), g = new Guest(e.dom()));
        if (g.firstSeq < 0) {
            g.firstT = e.t();
            g.firstSeq = e.seq();
        }
        g.lastT = Math.max(g.lastT, e.t());
        g.lastSeq = e.seq();
        if (g.firstFw == null && e.comp().startsWith("fw.")) g.firstFw = mark(e);
        switch (e.ev()) {
            case "DOMCTL_CREATEDOMAIN" -> {
                if (g.domctlCreate == null) g.domctlCreate = mark(e);
            }
            case "DOMAIN_CREATED" -> {
                if (g.created == null) g.created = mark(e);
                if (e.getString("name") != null) g.name = e.getString("name");
            }
            case "DEVICE_CREATED" -> {
                if (e.get("devid") instanceof Number n) g.devices.add(n.longValue());
            }
            case "EBS_BEGIN" -> {
                if (g.ebsBegin == null) g.ebsBegin = mark(e);
            }
            case "EBS_NOTIFY_BEGIN" -> {
                if (g.notifies.size() < MAX_NOTIFIES) {
                    g.notifies.add(new Notify(g.notifies.size(), e.getString("driver"), e.get("index"), e.get("tpl"),
                            e.t(), -1, e.seq(), -1));
                    g.openNotify.add(g.notifies.size() - 1);
                }
            }
            case "EBS_NOTIFY_END" -> closeNotify(g, e);
            case "EBS_END" -> {
                Object st = e.get("status");
                boolean ok = st == null || "EFI_SUCCESS".equals(st.toString()) || (st instanceof Number n && n.longValue() == 0);
                if (ok && g.ebsEnd == null) g.ebsEnd = mark(e);
                if (!ok) {
                    g.ebsEndFailed = mark(e);
                    g.ebsEndFailedStatus = st;
                }
            }
            case "OS_HANDOFF" -> {
                if (g.handoff == null) g.handoff = mark(e);
            }
            case "OS_DEVICE_CONNECTED" -> {
                if (e.get("devid") instanceof Number n) g.connected.add(n.longValue());
                g.lastConnect = mark(e);
                if (g.reconnected == null && g.handoff != null && g.connected.containsAll(g.devices)) g.reconnected = mark(e);
            }
            case "RING_REQ" -> {
                if (g.ebsBegin == null) {
                    if (g.bootReqFirst == null) g.bootReqFirst = mark(e);
                    g.bootRequests++;
                } else if (g.handoff != null) {
                    if (g.ioFirst == null) g.ioFirst = mark(e);
                    g.osRequests++;
                }
            }
            case "RING_RSP" -> {
                if (g.ebsBegin == null && g.bootReqFirst != null) g.bootRspLast = mark(e);
                else if (g.handoff != null && g.ioFirst != null) g.ioLast = mark(e);
            }
            case "IO_VERIFY" -> {
                if (g.ioFirst == null) g.ioFirst = mark(e);
                g.ioLast = mark(e);
                if (e.isFalse("ok")) g.ioFailed++;
                else g.ioVerified++;
            }
            case "DOMCTL_DESTROYDOMAIN" -> {
                if (g.destroyStart == null) g.destroyStart = mark(e);
            }
            case "DOMAIN_DESTROYED" -> {
                if (g.destroyed == null) g.destroyed = mark(e);
            }
            default -> { }
        }
    }

    private static void closeNotify(Guest g, LogEvent e) {
        // the innermost open notify with the same driver (else the innermost one) ends here
        String driver = e.getString("driver");
        int pick = -1;
        for (int i = g.openNotify.size() - 1; i >= 0; i--) {
            Notify n = g.notifies.get(g.openNotify.get(i));
            if (driver == null || driver.equals(n.driver())) {
                pick = i;
                break;
            }
        }
        if (pick < 0 && !g.openNotify.isEmpty()) pick = g.openNotify.size() - 1;
        if (pick < 0) return;
        int idx = g.openNotify.remove(pick);
        Notify n = g.notifies.get(idx);
        g.notifies.set(idx, new Notify(n.order(), n.driver(), n.index(), n.tpl(), n.begin(), e.t(), n.beginSeq(), e.seq()));
    }

    /** Turns the marks into phases; call once after the last event. */
    public void finish() {
        if (finished) return;
        finished = true;
        for (Guest g : guests.values()) build(g);
    }

    private static void build(Guest g) {
        List<Phase> ps = g.phases;
        // create
        long[] cs = g.domctlCreate != null ? g.domctlCreate : g.created != null ? new long[] {g.firstT, g.firstSeq} : null;
        if (cs != null) add(g, "create", cs, g.created, null);
        // firmware boot
        long[] fwStart = g.created != null && (g.firstFw != null || g.ebsBegin != null) ? g.created : g.firstFw;
        if (fwStart != null) add(g, "firmware boot", fwStart, g.ebsBegin, null);
        if (g.bootReqFirst != null) {
            add(g, "disk read", g.bootReqFirst, g.bootRspLast, g.bootRequests + " request" + (g.bootRequests == 1 ? "" : "s"));
        }
        if (g.ebsBegin != null) {
            String note = g.notifies.isEmpty() ? null : "notify order: " + g.notifyOrder();
            if (g.ebsEnd == null && g.ebsEndFailed != null) {
                note = (note == null ? "" : note + "; ") + "returned " + g.ebsEndFailedStatus;
            }
            add(g, "EBS", g.ebsBegin, g.ebsEnd, note);
        }
        if (g.ebsEnd != null || g.handoff != null) {
            add(g, "handoff", g.ebsEnd != null ? g.ebsEnd : g.handoff, g.handoff, null);
        }
        if (g.handoff != null && !g.devices.isEmpty()) {
            Set<Long> missing = new LinkedHashSet<>(g.devices);
            missing.removeAll(g.connected);
            add(g, "OS reconnect", g.handoff, g.reconnected,
                    g.devices.size() + " device" + (g.devices.size() == 1 ? "" : "s") + (missing.isEmpty() ? "" : ", never connected: " + missing));
        }
        if (g.ioFirst != null) {
            String note = g.ioVerified + " verified read" + (g.ioVerified == 1 ? "" : "s") + (g.ioFailed > 0 ? ", " + g.ioFailed + " FAILED" : "");
            add(g, "I/O", g.ioFirst, g.ioLast != null ? g.ioLast : g.ioFirst, note);
        }
        if (g.destroyStart != null || g.destroyed != null) {
            add(g, "shutdown", g.destroyStart != null ? g.destroyStart : g.destroyed, g.destroyed, null);
        }
        ps.sort((a, b) -> Long.compare(a.startSeq(), b.startSeq()));
    }

    private static void add(Guest g, String name, long[] start, long[] end, String note) {
        if (end != null && end[1] >= start[1]) {
            g.phases.add(new Phase(name, start[0], end[0], start[1], end[1], true, note));
        } else {
            g.phases.add(new Phase(name, start[0], Math.max(start[0], g.lastT), start[1], -1, false, note));
        }
    }

    /** Every guest (dom != 0) seen, by domid. */
    public List<Guest> guests() {
        return List.copyOf(guests.values());
    }

    public Guest guest(int dom) {
        return guests.get(dom);
    }

    /** Prints each guest's phases (those overlapping the filter's window) as an aligned table. */
    public void print(PrintWriter out, Filter filter) {
        for (Guest g : guests.values()) {
            if (!filter.domain(g.dom())) continue;
            out.println(g.label());
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"phase", "start", "end", "duration", ""});
            for (Phase p : g.phases) {
                if (!filter.overlaps(p.start(), p.end())) continue;
                String note = p.note() == null ? "" : p.note();
                if (!p.complete()) note = "INCOMPLETE (its end event never came)" + (note.isEmpty() ? "" : "; " + note);
                rows.add(new String[] {p.name(), VirtualTime.format(p.start()), p.complete() ? VirtualTime.format(p.end()) : "-",
                    VirtualTime.format(p.duration()), note});
                if (p.name().equals("EBS")) {
                    for (Notify n : g.notifies) {
                        rows.add(new String[] {"  notify " + n.order() + ": " + n.driver(), VirtualTime.format(n.begin()),
                            n.finished() ? VirtualTime.format(n.end()) : "-", n.finished() ? VirtualTime.format(n.end() - n.begin()) : "-",
                            "index " + n.index() + (n.tpl() == null ? "" : ", tpl " + n.tpl())});
                    }
                }
            }
            if (rows.size() == 1) {
                out.println("  (no phases in this window)");
                continue;
            }
            int[] w = new int[4];
            for (String[] r : rows) for (int i = 0; i < 4; i++) w[i] = Math.max(w[i], r[i].length());
            for (String[] r : rows) {
                StringBuilder sb = new StringBuilder("  ");
                sb.append(String.format("%-" + w[0] + "s", r[0]));
                for (int i = 1; i < 4; i++) sb.append("  ").append(String.format("%" + w[i] + "s", r[i]));
                if (!r[4].isEmpty()) sb.append("  ").append(r[4]);
                out.println(sb.toString().stripTrailing());
            }
        }
    }

    /** Map of dom → label for every guest. */
    public Map<Integer, String> labels() {
        TreeMap<Integer, String> m = new TreeMap<>();
        for (Guest g : guests.values()) m.put(g.dom(), g.label());
        return m;
    }
}
