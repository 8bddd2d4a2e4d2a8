package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.XENSTORE_RING_SIZE;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.timeline.LogEvent;
import xensim.timeline.LogReader;

/**
 * Issue 14 item 7: OVMF's 0xff reset races C xenstored for real, in deterministic mode too, and
 * the seed decides it. XenStoreDeinit stores the indexes one by one (req_prod first); C
 * xenstored's main loop, woken by another guest, reads {@code req_cons != req_prod} for every
 * ring; a guest caught between its two request-index stores has a request ring that fails
 * readchn's check, and xenstored cuts it off for good (ignore_connection, XENSTORE_ERROR_RINGIDX).
 *
 * <p>The host is heavily overcommitted (a vCPU preempted about every 50 ns of run time for about
 * 100 µs: a stress setting that makes the one-store window likely; the default, 10 ms, makes it
 * about a million times rarer). Three guests under refcount. The test takes the smallest seed
 * that catches a guest (seed 11 when written: dom3, preempted for 130 µs during "req_cons = 0";
 * seed 9 before the edk2 notify order and the Linux OS were merged), so that an unrelated change
 * to the model moves the seed, not the finding; the same seed and scenario replay it.
 */
class XenstoreResetRaceTest {
    @TempDir
    Path tmp;

    static final String BUSY = "xensim { guests.count = 3, guests.vcpu-preempt-interval = 50ns, guests.vcpu-preempt = 100us }\n";

    private static List<LogEvent> read(Path file) throws Exception {
        List<LogEvent> out = new ArrayList<>();
        try (LogReader r = LogReader.open(file)) {
            LogEvent e;
            while ((e = r.next()) != null) out.add(e);
        }
        return out;
    }

    private static List<LogEvent> named(List<LogEvent> log, String ev, int dom) {
        return log.stream().filter(e -> e.ev().equals(ev) && e.dom() == dom).toList();
    }

    @Test
    void aHalfDoneResetCutsTheGuestOffAndItsOsHangs() throws Exception {
        Path sc = Files.writeString(tmp.resolve("busy.conf"), BUSY);
        Path dir = null;
        Cli.Result o = null;
        long seed = 0;
        for (long s = 1; s <= 40 && dir == null; s++) {
            Path d = tmp.resolve("race-" + s);
            Cli.Result r = Cli.exec("run", "--scenario", sc.toString(), "--strategy", "refcount", "--seed", Long.toString(s), "--out", d.toString());
            if (Files.readString(d.resolve("events.jsonl")).contains("\"bad-ring-index\"")) {
                dir = d;
                o = r;
                seed = s;
            }
        }
        assertTrue(dir != null, "no seed of 1..40 caught a guest half way through its reset");
        assertEquals(Main.EXIT_VIOLATION, o.code(), "seed " + seed + ": " + o.out() + o.err());
        assertTrue(o.out().contains("verdict: VIOLATION HANG\n"), o.out());
        List<LogEvent> log = read(dir.resolve("events.jsonl"));

        List<LogEvent> cut = log.stream().filter(e -> e.ev().equals("XS_RESET") && "bad-ring-index".equals(e.getString("reason"))).toList();
        assertEquals(1, cut.size(), "one guest cut off: " + cut);
        assertEquals("req", cut.get(0).getString("ring"));
        assertEquals(0, cut.get(0).getLong("prod", -1), "req_prod already zeroed");
        assertTrue(cut.get(0).getLong("cons", 0) > XENSTORE_RING_SIZE, "req_cons not yet: " + cut.get(0));
        int dom = cut.get(0).dom();
        long at = cut.get(0).t();
        LogEvent deinit = named(log, "XENSTORE_DEINIT", dom).get(0);
        LogEvent reset = named(log, "XENBUS_RESET", dom).get(0);
        assertEquals("ring-0xff", deinit.getString("method"), "C xenstored offers no RECONNECTION: OVMF's 0xff path");
        assertTrue(deinit.t() < at && at < reset.t(), "xenstored cut the guest off while its firmware was resetting the ring");
        // the firmware was descheduled between its two request-index stores
        assertTrue(named(log, "VCPU_PREEMPTED", dom).stream().anyMatch(e -> "req_cons = 0".equals(e.getString("during"))
                && e.t() < at && at < e.t() + e.getLong("nanos", 0)), "preempted during 'req_cons = 0' when xenstored looked");

        // the OS never gets xenstore back: none of its requests is read
        long handoff = named(log, "OS_HANDOFF", dom).get(0).t();
        assertTrue(named(log, "XS_REQ", dom).stream().noneMatch(e -> e.t() > handoff), "no request of the OS was ever handled");
        List<LogEvent> hang = named(log, "VIOLATION", dom);
        assertEquals(1, hang.size(), hang.toString());
        assertEquals("HANG", hang.get(0).getString("invariant"));
        assertTrue(hang.get(0).getString("detail").contains("never connected device"), hang.toString());
        assertEquals(1, log.stream().filter(e -> e.ev().equals("VIOLATION")).count(), "the other guests are clean");

        // the offline checker judges the log the same
        Cli.Result check = Cli.exec("timeline", dir.resolve("events.jsonl").toString(), "--check");
        assertEquals(Main.EXIT_VIOLATION, check.code(), check.out() + check.err());
        assertTrue(check.out().contains("(agrees)"), check.out());

        // the same run is byte for byte the same
        Path again = tmp.resolve("again");
        Cli.exec("run", "--scenario", sc.toString(), "--strategy", "refcount", "--seed", Long.toString(seed), "--out", again.toString());
        assertEquals(Files.readString(dir.resolve("events.jsonl")), Files.readString(again.resolve("events.jsonl")));
    }

    @Test
    void oxenstoredsReconnectionHasNoSuchRace() throws Exception {
        Path sc = Files.writeString(tmp.resolve("busy.conf"), BUSY);
        Path dir = tmp.resolve("ocaml");
        Cli.Result o = Cli.exec("run", "--scenario", sc.toString(), "--strategy", "refcount", "--seed", "11", "--xenstored", "ocaml",
                "--out", dir.toString());
        assertEquals(Main.EXIT_CLEAN, o.code(), o.out() + o.err());
        List<LogEvent> log = read(dir.resolve("events.jsonl"));
        assertTrue(log.stream().filter(e -> e.ev().equals("XENSTORE_DEINIT")).allMatch(e -> "reconnect".equals(e.getString("method"))));
        assertTrue(log.stream().noneMatch(e -> e.ev().equals("XS_RESET") && "bad-ring-index".equals(e.getString("reason"))));
    }
}
