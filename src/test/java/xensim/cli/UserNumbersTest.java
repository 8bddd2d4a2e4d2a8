package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.scenario.Scenario;

/**
 * Numbers from the user are checked before a run: values that overflow, faults aimed at guests or
 * disks the host does not have, and a run whose output would not fit on the disk.
 */
class UserNumbersTest {
    @TempDir
    Path tmp;

    static Cli.Result badInput(String mustSay, String... args) {
        Cli.Result r = Cli.exec(args);
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), String.join(" ", args) + "\nout: " + r.out() + "\nerr: " + r.err());
        assertEquals(1, r.err().lines().count(), "exactly one line on stderr: " + r.err());
        assertTrue(r.err().contains(mustSay), "'" + mustSay + "' in: " + r.err());
        assertEquals("", r.out(), "refused before it started");
        return r;
    }

    @Test
    void aSlowDownThatOverflowsTheServiceTimeIsRefused() {
        // 1e308 x 400 us overflowed the service time to the backend's fastest: the fault made it instant
        badInput("--fault: fault 'backend-slow@os-handoff:factor=1e308': factor=1e308 would let one request take longer than 1h",
                "run", "--fault", "backend-slow@os-handoff:factor=1e308", "--out", tmp.resolve("a").toString());
        badInput("--fault: fault 'backend-stall@ebs-begin:duration=9223372036854775807ns': duration=9223372036854775807ns is longer than 1h",
                "run", "--fault", "backend-stall@ebs-begin:duration=9223372036854775807ns", "--out", tmp.resolve("b").toString());
        assertFalse(Files.exists(tmp.resolve("a")), "nothing written");
    }

    @Test
    void aFaultOnAGuestOrDiskThatDoesNotExistIsRefused() throws Exception {
        badInput("--fault: fault 'backend-crash@requests=5:guest=7': guest=7, but the host has 1 guest (guest 0)",
                "run", "--fault", "backend-crash@requests=5:guest=7", "--out", tmp.resolve("a").toString());
        Path two = Files.writeString(tmp.resolve("two.conf"), "xensim.guests.disks = 2\n");
        badInput("disk=3, but each guest has 2 disks (disk 0..1)", "run", "--scenario", two.toString(), "--guests", "2",
                "--fault", "backend-stall@1ms:guest=1,disk=3", "--out", tmp.resolve("b").toString());
        badInput("guest=7, but the host has 1 guest", "explore", "--strategy", "refcount", "--seeds", "1", "--no-progress",
                "--fault", "domain-destroy@requests=5:guest=7", "--out", tmp.resolve("c").toString());
        Path f = Files.writeString(tmp.resolve("g.conf"), "xensim.faults = [\"evtchn-drop@requests=20:guest=1\"]\n");
        badInput("g.conf, line 1, key xensim.faults: fault 'evtchn-drop@requests=20:guest=1': guest=1, but the host has 1 guest",
                "run", "--scenario", f.toString(), "--out", tmp.resolve("d").toString());
    }

    @Test
    void aRunWhoseOutputCannotFitIsRefusedWithTheEstimateAndTheFlagToForceIt() throws Exception {
        // ~10^8 events per guest x 100,000 guests: petabytes, more than any disk this test runs on
        Path big = Files.writeString(tmp.resolve("big.conf"), "xensim.guests { disks = 8, io-after-ebs = 1000000 }\n");
        Cli.Result r = badInput("--guests 100000: the run would write about ", "run", "--scenario", big.toString(), "--guests", "100000",
                "--out", tmp.resolve("big").toString());
        assertTrue(r.err().matches("(?s).* PB .*but .* free .*; use --force to run anyway\\n"), r.err());
        assertFalse(Files.exists(tmp.resolve("big")), "nothing created");
    }

    @Test
    void theEstimateComesFromMeasuredPerGuestSizesAndIsComparedWithTheFreeSpace() throws Exception {
        Scenario one = Scenario.defaults();
        SizeEstimate e1 = SizeEstimate.of(one);
        // measured on the default scenario: ~2,110 events, events.jsonl ~300 kB, trace.json ~460 kB, disk ~260 kB per guest
        assertTrue(e1.events() >= 2_110 && e1.events() <= 2_400, "events " + e1.events());
        assertTrue(e1.total() >= 800_000 && e1.total() <= 1_200_000, "bytes " + e1.total());
        Scenario many = Scenario.load(null, Map.of("guests.count", 1000));
        SizeEstimate e1000 = SizeEstimate.of(many);
        assertEquals(e1.logBytes() * 1000, e1000.logBytes(), "the log: per guest");
        assertEquals(e1.diskBytes() * 1000, e1000.diskBytes(), "the disks: per guest");
        // 1,000 guests: the trace and report are thinned to 8 guests' events and every guest's phases
        assertTrue(e1000.traceBytes() > e1.traceBytes() * 8 && e1000.traceBytes() < 20_000_000, "trace " + e1000.traceBytes());
        assertTrue(e1000.reportBytes() < 2_000_000, "report " + e1000.reportBytes());
        Scenario moreIo = Scenario.load(null, Map.of("guests.io-after-ebs", 640, "guests.disks", 2));
        assertTrue(SizeEstimate.of(moreIo).total() > 8 * e1.total(), "grows with I/Os and disks");

        Path out = tmp.resolve("out");
        SizeEstimate.check(many, out, e1000.total() + 1, false); // fits
        BadInputException no = assertThrows(BadInputException.class, () -> SizeEstimate.check(many, out, e1000.total() / 2, false));
        assertTrue(no.getMessage().startsWith("--guests 1000: the run would write about " + SizeEstimate.bytes(e1000.total()) + " under " + out
                + " (events.jsonl "), no.getMessage());
        assertTrue(no.getMessage().contains(") but only " + SizeEstimate.bytes(e1000.total() / 2) + " is free there"), no.getMessage());
        assertTrue(no.getMessage().contains("events.jsonl") && no.getMessage().contains("trace.json")
                && no.getMessage().contains("disk images") && no.getMessage().endsWith("; use --force to run anyway"), no.getMessage());
        SizeEstimate.check(many, out, e1000.total() / 2, true); // forced
        assertFalse(Files.exists(out), "the check creates nothing");
    }
}
