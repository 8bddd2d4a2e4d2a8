package xensim.scenario;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.nemesis.Fault;
import xensim.platform.Mode;
import xensim.runtime.HostConfig;

/** Scenario files: defaults from reference.conf, overrides, command-line flags, and every error message. */
class ScenarioTest {
    @TempDir
    Path tmp;

    Path file(String name, String text) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void theDefaultsAreTheEmbeddedHostDefaults() {
        Scenario s = Scenario.defaults();
        HostConfig fromRef = s.hostConfig(tmp);
        HostConfig embedded = HostConfig.defaults(tmp);
        assertEquals(embedded, fromRef, "reference.conf and HostConfig.defaults must agree");
        assertEquals(1, s.seed());
        assertEquals(Mode.DETERMINISTIC, s.mode());
        assertEquals("refcount", s.strategy());
    }

    @Test
    void aFileOverridesTheDefaultsAndFlagsOverrideTheFile() throws Exception {
        Path f = file("many.conf", """
                xensim {
                  seed = 9
                  strategy = bus-tracks
                  guests { count = 12, stagger = 500us, disks = 2, disk-size = 8MiB, io-after-ebs = 10, reset-state = false }
                  backend { latency-mean = 1ms, queue-depth = 4 }
                  faults = ["backend-stall@ebs-begin:duration=5ms", "evtchn-delay@p=0.1"]
                }
                """);
        Scenario s = Scenario.load(f, Map.of());
        assertEquals("many", s.name());
        assertEquals(9, s.seed());
        assertEquals("bus-tracks", s.strategy());
        assertEquals(12, s.guests());
        assertEquals(500_000, s.staggerNanos());
        assertEquals(2, s.disks());
        assertEquals(8L << 20, s.diskBytes());
        assertFalse(s.resetState());
        assertEquals(1_000_000, s.latencyMeanNanos());
        assertEquals(4, s.backendQueueDepth());
        assertEquals(2, s.faults().size());
        assertEquals(Fault.Kind.EVTCHN_DELAY, s.faults().get(1).kind());
        Scenario o = Scenario.load(f, Map.of("seed", 3L, "strategy", "refcount", "guests.count", 2));
        assertEquals(3, o.seed());
        assertEquals("refcount", o.strategy());
        assertEquals(2, o.guests());
        assertEquals(2, o.disks(), "what the flags do not name stays as the file says");
    }

    @Test
    void everyShippedScenarioLoads() throws Exception {
        Path dir = Path.of("..", "scenarios");
        assertTrue(Files.isDirectory(dir), "scenarios/ ships with the project");
        int n = 0;
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(p -> p.toString().endsWith(".conf")).sorted().toList()) {
                Scenario.load(p, Map.of());
                n++;
            }
        }
        assertTrue(n >= 5, "examples: " + n);
    }

    @Test
    void errorsNameTheFileTheLineTheKeyAndWhatWasExpected() throws Exception {
        assertError(file("a.conf", "xensim {\n  strategy = nope\n}\n"), "a.conf, line 2, key xensim.strategy: expected one of disconnect");
        assertError(file("b.conf", "xensim {\n  guests {\n    count = lots\n  }\n}\n"), "b.conf, line 3, key xensim.guests.count: expected a whole number");
        assertError(file("c.conf", "xensim.guests.count = 0\n"), "c.conf, line 1, key xensim.guests.count: expected a whole number between 1 and 100000, got 0");
        assertError(file("d.conf", "xensim {\n  strategyy = refcount\n}\n"), "d.conf, line 2, key xensim.strategyy: unknown setting");
        assertError(file("e.conf", "guests = 3\n"), "e.conf, line 1, key guests: unknown top-level key");
        assertError(file("f.conf", "xensim.backend.latency-mean = fast\n"), "f.conf, line 1, key xensim.backend.latency-mean: expected a duration");
        assertError(file("g.conf", "xensim.faults = [\"backend-stall@never\"]\n"), "g.conf, line 1, key xensim.faults: fault 'backend-stall@never': unknown trigger 'never'");
        assertError(file("h.conf", "xensim {\n  seed = \n"), "h.conf");
        assertError(file("i.conf", "xensim.mode = sometimes\n"), "i.conf, line 1, key xensim.mode: expected deterministic or threaded, got 'sometimes'");
        assertError(file("j.conf", "xensim.guests.disk-size = 3\n"), "key xensim.guests.disk-size: expected at least 1MiB");
        assertError(tmp.resolve("missing.conf"), "missing.conf: no such file");
        Scenario.ScenarioException e = assertThrows(Scenario.ScenarioException.class,
                () -> Scenario.load(null, Map.of("strategy", "nope")));
        assertTrue(e.getMessage().startsWith("command line, xensim.strategy: expected one of"), e.getMessage());
    }

    static void assertError(Path p, String expected) {
        Scenario.ScenarioException e = assertThrows(Scenario.ScenarioException.class, () -> Scenario.load(p, Map.of()));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
