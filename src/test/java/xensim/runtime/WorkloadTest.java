package xensim.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.firmware.FirmwareConfig;
import xensim.os.OsConfig;
import xensim.platform.Event;
import xensim.platform.EventRecorder;
import xensim.platform.EventSink;
import xensim.platform.Mode;

/**
 * A guest is judged on whether it did its work (issue 13, items 4 and 5a): a workload that does
 * not reach its end is never clean, and at the end of its workload the OS reads back every block
 * it wrote and was acknowledged, so a lost acknowledged write is always seen.
 */
class WorkloadTest {
    static final int IO_OPS = 24;

    @TempDir
    Path tmp;

    record Run(RunResult result, List<Event> events, Path disk) {
        List<Event> named(String ev) {
            return events.stream().filter(e -> e.ev().equals(ev)).toList();
        }
    }

    /** One guest, one disk of {@code sectors}, refcount (a safe design), {@value #IO_OPS} I/Os after handoff. */
    Run run(long seed, long sectors, EventSink... sinks) throws IOException {
        return run(Files.createTempDirectory(tmp, "run"), seed, sectors, sinks);
    }

    Run run(Path dir, long seed, long sectors, EventSink... sinks) {
        HostConfig cfg = HostConfig.defaults(dir).withGuests(1, sectors, new OsConfig(true, IO_OPS, true), dir)
                .withFirmware(FirmwareConfig.defaults("refcount"));
        EventRecorder rec = new EventRecorder();
        EventSink[] all = new EventSink[sinks.length + 1];
        all[0] = rec;
        System.arraycopy(sinks, 0, all, 1, sinks.length);
        RunResult r = Simulation.run(new RunSpec(seed, Mode.DETERMINISTIC, "refcount", "workload", null, 1.0, 60_000),
                (seam, done) -> Host.create(seam, cfg, done), all);
        return new Run(r, rec.events(), dir.resolve("guest0-xvda.img"));
    }

    /**
     * Item 4 on a real host: a 1.5 MiB disk boots (GPT, ESP, boot loader) but is too small for the
     * OS's random workload, which then does none of it (at most a read of what the firmware wrote);
     * the guest connects, finishes and is destroyed, and the checker used to call that clean.
     */
    @Test
    void aDiskTooSmallForTheWorkloadDoesNoIoAndIsNotClean() throws Exception {
        Run r = run(1, 3072);
        assertEquals(RunResult.Ending.COMPLETED, r.result().ending());
        assertEquals(1, r.named("OS_DEVICE_CONNECTED").size(), "the disk connected");
        assertTrue(osWrites(r.events()).isEmpty(), "but the OS's workload never ran (it writes half of the time)");
        assertEquals("verdict: VIOLATION WORKLOAD_INCOMPLETE", r.result().verdictLine());
        // and the tests' own check of a guest's work, apart from the checker, says so too
        org.opentest4j.AssertionFailedError e = org.junit.jupiter.api.Assertions.assertThrows(org.opentest4j.AssertionFailedError.class,
                () -> xensim.testing.GuestWork.assertEveryGuestDidItsWork(r.events()));
        assertTrue(e.getMessage().contains("every I/O asked was answered OKAY"), e.getMessage());
    }

    /** The RING_REQs and RING_RSPs of the OS's writes (after its handoff), by request id. */
    record Write(long id, long sector, long rspSeq) {}

    static List<Write> osWrites(List<Event> events) {
        boolean os = false;
        Map<Long, Long> sectorOf = new HashMap<>();
        List<Write> out = new java.util.ArrayList<>();
        for (Event e : events) {
            if (e.ev().equals("OS_HANDOFF")) os = true;
            if (!os || !"BLKIF_OP_WRITE".equals(e.getString("op"))) continue;
            if (e.ev().equals("RING_REQ")) sectorOf.put(e.getLong("id"), e.getLong("sector"));
            if (e.ev().equals("RING_RSP") && "BLKIF_RSP_OKAY".equals(e.getString("status")) && sectorOf.containsKey(e.getLong("id"))) {
                out.add(new Write(e.getLong("id"), sectorOf.get(e.getLong("id")), e.seq()));
            }
        }
        return out;
    }

    /** A request writes at most one page: 8 sectors from its first. */
    static boolean covers(Event verify, long sector) {
        long s = verify.getLong("sector");
        return sector < s + verify.getLong("count") && s < sector + 8;
    }

    /**
     * Item 5a: the backend acknowledges a write and loses its data (the sectors are put back as they
     * were the moment the response is pushed). The write picked is the OS's last acknowledged one,
     * which no sampled read of the workload reads again — so only the end-of-workload read-back
     * can see the loss.
     */
    @Test
    void aLostAcknowledgedWriteThatNoSampledReadCoversIsCaughtByTheReadBack() throws Exception {
        long seed = 3;
        Run clean = run(seed, 16 * 2048);
        assertEquals("verdict: clean", clean.result().verdictLine());
        xensim.testing.GuestWork.assertEveryGuestDidItsWork(clean.events());
        List<Write> writes = osWrites(clean.events());
        assertFalse(writes.isEmpty(), "the OS wrote");
        Write lost = writes.get(writes.size() - 1);
        for (Event v : clean.named("IO_VERIFY")) {
            if (v.seq() > lost.rspSeq() && !Boolean.TRUE.equals(v.get("readBack"))) {
                assertFalse(covers(v, lost.sector()), "the workload's sampled reads do not read sector " + lost.sector() + " again: " + v.json());
            }
        }

        byte[] before = new byte[8 * 512];
        Path dir = Files.createTempDirectory(tmp, "lost");
        Path disk = dir.resolve("guest0-xvda.img");
        boolean[] os = {false};
        Run r = run(dir, seed, 16 * 2048, e -> {
            if (e.ev().equals("OS_HANDOFF")) os[0] = true;
            if (!os[0] || !"BLKIF_OP_WRITE".equals(e.getString("op")) || e.getLong("id") != lost.id()) return;
            try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                if (e.ev().equals("RING_REQ")) ch.read(ByteBuffer.wrap(before), lost.sector() * 512);
                if (e.ev().equals("RING_RSP")) ch.write(ByteBuffer.wrap(before), lost.sector() * 512); // acknowledged, then lost
            } catch (IOException x) {
                throw new UncheckedIOException(x);
            }
        });
        assertEquals(RunResult.Ending.COMPLETED, r.result().ending());
        assertEquals(osWrites(clean.events()), osWrites(r.events()), "the same run up to the loss");
        assertTrue(r.result().verdictLine().contains("DATA_INTEGRITY"), r.result().verdictLine());
        List<Event> bad = r.named("IO_VERIFY").stream().filter(v -> Boolean.FALSE.equals(v.get("ok"))).toList();
        assertEquals(1, bad.size(), bad.toString());
        assertTrue(covers(bad.get(0), lost.sector()), bad.get(0).json());
    }
}
