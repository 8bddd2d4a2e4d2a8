package xensim.timeline;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.check.Invariant;
import xensim.firmware.DesignCatalog;
import xensim.nemesis.Nemesis;
import xensim.platform.Mode;
import xensim.runtime.Host;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;
import xensim.scenario.Scenario;

/**
 * Offline = online on real runs: 50 seeds spread over all five strategies, each with a fault
 * from a rotating list (and some with none), written to events.jsonl by the harness; the offline
 * checker, reading only the file, must reach the online verdict run for run.
 */
class RealRunAgreementTest {
    static final List<List<String>> FAULTS = List.of(List.of(), List.of("backend-stall@ebs-begin:duration=3ms"),
            List.of("backend-crash@requests=25"), List.of("evtchn-drop@p=0.05"), List.of("ring-corrupt@os-handoff:what=data"),
            List.of("domain-destroy@requests=20"), List.of("grant-map-eagain@p=0.2"), List.of("xenstored-restart@os-handoff:duration=2ms"),
            List.of("evtchn-dup@p=0.1", "backend-slow@os-handoff:factor=3"), List.of("ring-corrupt@requests=30:what=response"));

    @TempDir
    Path tmp;

    @Test
    void offlineVerdictEqualsOnlineVerdictOverFiftySeedsAllStrategiesAndFaults() throws Exception {
        Set<String> seen = new TreeSet<>();
        for (int seed = 1; seed <= 50; seed++) {
            String strategy = DesignCatalog.builtIn().names().get(seed % DesignCatalog.builtIn().names().size());
            List<String> faults = FAULTS.get((seed / DesignCatalog.builtIn().names().size()) % FAULTS.size());
            Path dir = Files.createTempDirectory(tmp, "s" + seed);
            Scenario sc = Scenario.defaults().withMoreFaults(Nemesis.parseAll(faults));
            HostConfig d = sc.hostConfig(dir);
            HostConfig cfg = d.withGuests(1, 8 * 2048, new xensim.os.OsConfig(true, 16, true), dir)
                    .withFirmware(new xensim.firmware.FirmwareConfig(strategy, 8, 4, true, null, d.firmware().firmwareIo()));
            RunResult r = Simulation.run(new RunSpec(seed, Mode.DETERMINISTIC, strategy, "agreement", dir, 1.0, 60_000),
                    (seam, done) -> Host.create(seam, cfg, done));
            TimelineAnalysis.Result off = TimelineAnalysis.analyse(r.eventsFile(), TimelineAnalysis.Options.checkOnly());
            Set<String> online = new LinkedHashSet<>();
            for (Invariant i : r.verdict()) online.add(i.name());
            assertEquals(new TreeSet<>(online), new TreeSet<>(off.checker().verdict()),
                    "seed " + seed + " " + strategy + " " + faults + ": online " + online + " offline " + off.checker().verdict());
            assertTrue(off.agrees(), "RUN_END as read back agrees, seed " + seed);
            seen.addAll(online);
        }
        // the sample is not trivially clean: several invariants are exercised
        assertTrue(seen.containsAll(Set.of("ALLOC_IN_EBS", "STALE_MAPPING", "HANG", "DATA_INTEGRITY", "GRANT_LEAK", "STALE_GRANT")),
                "seen: " + seen);
    }
}
