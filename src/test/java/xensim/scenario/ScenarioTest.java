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

    /** Numbers that would overflow virtual time, or mean nothing (NaN, infinite), are refused with the key and the bound. */
    @Test
    void numbersThatOverflowOrMeanNothingAreRefused() throws Exception {
        assertError(file("n1.conf", "xensim.backend.tail-factor = NaN\n"), "n1.conf, line 1, key xensim.backend.tail-factor: expected a finite number");
        assertError(file("n2.conf", "xensim.backend.tail-factor = 1e400\n"), "key xensim.backend.tail-factor: expected a finite number");
        assertError(file("n3.conf", "xensim.backend.tail-probability = NaN\n"), "key xensim.backend.tail-probability: expected a finite number");
        assertError(file("n4.conf", "xensim.backend.latency-mean = 100000000000d\n"),
                "n4.conf, line 1, key xensim.backend.latency-mean: expected a duration of at most 1h");
        assertError(file("n5.conf", "xensim.guests.stagger = 300000d\n"), "key xensim.guests.stagger: expected a duration of at most 1h");
        // each alone is fine; together one request's service time (up to 36.7 x mean x tail factor) passes 1 h
        assertError(file("n6.conf", "xensim.backend { latency-mean = 10s, tail-factor = 100 }\n"),
                "n6.conf, line 1, key xensim.backend.tail-factor: expected latency-mean x tail-factor x 36.7 (the longest draw) of at most 1h");
        Scenario.load(file("n7.conf", "xensim.backend { latency-mean = 10s, tail-factor = 9 }\n"), Map.of());
        // backend-slow's factor multiplies that again: 1e308 overflowed to an instant backend
        assertError(file("n8.conf", "xensim.faults = [\"backend-slow@os-handoff:factor=1e308\"]\n"),
                "n8.conf, line 1, key xensim.faults: fault 'backend-slow@os-handoff:factor=1e308': factor=1e308 would let one request take"
                        + " longer than 1h of virtual time (at most 12249 with latency-mean 400.000 µs and tail-factor 20.0)");
        Scenario.load(file("n9.conf", "xensim.faults = [\"backend-slow@os-handoff:factor=12000\"]\n"), Map.of());
    }

    /** A fault aimed at a guest or disk the host does not have is an error, not a silent skip at run time. */
    @Test
    void aFaultTargetingAGuestOrDiskThatDoesNotExistIsRefused() throws Exception {
        assertError(file("t1.conf", "xensim.faults = [\"backend-crash@requests=5:guest=7\"]\n"),
                "t1.conf, line 1, key xensim.faults: fault 'backend-crash@requests=5:guest=7': guest=7, but the host has 1 guest (guest 0)");
        assertError(file("t2.conf", "xensim { guests { count = 3, disks = 2 }, faults = [\"backend-stall@1ms:disk=3\"] }\n"),
                "fault 'backend-stall@1ms:disk=3': disk=3, but each guest has 2 disks (disk 0..1)");
        assertError(file("t3.conf", "xensim { guests.count = 3, faults = [\"evtchn-drop@p=0.1:guest=3\"] }\n"),
                "guest=3, but the host has 3 guests (guest 0..2)");
        Scenario ok = Scenario.load(file("t4.conf", "xensim { guests { count = 3, disks = 2 }, faults = [\"backend-stall@1ms:guest=2,disk=1\"] }\n"), Map.of());
        assertEquals(1, ok.faults().size());
        // the command line's guest count decides: the file's fault on guest 2 needs --guests 3
        Path f = file("t5.conf", "xensim.faults = [\"backend-crash@requests=5:guest=2\"]\n");
        assertEquals(3, Scenario.load(f, Map.of("guests.count", 3)).guests());
        assertThrows(Scenario.ScenarioException.class, () -> Scenario.load(f, Map.of("guests.count", 2)));
        assertNull(Scenario.defaults().misfit(Fault.parse("backend-crash@requests=5:guest=0,disk=0")));
        assertNotNull(Scenario.defaults().misfit(Fault.parse("backend-crash@requests=5:guest=1")));
    }

    static void assertError(Path p, String expected) {
        Scenario.ScenarioException e = assertThrows(Scenario.ScenarioException.class, () -> Scenario.load(p, Map.of()));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
