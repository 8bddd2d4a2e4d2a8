package xensim.nemesis;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.check.Invariant;
import xensim.platform.Event;
import xensim.platform.EventRecorder;
import xensim.runtime.Host;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;
import xensim.scenario.Scenario;
import xensim.testing.GuestWork;

/**
 * Each fault kind on a real host (one guest unless said, deterministic): it is injected (a
 * FAULT_INJECTED event), its effect shows in the log, and the verdict is what the fault does to
 * the design under test — recovered, or the invariant it breaks.
 */
class FaultsTest {
    @TempDir
    Path tmp;

    record Run(RunResult result, List<Event> events) {
        List<Event> named(String ev) {
            return events.stream().filter(e -> e.ev().equals(ev)).toList();
        }

        Set<Invariant> verdict() {
            return result.verdict();
        }
    }

    Run run(String strategy, long seed, int guests, String... faults) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "run");
        Scenario sc = Scenario.defaults().withMoreFaults(Nemesis.parseAll(List.of(faults)));
        HostConfig d = sc.hostConfig(dir);
        HostConfig cfg = d.withGuests(guests, 16 * 2048, new xensim.os.OsConfig(true, 32, true), dir)
                .withFirmware(new xensim.firmware.FirmwareConfig(strategy, 8, 4, true, null, d.firmware().firmwareIo()));
        EventRecorder rec = new EventRecorder();
        RunResult r = Simulation.run(new RunSpec(seed, xensim.platform.Mode.DETERMINISTIC, strategy, "faults", null, 1.0, 60_000),
                (seam, done) -> Host.create(seam, cfg, done), rec);
        return new Run(r, rec.events());
    }

    static void injected(Run r, String kind) {
        assertTrue(r.named("FAULT_INJECTED").stream().anyMatch(e -> kind.equals(e.getString("kind"))), kind + " was injected");
    }

    @Test
    void backendCrashMidIoUnderASafeDesignLosesNothingAcknowledged() throws Exception {
        Run r = run("refcount", 1, 1, "backend-crash@requests=40");
        injected(r, "backend-crash");
        assertEquals(1, r.named("BACKEND_CRASH").size());
        assertEquals(Set.of(), r.verdict(), "the guest recovers: every verified read matches, nothing hangs");
        GuestWork.assertEveryGuestDidItsWork(r.events());
        assertFalse(r.named("IO_VERIFY").isEmpty());
        Event done = r.named("OS_DONE").get(0);
        assertEquals(0L, done.getLong("verifyFailures"));
        assertTrue(done.getLong("ios") >= 32, done.json());
        assertEquals(RunResult.Ending.COMPLETED, r.result().ending());
    }

    @Test
    void backendStallAcrossEbsDelaysButDoesNotBreakASafeDesign() throws Exception {
        Run base = run("exit-callback", 2, 1);
        Run r = run("exit-callback", 2, 1, "backend-stall@ebs-begin:duration=20ms");
        injected(r, "backend-stall");
        assertEquals(Set.of(), r.verdict());
        GuestWork.assertEveryGuestDidItsWork(r.events());
        assertTrue(r.result().virtualNanos() >= base.result().virtualNanos() + 10_000_000L,
                "the stall shows in virtual time: " + base.result().virtualNanos() + " -> " + r.result().virtualNanos());
    }

    @Test
    void backendSlowStretchesTheOsPhase() throws Exception {
        Run base = run("refcount", 3, 1);
        Run r = run("refcount", 3, 1, "backend-slow@os-handoff:factor=10");
        injected(r, "backend-slow");
        assertEquals(Set.of(), r.verdict());
        GuestWork.assertEveryGuestDidItsWork(r.events());
        assertTrue(r.result().virtualNanos() > 3 * base.result().virtualNanos());
    }

    @Test
    void xenstoredRestartIsAnOutageTheGuestRidesOut() throws Exception {
        Run r = run("refcount", 1, 1, "xenstored-restart@os-handoff:duration=3ms");
        injected(r, "xenstored-restart");
        List<Event> restart = r.named("XS_RESTART");
        assertEquals(List.of("down", "up"), restart.stream().map(e -> e.getString("phase")).toList());
        assertEquals(3_000_000L, restart.get(1).t() - restart.get(0).t());
        // nothing was served while it was down
        long down = restart.get(0).seq();
        long up = restart.get(1).seq();
        assertTrue(r.events().stream().noneMatch(e -> e.ev().equals("XS_RSP") && e.seq() > down && e.seq() < up));
        assertEquals(Set.of(), r.verdict());
        GuestWork.assertEveryGuestDidItsWork(r.events());
    }

    @Test
    void aDroppedEventChannelNotificationHangsTheGuest() throws Exception {
        Run r = run("refcount", 1, 1, "evtchn-drop@p=0.1");
        injected(r, "evtchn-drop");
        assertTrue(r.named("EVTCHN_SEND").stream().anyMatch(e -> Boolean.TRUE.equals(e.get("dropped")) && "drop".equals(e.get("injected"))));
        assertEquals(Set.of(Invariant.HANG), r.verdict(), "a lost kick is never re-sent: the waiting side spins forever");
    }

    @Test
    void duplicatedAndDelayedEventsAreHarmless() throws Exception {
        Run dup = run("refcount", 1, 1, "evtchn-dup@p=0.2");
        injected(dup, "evtchn-dup");
        assertTrue(dup.named("EVTCHN_SEND").stream().anyMatch(e -> "dup".equals(e.get("injected"))));
        assertEquals(Set.of(), dup.verdict(), "spurious events must be tolerated");
        GuestWork.assertEveryGuestDidItsWork(dup.events());
        Run delay = run("refcount", 1, 1, "evtchn-delay@os-handoff:delay=2ms,count=5");
        injected(delay, "evtchn-delay");
        assertEquals(5, delay.named("EVTCHN_SEND").stream().filter(e -> "delay".equals(e.get("injected"))).count());
        assertEquals(Set.of(), delay.verdict());
        GuestWork.assertEveryGuestDidItsWork(delay.events());
    }

    @Test
    void aCorruptedReadIsCaughtByTheOsVerification() throws Exception {
        Run r = run("refcount", 1, 1, "ring-corrupt@os-handoff:what=data");
        injected(r, "ring-corrupt");
        assertEquals(1, r.named("RING_RSP").stream().filter(e -> "data".equals(e.get("corrupted"))).count());
        assertEquals(Set.of(Invariant.DATA_INTEGRITY), r.verdict());
    }

    @Test
    void aHostileFrontendRingIsShutByTheBackendAndTheGuestStops() throws Exception {
        Run r = run("refcount", 1, 1, "ring-corrupt@requests=30:what=request");
        injected(r, "ring-corrupt");
        assertTrue(r.named("BACKEND_ERROR").stream().anyMatch(e -> e.getString("detail").contains("bogus ring requests")));
        assertEquals(Set.of(Invariant.HANG), r.verdict());
        Run rsp = run("refcount", 1, 1, "ring-corrupt@requests=30:what=response");
        assertEquals(1, rsp.named("RING_RSP").stream().filter(e -> "id".equals(e.get("corrupted"))).count());
        assertEquals(Set.of(Invariant.HANG), rsp.verdict(), "a response with an unknown id leaves its request unanswered");
    }

    @Test
    void grantMapEagainIsRetriedAsLinuxDoes() throws Exception {
        Run r = run("refcount", 1, 1, "grant-map-eagain@os-handoff:count=3");
        injected(r, "grant-map-eagain");
        List<Event> eagain = r.named("GRANT_MAP").stream().filter(e -> Boolean.TRUE.equals(e.get("injected"))).toList();
        assertEquals(3, eagain.size());
        assertEquals(Set.of(), r.verdict(), "blkback retries GNTST_eagain with a growing delay");
        GuestWork.assertEveryGuestDidItsWork(r.events());
    }

    @Test
    void destroyingAGuestMidIoLeaksTheGrantsItsBackendStillMaps() throws Exception {
        Run r = run("refcount", 1, 2, "domain-destroy@requests=30:guest=0");
        injected(r, "domain-destroy");
        assertEquals(Set.of(Invariant.GRANT_LEAK), r.verdict());
        assertTrue(r.named("VIOLATION").stream().allMatch(e -> e.dom() == 1), "only the destroyed guest");
        assertEquals(1, r.named("OS_DONE").size(), "the other guest finishes");
        assertEquals(2, GuestWork.assertDidTheirWork(r.events(), dom -> dom == 2).get(0).dom(), "and does its work");
    }

    @Test
    void aTimeTriggerForAGuestThatIsNotRunningIsSkipped() throws Exception {
        Run r = run("refcount", 1, 1, "backend-stall@1ms:guest=5");
        assertEquals(1, r.named("FAULT_SKIPPED").size());
        assertEquals(0, r.named("FAULT_INJECTED").size());
        assertEquals(Set.of(), r.verdict());
        GuestWork.assertEveryGuestDidItsWork(r.events());
    }

    @Test
    void sameSeedSameFaultsSameLogWithSeveralGuests() throws Exception {
        String[] faults = {"backend-stall@ebs-begin:duration=2ms", "evtchn-delay@p=0.05:delay=300us", "backend-crash@requests=25:guest=1"};
        Run a = run("bus-tracks", 7, 3, faults);
        Run b = run("bus-tracks", 7, 3, faults);
        assertTrue(a.named("FAULT_INJECTED").size() >= 3);
        assertEquals(a.events().stream().map(Event::json).toList(), b.events().stream().map(Event::json).toList());
    }
}
