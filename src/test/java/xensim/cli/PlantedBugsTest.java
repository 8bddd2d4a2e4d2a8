package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import xensim.planted.PlantedDesigns;

/**
 * Each planted bug (a safe design with one mistake, {@link PlantedDesigns}) is reported by
 * {@code explore} with the bug-hunting schedule (pct:3), and {@code --shrink} reduces its smallest
 * failing run — two guests and two faults it does not need — to a replay without a fault.
 */
class PlantedBugsTest {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void plant() {
        PlantedDesigns.register();
    }

    @ParameterizedTest
    @ValueSource(strings = {"planted-early-reset", "planted-end-in-flight", "planted-state-too-early", "planted-timer-notify", "planted-free-in-ebs"})
    void exploreReportsItAndShrinkDropsTheIrrelevantFaults(String bug) {
        String io = PlantedFiguresTest.IO.getOrDefault(bug, "ovmf");
        Cli.Result r = Cli.exec("explore", "--strategy", bug, "--firmware-io", io, "--schedule", "pct:3", "--seeds", "10", "--guests", "2",
                "--fault", "backend-slow@80ms:factor=2", "--fault", "evtchn-dup@p=0.01", "--stop-on-first", "--shrink",
                "--no-progress", "--out", tmp.resolve(bug).toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("| " + bug + " · pct:3/"), r.out());
        String shrunk = r.out().lines().filter(l -> l.startsWith("- " + bug + " · pct:3/") && !l.contains(": seed ")).findFirst().orElse("");
        assertTrue(shrunk.contains("./xensim run --strategy " + bug), r.out());
        assertFalse(shrunk.contains("--fault"), "no irrelevant fault left: " + shrunk);
        String runs = r.out().lines().filter(l -> l.startsWith("  - runs: ")).findFirst().orElse("");
        assertTrue(runs.contains("faults 2 -> 0"), runs);
    }

    /**
     * The backend class of planted bug (a backend that acknowledges writes it never performed after
     * a crash) is planted as faults, not as a design: {@code backend-lost-writes} makes the restarted
     * blkback answer the WRITEs its dead incarnation left unanswered without writing them, and the
     * crash comes at the guest's 14th request (a WRITE of the OS's workload under seed 1). Explore
     * reports DATA_INTEGRITY; shrink keeps exactly those two faults and drops the two irrelevant ones
     * and the second guest.
     */
    @org.junit.jupiter.api.Test
    void aBackendThatAcknowledgesWritesItNeverPerformedAfterACrash() throws Exception {
        Cli.Result r = Cli.exec("explore", "--strategy", "refcount", "--schedule", "pct:3", "--seeds", "10", "--guests", "2",
                "--fault", "backend-slow@80ms:factor=2", "--fault", "backend-crash@requests=14", "--fault", "evtchn-dup@p=0.01",
                "--fault", "backend-lost-writes@requests=1", "--stop-on-first", "--shrink", "--no-progress",
                "--out", tmp.resolve("lost-writes").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("| refcount · pct:3/") && r.out().contains("DATA_INTEGRITY"), r.out());
        String shrunk = r.out().lines().filter(l -> l.startsWith("- refcount · pct:3/") && l.contains("DATA_INTEGRITY") && !l.contains(": seed "))
                .findFirst().orElse("");
        assertTrue(shrunk.contains("--fault backend-crash@requests=14") && shrunk.contains("--fault backend-lost-writes@requests=1"), shrunk);
        assertFalse(shrunk.contains("backend-slow") || shrunk.contains("evtchn-dup") || shrunk.contains("--guests 2"), shrunk);
        String runs = r.out().lines().filter(l -> l.startsWith("  - runs: ")).findFirst().orElse("");
        assertTrue(runs.contains("faults 4 -> 2") && runs.contains("guests 2 -> 1"), runs);
        // the same run without the defect is clean: the crash alone loses nothing (the restart re-serves the journal)
        Cli.Result clean = Cli.exec("run", "--strategy", "refcount", "--seed", "1", "--fault", "backend-crash@requests=14",
                "--out", tmp.resolve("crash-only").toString());
        assertEquals(0, clean.code(), clean.out());
        assertTrue(clean.out().contains("verdict: clean"), clean.out());
        String log = java.nio.file.Files.readString(tmp.resolve("crash-only/events.jsonl"));
        assertTrue(log.contains("\"ev\":\"BACKEND_CRASH\"") && log.contains("\"op\":\"BLKIF_OP_WRITE\""), "the crash happened, with writes");
    }

    /**
     * The other backend class of planted bug, a backend that answers before unmapping, is a fault too:
     * {@code backend-respond-before-unmap} pushes and notifies each response before it unmaps the
     * request's data grants (1-10 µs later). OVMF's XenPvBlockAsyncIoPoll ends access to each grant
     * when it sees the response (the upcall, 2 µs after the notify) and ignores the EFI_NOT_READY it
     * gets while dom0 still maps the page, so the entry still permits access when the OS reclaims the
     * loader's buffer: STALE_GRANT on the safe refcount design. Explore reports it; shrink keeps only
     * the defect (faults 3 -> 1, guests 2 -> 1).
     */
    @org.junit.jupiter.api.Test
    void aBackendThatAnswersBeforeUnmapping() throws Exception {
        Cli.Result r = Cli.exec("explore", "--strategy", "refcount", "--schedule", "pct:3", "--seeds", "10", "--guests", "2",
                "--fault", "backend-slow@80ms:factor=2", "--fault", "evtchn-dup@p=0.01", "--fault", "backend-respond-before-unmap@requests=1",
                "--stop-on-first", "--shrink", "--no-progress", "--out", tmp.resolve("respond-before-unmap").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("| refcount · pct:3/") && r.out().contains("STALE_GRANT"), r.out());
        String shrunk = r.out().lines().filter(l -> l.startsWith("- refcount · pct:3/") && l.contains("STALE_GRANT") && !l.contains(": seed "))
                .findFirst().orElse("");
        assertTrue(shrunk.contains("--fault backend-respond-before-unmap@requests=1"), shrunk);
        assertFalse(shrunk.contains("backend-slow") || shrunk.contains("evtchn-dup") || shrunk.contains("--guests 2"), shrunk);
        String runs = r.out().lines().filter(l -> l.startsWith("  - runs: ")).findFirst().orElse("");
        assertTrue(runs.contains("faults 3 -> 1") && runs.contains("guests 2 -> 1"), runs);
    }

    /**
     * The violation is the defect's window and nothing else: the same run without the fault is clean;
     * with it, the firmware's GrantEndAccess comes between the response and the unmap and is refused,
     * and the violation names the grant; with the same defect but an event channel slower than the
     * latest late unmap (11 µs), every response reaches the firmware after its unmap and the run is
     * clean again, though every response was defective. Same seed twice: the same log, byte for byte.
     */
    @org.junit.jupiter.api.Test
    void theRespondBeforeUnmapViolationNeedsItsWindowAndReplaysExactly() throws Exception {
        Cli.Result clean = Cli.exec("run", "--strategy", "refcount", "--seed", "1", "--out", tmp.resolve("rbu-none").toString());
        assertEquals(0, clean.code(), clean.out());
        String cleanLog = java.nio.file.Files.readString(tmp.resolve("rbu-none/events.jsonl"));
        assertTrue(cleanLog.contains("\"ev\":\"GRANT_END\"") && !cleanLog.contains("\"ok\":false"), "grants ended, none refused");

        String[] bad = {"run", "--strategy", "refcount", "--seed", "1", "--fault", "backend-respond-before-unmap@requests=1"};
        Cli.Result r1 = Cli.exec(with(bad, "--out", tmp.resolve("rbu-1").toString()));
        Cli.Result r2 = Cli.exec(with(bad, "--out", tmp.resolve("rbu-2").toString()));
        assertEquals(1, r1.code(), r1.out());
        assertTrue(r1.out().contains("verdict: VIOLATION STALE_GRANT"), r1.out());
        String log = java.nio.file.Files.readString(tmp.resolve("rbu-1/events.jsonl"));
        assertEquals(log, java.nio.file.Files.readString(tmp.resolve("rbu-2/events.jsonl")), "same seed, same log");
        // the evidence: a response published before its unmap, a refused end of access in between
        java.util.List<String> lines = log.lines().toList();
        int refused = indexOf(lines, 0, l -> l.contains("\"comp\":\"fw.xenbus\",\"ev\":\"GRANT_END\"") && l.contains("\"ok\":false"));
        assertTrue(refused > 0, "the firmware's end of access was refused");
        String ref = field(lines.get(refused), "ref");
        int rsp = refused;
        while (--rsp >= 0 && !(lines.get(rsp).contains("\"ev\":\"RING_RSP\"") && lines.get(rsp).contains("\"unmapAfter\""))) { }
        int unmap = indexOf(lines, refused, l -> l.contains("\"ev\":\"GRANT_UNMAP\"") && l.contains("\"ref\":" + ref + ","));
        assertTrue(rsp >= 0 && unmap > refused, "response #" + rsp + ", refused end #" + refused + ", unmap #" + unmap);
        assertEquals(Long.parseLong(field(lines.get(rsp), "t")) + Long.parseLong(field(lines.get(rsp), "unmapAfter")),
                Long.parseLong(field(lines.get(unmap), "t")), "the unmap lands unmapAfter after the response");
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"invariant\":\"STALE_GRANT\"") && l.contains("still permits foreign access")));
        Cli.Result offline = Cli.exec("timeline", tmp.resolve("rbu-1/events.jsonl").toString(), "--check");
        assertTrue(offline.out().contains("VIOLATION STALE_GRANT") && offline.out().contains("(agrees)"), offline.out());

        Path conf = tmp.resolve("slow-evtchn.conf");
        java.nio.file.Files.writeString(conf, "xensim.hypervisor.evtchn-latency = 11us\n");
        Cli.Result closed = Cli.exec("run", "--scenario", conf.toString(), "--strategy", "refcount", "--seed", "1",
                "--fault", "backend-respond-before-unmap@requests=1", "--out", tmp.resolve("rbu-closed").toString());
        assertEquals(0, closed.code(), closed.out());
        String closedLog = java.nio.file.Files.readString(tmp.resolve("rbu-closed/events.jsonl"));
        assertTrue(closedLog.lines().filter(l -> l.contains("\"unmapAfter\"")).count() > 20, "the defect hit every response");
        assertFalse(closedLog.contains("\"ok\":false"), "no end of access was refused");
    }

    private static String[] with(String[] a, String... more) {
        String[] r = java.util.Arrays.copyOf(a, a.length + more.length);
        System.arraycopy(more, 0, r, a.length, more.length);
        return r;
    }

    private static int indexOf(java.util.List<String> lines, int from, java.util.function.Predicate<String> p) {
        for (int i = from; i < lines.size(); i++) if (p.test(lines.get(i))) return i;
        return -1;
    }

    /** A numeric field of one log line. */
    private static String field(String line, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\":(-?\\d+)").matcher(line);
        assertTrue(m.find(), name + " in " + line);
        return m.group(1);
    }
}
