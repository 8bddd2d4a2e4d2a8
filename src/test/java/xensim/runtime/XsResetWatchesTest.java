package xensim.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.firmware.FirmwareConfig;
import xensim.os.OsConfig;
import xensim.platform.Event;
import xensim.platform.EventRecorder;
import xensim.platform.Mode;

/**
 * Issue 14 item 9: the guest OS takes the xenstore ring as Linux's xb_init_comms does (no
 * reconnection protocol, only the rsp_cons fix-up) and sends XS_RESET_WATCHES only when the
 * toolstack wrote control/platform-feature-xs_reset_watches (xenbus_xs.c xs_reset_watches),
 * which it does by default as libxl does.
 */
class XsResetWatchesTest {
    @TempDir
    Path tmp;

    private List<Event> run(boolean feature) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "run");
        HostConfig cfg = HostConfig.defaults(dir).withGuests(1, 64 * 2048, new OsConfig(true, 4, true), dir)
                .withFirmware(FirmwareConfig.defaults("refcount")).withXsResetWatchesFeature(feature);
        EventRecorder rec = new EventRecorder();
        Simulation.run(new RunSpec(1, Mode.DETERMINISTIC, "refcount", "xs-reset-watches", null, 1.0, 60_000),
                (seam, done) -> Host.create(seam, cfg, done), rec);
        return rec.events();
    }

    /** XS_REQ of XS_RESET_WATCHES from the guest after its OS took over. */
    private static long osResets(List<Event> events) {
        long handoff = events.stream().filter(e -> e.ev().equals("OS_HANDOFF")).mapToLong(Event::seq).findFirst().orElseThrow();
        return events.stream().filter(e -> e.seq() > handoff && e.dom() == 1 && e.ev().equals("XS_REQ")
                && "XS_RESET_WATCHES".equals(e.get("type"))).count();
    }

    @Test
    void theOsSendsNoResetWatchesWithoutTheFeatureNode() throws Exception {
        List<Event> ev = run(false);
        assertEquals(0, osResets(ev));
        assertTrue(ev.stream().anyMatch(e -> e.ev().equals("OS_DONE")), "the OS finished");
    }

    @Test
    void theOsSendsResetWatchesOnceWhenTheToolstackWroteTheFeatureNode() throws Exception {
        List<Event> ev = run(true);
        assertEquals(1, osResets(ev));
        assertTrue(ev.stream().anyMatch(e -> e.ev().equals("XS_RSP") && e.dom() == 0 && e.getString("path") != null
                && e.getString("path").endsWith("/control/platform-feature-xs_reset_watches")), "the toolstack wrote the node");
    }

    @Test
    void theOsNeverUsesTheRingReconnectionProtocol() throws Exception {
        List<Event> ev = run(true);
        assertTrue(ev.stream().filter(e -> e.ev().equals("OS_XS_CONNECTED"))
                .allMatch(e -> !"reconnect".equals(e.get("method"))), "xb_init_comms performs no reconnection");
    }
}
