package xensim.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.firmware.pvblk.FirmwareIo;
import xensim.platform.Event;
import xensim.platform.EventRecorder;
import xensim.platform.Mode;
import xensim.scenario.Scenario;

/**
 * Issue 14.2: OVMF's XenPvBlkDxe is synchronous — one request, busy-polled to its end, the
 * caller's own pages granted, no timer — so nothing is in flight when ExitBootServices runs; the
 * asynchronous what-if leaves the loader's read-ahead in flight and allocates bounce pages.
 */
class FirmwareIoTest {

    record Boot(List<Event> events) {
        List<Event> named(String ev) {
            return events.stream().filter(e -> e.ev().equals(ev)).toList();
        }

        long seqOf(String ev) {
            return named(ev).get(0).seq();
        }

        /** FW_IO_SUBMIT ids not answered (FW_IO_DONE) before EBS_BEGIN. */
        int inFlightAtEbs() {
            long ebs = seqOf("EBS_BEGIN");
            Set<String> open = new HashSet<>();
            for (Event e : events) {
                if (e.seq() > ebs) break;
                if (e.ev().equals("FW_IO_SUBMIT")) open.add(e.getLong("devid") + "/" + e.getLong("id"));
                if (e.ev().equals("FW_IO_DONE")) open.remove(e.getLong("devid") + "/" + e.getLong("id"));
            }
            return open.size();
        }
    }

    static Boot boot(Path dir, FirmwareIo io, String strategy) {
        HostConfig d = Scenario.defaults().hostConfig(dir);
        HostConfig cfg = d.withFirmware(new xensim.firmware.FirmwareConfig(strategy, 8, 4, true, null, io));
        EventRecorder rec = new EventRecorder();
        RunResult r = Simulation.run(new RunSpec(1, Mode.DETERMINISTIC, strategy, "firmware-io", null, 1.0, 60_000),
                (seam, done) -> Host.create(seam, cfg, done), rec);
        assertEquals(RunResult.Ending.COMPLETED, r.ending(), r.verdictLine());
        return new Boot(rec.events());
    }

    @Test
    void ovmfHasNothingInFlightAtEbsAndGrantsTheCallersPages(@TempDir Path dir) throws Exception {
        Boot b = boot(dir, FirmwareIo.OVMF, "refcount");
        long ebs = b.seqOf("EBS_BEGIN");
        List<Event> submits = b.named("FW_IO_SUBMIT");
        assertTrue(submits.size() >= 10, "GPT, loader, boot record and read-ahead: " + submits.size() + "\n" + b.events().stream()
                .filter(e -> e.comp().startsWith("fw")).map(Event::json).reduce("", (x, y) -> x + "\n" + y));
        assertEquals(0, b.inFlightAtEbs());
        // one request at a time: every submit is answered before the next
        String open = null;
        for (Event e : b.events()) {
            if (e.ev().equals("FW_IO_SUBMIT")) {
                assertEquals(null, open, "a second request while " + open + " is in flight: " + e.json());
                open = e.getLong("devid") + "/" + e.getLong("id");
            }
            if (e.ev().equals("FW_IO_DONE")) open = null;
        }
        // no bounce pages: the only firmware AllocatePages of BootServicesData before EBS are the rings and the bus's own
        long pageAllocs = b.events().stream().filter(e -> e.seq() < ebs && e.ev().equals("ALLOC_CALL")
                && "AllocatePages".equals(e.getString("service")) && "EfiBootServicesData".equals(e.getString("type"))).count();
        assertTrue(pageAllocs < 10, "no per-request allocation: " + pageAllocs);
        // the pages granted for data are the loader's own buffer (EfiLoaderData)
        assertTrue(b.events().stream().anyMatch(e -> e.ev().equals("ALLOC_CALL") && "EfiLoaderData".equals(e.getString("type"))));
        // no poll timer: one CreateEvent fewer per disk than the asynchronous driver
        Boot async = boot(java.nio.file.Files.createDirectories(dir.resolve("async")), FirmwareIo.ASYNC, "refcount");
        assertEquals(createEvents(async) - b.named("PVBLK_CONNECTED").size(), createEvents(b));
    }

    static long createEvents(Boot b) {
        long ebs = b.seqOf("EBS_BEGIN");
        return b.events().stream().filter(e -> e.seq() < ebs && e.ev().equals("ALLOC_CALL") && "CreateEvent".equals(e.getString("service")))
                .count();
    }

    @Test
    void theAsyncWhatIfLeavesReadAheadInFlightAtEbs(@TempDir Path dir) {
        Boot b = boot(dir, FirmwareIo.ASYNC, "refcount");
        assertTrue(b.inFlightAtEbs() > 0, "read-ahead in flight at EBS");
        long ebs = b.seqOf("EBS_BEGIN");
        long pageAllocs = b.events().stream().filter(e -> e.seq() < ebs && e.ev().equals("ALLOC_CALL")
                && "AllocatePages".equals(e.getString("service")) && "EfiBootServicesData".equals(e.getString("type"))).count();
        assertTrue(pageAllocs >= b.named("FW_IO_SUBMIT").size(), "bounce pages per request: " + pageAllocs);
    }
}
