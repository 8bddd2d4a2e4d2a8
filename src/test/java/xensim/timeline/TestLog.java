package xensim.timeline;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Hand-written logs for tests: one JSON object per line in the docs/events.md layout, seq and t stamped. */
final class TestLog {
    private static final JsonFactory JSON = new JsonFactory();
    private final StringBuilder sb = new StringBuilder();
    private long t;
    private long seq;

    /** Advances virtual time by {@code ns}. */
    TestLog after(long ns) {
        t += ns;
        return this;
    }

    long seq() {
        return seq;
    }

    long t() {
        return t;
    }

    /** Appends an event; {@code kv} alternates field names and values. Returns its seq. */
    long ev(int dom, String comp, String ev, Object... kv) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeNumberField("t", t);
            g.writeNumberField("seq", ++seq);
            g.writeNumberField("dom", dom);
            g.writeStringField("comp", comp);
            g.writeStringField("ev", ev);
            for (int i = 0; i < kv.length; i += 2) {
                g.writeFieldName((String) kv[i]);
                write(g, kv[i + 1]);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sb.append(w).append('\n');
        return seq;
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v == null) g.writeNull();
        else if (v instanceof Integer i) g.writeNumber(i);
        else if (v instanceof Long l) g.writeNumber(l);
        else if (v instanceof Boolean b) g.writeBoolean(b);
        else if (v instanceof List<?> list) {
            g.writeStartArray();
            for (Object o : list) write(g, o);
            g.writeEndArray();
        } else g.writeString(v.toString());
    }

    /** Appends a raw line (malformed on purpose) — it does not consume a seq. */
    TestLog raw(String line) {
        sb.append(line).append('\n');
        return this;
    }

    String text() {
        return sb.toString();
    }

    Path write(Path file) throws IOException {
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
        return file;
    }

    LogReader reader() {
        return new LogReader(new ByteArrayInputStream(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** Runs the offline checker over this log. */
    OfflineChecker check() {
        OfflineChecker c = new OfflineChecker();
        try (LogReader r = reader()) {
            LogEvent e;
            while ((e = r.next()) != null) c.accept(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return c;
    }

    // --- scenarios -------------------------------------------------------------------------------

    static final String BE = "/local/domain/0/backend/vbd/%d/51712/state";

    /** RUN_BEGIN. */
    TestLog begin() {
        ev(0, "runtime", "RUN_BEGIN", "seed", 42, "mode", "deterministic", "strategy", "exit-callback", "scenario", "test", "version", "0.1.0");
        return this;
    }

    /**
     * A guest's whole clean life: create with one vbd, firmware boot reading the disk, EBS with two
     * notifies that close the device properly, bus reset after the backend closed and unmapped,
     * handoff, reclaim, OS reconnect and verified I/O through OS grants (the one I/O asked of the
     * disk), the OS done, destroy after unmapping.
     */
    TestLog cleanGuest(int d) {
        after(1000).ev(d, "hypervisor", "DOMCTL_CREATEDOMAIN", "by", 0, "ramPages", 16384, "maxGfn", 0xfffff);
        after(20_000).ev(d, "toolstack", "DOMAIN_CREATED", "name", "guest-" + d, "memory", 65536);
        ev(d, "toolstack", "DEVICE_CREATED", "kind", "vbd", "devid", 51712, "frontend", "/local/domain/" + d + "/device/vbd/51712",
                "backend", "/local/domain/0/backend/vbd/" + d + "/51712");
        after(5000).ev(d, "fw.core", "ALLOC_CALL", "service", "AllocatePages", "type", "EfiBootServicesData", "pages", 1, "tpl", 4, "inEbs", false);
        ev(d, "fw.pvblk", "GRANT_ACCESS", "ref", 8, "gfn", 0x1000, "domid", 0, "readonly", false);
        ev(d, "fw.pvblk", "GRANT_ACCESS", "ref", 9, "gfn", 0x1001, "domid", 0, "readonly", false);
        ev(d, "blkback", "XENBUS_STATE", "path", BE.formatted(d), "from", "InitWait", "to", "Connected");
        ev(d, "hypervisor", "GRANT_MAP", "mapper", 0, "ref", 8, "gfn", 0x1000, "handle", 1, "readonly", false, "status", 0, "mfn", 500);
        ev(0, "hypervisor", "EVTCHN_SEND", "port", 5, "remoteDom", d, "remotePort", 3, "coalesced", false);
        after(100).ev(d, "hypervisor", "EVTCHN_DELIVER", "port", 3, "remoteDom", 0, "remotePort", 5);
        for (int i = 0; i < 3; i++) {
            after(2000).ev(d, "blkback", "RING_REQ", "devid", 51712, "id", i, "op", "BLKIF_OP_READ", "sector", i * 8, "nr", 1);
            ev(d, "hypervisor", "GRANT_MAP", "mapper", 0, "ref", 9, "gfn", 0x1001, "handle", 2, "readonly", false, "status", 0, "mfn", 501);
            after(3000).ev(d, "hypervisor", "FOREIGN_WRITE", "mapper", 0, "ref", 9, "gfn", 0x1001, "off", 0, "len", 4096, "handle", 2,
                    "mfn", 501, "type", "EfiBootServicesData");
            ev(d, "hypervisor", "GRANT_UNMAP", "mapper", 0, "ref", 9, "gfn", 0x1001, "handle", 2, "readonly", false, "status", 0, "reason", "unmap");
            ev(d, "blkback", "RING_RSP", "devid", 51712, "id", i, "op", "BLKIF_OP_READ", "status", "BLKIF_RSP_OKAY");
        }
        after(50_000).ev(d, "fw.core", "EBS_BEGIN", "mapKey", 7);
        ev(d, "fw.core", "EBS_NOTIFY_BEGIN", "driver", "XenPvBlkDxe", "index", 0, "tpl", 8);
        after(1000).ev(d, "fw.pvblk", "XENBUS_STATE", "path", "/local/domain/" + d + "/device/vbd/51712/state", "from", "Connected", "to", "Closing");
        after(1000).ev(d, "blkback", "XENBUS_STATE", "path", BE.formatted(d), "from", "Connected", "to", "Closing");
        ev(d, "hypervisor", "GRANT_UNMAP", "mapper", 0, "ref", 8, "gfn", 0x1000, "handle", 1, "readonly", false, "status", 0, "reason", "unmap");
        after(1000).ev(d, "blkback", "XENBUS_STATE", "path", BE.formatted(d), "from", "Closing", "to", "Closed");
        ev(d, "fw.pvblk", "GRANT_END", "ref", 8, "ok", true);
        ev(d, "fw.pvblk", "GRANT_END", "ref", 9, "ok", true);
        ev(d, "fw.core", "EBS_NOTIFY_END", "driver", "XenPvBlkDxe", "index", 0, "tpl", 8);
        ev(d, "fw.core", "EBS_NOTIFY_BEGIN", "driver", "XenBusDxe", "index", 1, "tpl", 8);
        after(500).ev(d, "fw.xenbus", "XENBUS_RESET", "method", "reconnect", "grantTable", true);
        ev(d, "fw.core", "EBS_NOTIFY_END", "driver", "XenBusDxe", "index", 1, "tpl", 8);
        ev(d, "fw.core", "EBS_END", "status", "EFI_SUCCESS");
        after(10_000).ev(d, "os", "OS_HANDOFF", "memoryMapEntries", 14, "ioOps", 1);
        ev(d, "os", "PAGE_RECLAIMED", "gfn", 0x1000, "count", 16, "type", "EfiBootServicesData");
        ev(d, "os", "GRANT_ACCESS", "ref", 8, "gfn", 0x1004, "domid", 0, "readonly", false);
        after(30_000).ev(d, "blkback", "XENBUS_STATE", "path", BE.formatted(d), "from", "InitWait", "to", "Connected");
        ev(d, "os", "OS_DEVICE_CONNECTED", "devid", 51712);
        after(1000).ev(d, "blkback", "RING_REQ", "devid", 51712, "id", 7, "op", "BLKIF_OP_READ", "sector", 0, "nr", 1);
        ev(d, "hypervisor", "GRANT_MAP", "mapper", 0, "ref", 8, "gfn", 0x1004, "handle", 3, "readonly", false, "status", 0, "mfn", 504);
        after(2000).ev(d, "hypervisor", "FOREIGN_WRITE", "mapper", 0, "ref", 8, "gfn", 0x1004, "off", 0, "len", 512, "handle", 3, "mfn", 504,
                "type", "EfiConventionalMemory");
        ev(d, "hypervisor", "GRANT_UNMAP", "mapper", 0, "ref", 8, "gfn", 0x1004, "handle", 3, "readonly", false, "status", 0, "reason", "unmap");
        ev(d, "blkback", "RING_RSP", "devid", 51712, "id", 7, "op", "BLKIF_OP_READ", "status", "BLKIF_RSP_OKAY");
        ev(d, "os", "IO_VERIFY", "sector", 0, "count", 1, "ok", true);
        ev(d, "xenstored", "XS_REQ", "type", "XS_READ", "reqId", 4, "txId", 0, "path", "/local/domain/0/backend/vbd/" + d + "/51712/state");
        ev(d, "xenstored", "XS_RSP", "type", "XS_READ", "reqId", 4, "path", "/local/domain/0/backend/vbd/" + d + "/51712/state", "error", null);
        ev(d, "os", "GRANT_END", "ref", 8, "ok", true);
        ev(d, "os", "OS_WORKLOAD_END", "devid", 51712, "ios", 1, "errors", 0, "readBack", 0, "readBackSectors", 0, "unverified", 0);
        ev(d, "os", "OS_DONE", "devices", 1, "connected", 1, "ios", 1, "verifyFailures", 0, "xenstore", "reconnect", "deferredGrants", 0,
                "poisonCorrupted", 0);
        after(100_000).ev(d, "hypervisor", "DOMCTL_DESTROYDOMAIN", "by", 0, "stillMapped", 0, "refs", List.of(), "mappers", List.of(),
                "handles", List.of());
        after(500).ev(d, "toolstack", "DOMAIN_DESTROYED", "leakedGrants", 0);
        return this;
    }

    /** RUN_END with a verdict as the online checker wrote it. */
    TestLog end(String verdict) {
        after(1000).ev(0, "runtime", "RUN_END", "verdict", verdict, "ending", "COMPLETED");
        return this;
    }
}
