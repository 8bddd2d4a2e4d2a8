package xensim.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.IntPredicate;
import xensim.platform.Event;
import xensim.timeline.LogEvent;
import xensim.timeline.LogReader;

/**
 * "Clean" says nothing broke; it does not say anything was done. A test that asserts a clean,
 * completed run asserts with this too that each guest did its work, from the log and apart from
 * the checker's own rule: its OS took over and finished, connected every disk the toolstack
 * created, had every I/O asked of it answered OKAY — as the OS saw it (OS_WORKLOAD_END) and as the
 * backend did (RING_RSP) — verified what it read, and read back every sector it had acknowledged.
 */
public final class GuestWork {
    private GuestWork() {}

    /** What one guest did, as its log shows it. */
    public record Guest(int dom, int devices, long asked, long ios, long readBack, long readBackSectors, long verifiedReads,
                        long backendOkay) {}

    /** An event of either kind (in memory or read back from events.jsonl). */
    private record E(int dom, String ev, Function<String, Object> get) {
        long num(String f) {
            return get.apply(f) instanceof Number n ? n.longValue() : -1;
        }

        String str(String f) {
            Object v = get.apply(f);
            return v == null ? null : v.toString();
        }
    }

    /** Asserts every guest of an in-memory run did its work; returns what each did, by domain. */
    public static List<Guest> assertEveryGuestDidItsWork(List<Event> events) {
        return assertDidTheirWork(events, dom -> true);
    }

    /** As {@link #assertEveryGuestDidItsWork(List)} for the guests (domains) {@code which} selects. */
    public static List<Guest> assertDidTheirWork(List<Event> events, IntPredicate which) {
        List<E> es = new ArrayList<>(events.size());
        for (Event e : events) if (which.test(e.dom())) es.add(new E(e.dom(), e.ev(), e::get));
        return check(es);
    }

    /** As {@link #assertEveryGuestDidItsWork(List)} for a run's events.jsonl. */
    public static List<Guest> assertEveryGuestDidItsWork(Path eventsJsonl) {
        List<E> es = new ArrayList<>();
        try (LogReader r = LogReader.open(eventsJsonl)) {
            LogEvent e;
            while ((e = r.next()) != null) {
                LogEvent le = e;
                es.add(new E(le.dom(), le.ev(), le::get));
            }
            assertEquals(0, r.warningCount(), "a readable log: " + r.warnings());
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return check(es);
    }

    private static final class Dev {
        boolean connected;
        boolean failed;
        E end;
        long backendOkay;
        long verified;
        long readBackVerified;
    }

    private static List<Guest> check(List<E> events) {
        Map<Integer, Map<Long, Dev>> devs = new TreeMap<>();
        Map<Integer, E> handoff = new TreeMap<>();
        Map<Integer, E> done = new TreeMap<>();
        for (E e : events) {
            if (e.dom() == 0) continue;
            switch (e.ev()) {
                case "DOMAIN_CREATED" -> devs.computeIfAbsent(e.dom(), k -> new TreeMap<>());
                case "DEVICE_CREATED" -> devs.computeIfAbsent(e.dom(), k -> new TreeMap<>()).put(e.num("devid"), new Dev());
                case "OS_HANDOFF" -> handoff.put(e.dom(), e);
                case "OS_DONE" -> done.put(e.dom(), e);
                default -> {
                    Dev d = devs.getOrDefault(e.dom(), Map.of()).get(e.num("devid"));
                    if (d == null || !handoff.containsKey(e.dom())) continue; // the firmware's I/O is not the OS's work
                    switch (e.ev()) {
                        case "OS_DEVICE_CONNECTED" -> d.connected = true;
                        case "OS_DEVICE_FAILED" -> d.failed = true;
                        case "OS_WORKLOAD_END" -> d.end = e;
                        case "RING_RSP" -> {
                            if ("BLKIF_RSP_OKAY".equals(e.str("status"))) d.backendOkay++;
                        }
                        case "IO_VERIFY" -> {
                            assertEquals(Boolean.TRUE, e.get().apply("ok"), "dom" + e.dom() + ": a verified read matched");
                            d.verified++;
                            if (Boolean.TRUE.equals(e.get().apply("readBack"))) d.readBackVerified++;
                        }
                        default -> { }
                    }
                }
            }
        }
        assertFalse(devs.isEmpty(), "the log has guests");
        List<Guest> out = new ArrayList<>();
        for (Map.Entry<Integer, Map<Long, Dev>> g : devs.entrySet()) {
            int dom = g.getKey();
            String who = "dom" + dom;
            E h = handoff.get(dom);
            if (h == null) fail(who + ": its OS never took over");
            if (!done.containsKey(dom)) fail(who + ": its OS never finished");
            long asked = h.num("ioOps");
            assertTrue(asked > 0, who + ": OS_HANDOFF asks some verified I/O of each disk: " + asked);
            assertFalse(g.getValue().isEmpty(), who + " has disks");
            long ios = 0;
            long readBack = 0;
            long readBackSectors = 0;
            long verified = 0;
            long okay = 0;
            for (Map.Entry<Long, Dev> dv : g.getValue().entrySet()) {
                String disk = who + " disk " + dv.getKey();
                Dev d = dv.getValue();
                assertTrue(d.connected && !d.failed, disk + ": connected");
                if (d.end == null) fail(disk + ": its workload never ended");
                assertEquals(asked, d.end.num("ios"), disk + ": every I/O asked was answered OKAY");
                assertEquals(0, d.end.num("errors"), disk + ": no request failed");
                assertEquals(0, d.end.num("unverified"), disk + ": every acknowledged sector read back");
                assertTrue(d.end.num("readBackSectors") > 0, disk + ": there was something to read back");
                assertEquals(d.end.num("readBack"), d.readBackVerified, disk + ": each read-back request verified its sectors");
                assertTrue(d.backendOkay >= asked + d.end.num("readBack"),
                        disk + ": the backend answered the OS's requests OKAY (" + d.backendOkay + ")");
                ios += d.end.num("ios");
                readBack += d.end.num("readBack");
                readBackSectors += d.end.num("readBackSectors");
                verified += d.verified;
                okay += d.backendOkay;
            }
            assertEquals(g.getValue().size(), done.get(dom).num("connected"), who + ": OS_DONE counts every disk connected");
            out.add(new Guest(dom, g.getValue().size(), asked, ios, readBack, readBackSectors, verified, okay));
        }
        return out;
    }
}
