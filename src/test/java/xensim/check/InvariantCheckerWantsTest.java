package xensim.check;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.nemesis.Nemesis;
import xensim.platform.Event;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.platform.EventSink;
import xensim.platform.Mode;
import xensim.runtime.Host;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;
import xensim.scenario.Scenario;

/**
 * The log builds only the events some sink wants ({@link EventSink#wants}); the online checker says
 * it wants {@link InvariantChecker#READS}. Real runs (clean, and violating several invariants)
 * show that this changes nothing: a checker fed only those events judges exactly as one fed every
 * event, and a run whose sinks want almost nothing numbers its events as a run that builds all of
 * them (the VIOLATION and RUN_END events, seq and time included, are the same JSON).
 */
class InvariantCheckerWantsTest {
    @TempDir
    Path tmp;

    private static final Set<String> VERDICT_ONLY = Set.of("VIOLATION", "RUN_END");

    private record Case(String strategy, long seed, int guests, List<String> faults) {}

    private static final List<Case> CASES = List.of(
            new Case("refcount", 1, 2, List.of()),
            new Case("disconnect", 1, 1, List.of()),
            new Case("naive-reset", 2, 1, List.of()),
            new Case("refcount", 1, 1, List.of("evtchn-drop@p=0.1")),
            new Case("refcount", 1, 1, List.of("ring-corrupt@os-handoff:what=data")),
            new Case("refcount", 1, 2, List.of("domain-destroy@requests=30:guest=0")));

    private RunResult run(Case c, EventSink sink) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "run");
        Scenario sc = Scenario.defaults().withMoreFaults(Nemesis.parseAll(c.faults()));
        HostConfig d = sc.hostConfig(dir);
        HostConfig cfg = d.withGuests(c.guests(), 16 * 2048, new xensim.os.OsConfig(true, 32, true), dir)
                .withFirmware(d.firmware().withStrategy(c.strategy()));
        return Simulation.run(new RunSpec(c.seed(), Mode.DETERMINISTIC, c.strategy(), "wants", null, 1.0, 60_000),
                (seam, done) -> Host.create(seam, cfg, done), sink);
    }

    private static List<String> json(List<Event> events) {
        return events.stream().map(Event::json).toList();
    }

    /** The VIOLATION events a fresh checker emits when fed {@code events} (only those it wants if {@code filtered}). */
    private static List<String> judge(List<Event> events, boolean filtered) {
        EventRecorder out = new EventRecorder();
        InvariantChecker checker = new InvariantChecker(new EventLog(out));
        for (Event e : events) {
            if (e.ev().equals("VIOLATION")) continue; // the online checker's own, which this one emits again
            if (!filtered || checker.wants(e.ev())) checker.accept(e);
        }
        checker.finish();
        return json(out.events());
    }

    @Test
    void buildingOnlyWantedEventsChangesNoVerdictNoSeqAndNoViolation() throws Exception {
        Set<Invariant> seen = java.util.EnumSet.noneOf(Invariant.class);
        for (Case c : CASES) {
            EventRecorder all = new EventRecorder();
            RunResult full = run(c, all);
            EventRecorder few = new EventRecorder();
            RunResult lean = run(c, EventSink.only(VERDICT_ONLY, few));
            String what = c + ": ";
            assertTrue(all.events().size() > 300, what + "the run did its work: " + all.events().size() + " events");
            assertEquals(full.verdictLine(), lean.verdictLine(), what + "verdict");
            assertEquals(full.counts(), lean.counts(), what + "violation counts");
            assertEquals(full.events(), lean.events(), what + "events numbered");
            assertEquals(all.events().size(), full.events(), what + "every event reached the recorder");
            assertEquals(json(all.events().stream().filter(e -> VERDICT_ONLY.contains(e.ev())).toList()), json(few.events()),
                    what + "VIOLATION and RUN_END, seq and time included");
            assertTrue(few.events().size() < all.events().size() / 20, what + "the lean run's sink got only its events");

            List<String> everything = judge(all.events(), false);
            assertEquals(everything, judge(all.events(), true), what + "a checker fed only READS judges as one fed all");
            seen.addAll(full.verdict());
        }
        assertTrue(seen.size() >= 3, "the cases violate several invariants: " + seen);
    }

    @Test
    void aLogWithNoSinkThatWantsAnEventStillNumbersIt() {
        EventRecorder rec = new EventRecorder();
        EventLog log = new EventLog(EventSink.only(Set.of("B"), rec));
        assertNull(log.event(1, "x", "A").with("k", 1).with("s", "v").emit(), "not built");
        Event b = log.event(1, "x", "B").with("k", 2).emit();
        assertEquals(2, b.seq());
        assertEquals(2, log.count());
        assertFalse(log.wants("A"));
        log.addSink(new EventRecorder()); // wants every event: the answer is asked again
        assertTrue(log.wants("A"));
        assertEquals(3, log.event(1, "x", "A").emit().seq());
        assertEquals(List.of(b), rec.events());
    }
}
