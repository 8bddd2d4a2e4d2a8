package xensim.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import xensim.timeline.TimelineAnalysis;

/**
 * {@code xensim bench timeline}: the offline check ({@code timeline --check}) over a generated log
 * of plausible events — several guests, each created with a vbd, booting through firmware grants and
 * disk reads, ExitBootServices with notifies, bus reset, handoff, reclaim, then block I/O through OS
 * grants (ring requests, grant maps, foreign writes, unmaps, responses, event-channel sends and
 * deliveries, verified reads, xenstore reads), then shutdown — measured in events per second and
 * peak heap.
 */
public final class TimelineBench {
    private TimelineBench() {}

    /** One measured check; {@code cpuNanos}: the checking thread's CPU time (less sensitive to a shared machine). */
    public record Measurement(long events, long bytes, long nanos, long peakHeapBytes, String verdict, long warnings, long cpuNanos) {
        public double eventsPerSecond() {
            return events / (nanos / 1e9);
        }

        public double eventsPerCpuSecond() {
            return cpuNanos <= 0 ? Double.NaN : events / (cpuNanos / 1e9);
        }

        public double megabytesPerSecond() {
            return bytes / 1e6 / (nanos / 1e9);
        }

        String encode() {
            return events + " " + bytes + " " + nanos + " " + peakHeapBytes + " " + warnings + " " + cpuNanos + " " + verdict;
        }

        static Measurement decode(String line) {
            String[] p = line.trim().split(" ", 7);
            return new Measurement(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]), p[6],
                    Long.parseLong(p[4]), Long.parseLong(p[5]));
        }
    }

    /** Runs {@code timeline --check}'s analysis over {@code log} and measures time and peak heap. */
    public static Measurement check(Path log) throws IOException {
        System.gc();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long c0 = threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : -1;
        long t0 = System.nanoTime();
        TimelineAnalysis.Result r = TimelineAnalysis.analyse(log, TimelineAnalysis.Options.checkOnly());
        long ns = System.nanoTime() - t0;
        long cpu = c0 >= 0 ? threads.getCurrentThreadCpuTime() - c0 : -1;
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) peak += p.getPeakUsage().getUsed();
        }
        return new Measurement(r.run().events(), r.bytes(), ns, peak, r.checker().verdictLine(), r.warningCount(), cpu);
    }

    /**
     * The baseline of the check: the same file read in the same buffer size and its lines counted,
     * nothing parsed ({@code events} = lines). The check's share of it is the parse and judge cost.
     */
    public static Measurement rawRead(Path log) throws IOException {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long c0 = threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : -1;
        long t0 = System.nanoTime();
        long lines = 0;
        long bytes = 0;
        byte[] buf = new byte[1 << 18];
        try (java.io.InputStream in = Files.newInputStream(log)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                bytes += n;
                for (int i = 0; i < n; i++) if (buf[i] == '\n') lines++;
            }
        }
        long ns = System.nanoTime() - t0;
        long cpu = c0 >= 0 ? threads.getCurrentThreadCpuTime() - c0 : -1;
        return new Measurement(lines, bytes, ns, 0, "", 0, cpu);
    }

    /** The same check in a fresh JVM with {@code -Xmx<heap>}: proves the memory bound. */
    public static Measurement checkInChildJvm(Path log, String maxHeap) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-Xmx" + maxHeap, "-cp", System.getProperty("java.class.path"),
                TimelineBench.class.getName(), log.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) throw new IOException("child JVM failed (" + rc + "): " + out);
        String last = out.strip();
        last = last.substring(last.lastIndexOf('\n') + 1);
        return Measurement.decode(last);
    }

    /** Child JVM entry: check the log, print one encoded measurement line. */
    public static void main(String[] args) throws IOException {
        System.out.println(check(Path.of(args[0])).encode());
    }

    // --- the generated log ---------------------------------------------------------------------

    /** Writes a plausible clean log of at least {@code events} events over {@code guests} guests; returns the count. */
    public static long generate(Path file, long events, int guests) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            Gen g = new Gen(os);
            g.ev(0, "runtime", "RUN_BEGIN").str("seed", "1").str("mode", "deterministic").str("strategy", "exit-callback")
                    .str("scenario", "bench-timeline").str("version", "bench").end();
            for (int d = 1; d <= guests; d++) g.boot(d);
            long round = 0;
            long tail = 5L * guests + 1; // shutdown and RUN_END
            while (g.seq + tail < events) {
                for (int d = 1; d <= guests; d++) g.osRequest(d, round);
                round++;
            }
            for (int d = 1; d <= guests; d++) g.shutdown(d);
            g.ev(0, "runtime", "RUN_END").str("verdict", "clean").str("ending", "COMPLETED").end();
            return g.seq;
        }
    }

    /** A hand-rolled JSON-lines writer (ASCII only), fast enough not to dominate the bench. */
    private static final class Gen {
        private final OutputStream os;
        private final StringBuilder sb = new StringBuilder(256);
        private final byte[] bytes = new byte[4096];
        long seq;
        long t;

        Gen(OutputStream os) {
            this.os = os;
        }

        Gen ev(int dom, String comp, String ev) {
            t += 350 + (seq * 7919 % 900);
            sb.setLength(0);
            sb.append("{\"t\":").append(t).append(",\"seq\":").append(++seq).append(",\"dom\":").append(dom)
                    .append(",\"comp\":\"").append(comp).append("\",\"ev\":\"").append(ev).append('"');
            return this;
        }

        Gen num(String k, long v) {
            sb.append(",\"").append(k).append("\":").append(v);
            return this;
        }

        Gen str(String k, String v) {
            sb.append(",\"").append(k).append("\":\"").append(v).append('"');
            return this;
        }

        Gen nul(String k) {
            sb.append(",\"").append(k).append("\":null");
            return this;
        }

        Gen bool(String k, boolean v) {
            sb.append(",\"").append(k).append("\":").append(v);
            return this;
        }

        void end() throws IOException {
            sb.append("}\n");
            int n = sb.length();
            for (int i = 0; i < n; i++) bytes[i] = (byte) sb.charAt(i);
            os.write(bytes, 0, n);
        }

        static final int DEVID = 51712;
        static final int SLOTS = 32;

        String be(int d) {
            return "/local/domain/0/backend/vbd/" + d + "/" + DEVID + "/state";
        }

        void boot(int d) throws IOException {
            ev(d, "hypervisor", "DOMCTL_CREATEDOMAIN").num("by", 0).num("ramPages", 262144).num("maxGfn", 0xfffff).end();
            ev(d, "toolstack", "DOMAIN_CREATED").str("name", "guest-" + d).num("memory", 1048576).end();
            ev(d, "toolstack", "DEVICE_CREATED").str("kind", "vbd").num("devid", DEVID).str("frontend", "/local/domain/" + d + "/device/vbd/" + DEVID)
                    .str("backend", "/local/domain/0/backend/vbd/" + d + "/" + DEVID).end();
            ev(d, "hypervisor", "GRANT_ACCESS").num("ref", 1).num("gfn", 0xfeffc).num("domid", 0).bool("readonly", false).num("by", 0).end();
            ev(d, "hypervisor", "GRANT_MAP").num("mapper", 0).num("ref", 1).num("gfn", 0xfeffc).num("handle", 0).bool("readonly", false)
                    .num("status", 0).num("mfn", 0x10000 + d).end();
            for (int i = 0; i < 4; i++) {
                ev(d, "fw.core", "ALLOC_CALL").str("service", "AllocatePages").str("type", "EfiBootServicesData").num("pages", 1).num("tpl", 4)
                        .bool("inEbs", false).end();
            }
            ev(d, "fw.pvblk", "GRANT_ACCESS").num("ref", 8).num("gfn", 0x1000).num("domid", 0).bool("readonly", false).end();
            for (int s = 0; s < 4; s++) ev(d, "fw.pvblk", "GRANT_ACCESS").num("ref", 9 + s).num("gfn", 0x1001 + s).num("domid", 0).bool("readonly", false).end();
            xenbus(d, "fw.pvblk", "/local/domain/" + d + "/device/vbd/" + DEVID + "/state", "Initialising", "Initialised");
            xenbus(d, "blkback", be(d), "InitWait", "Connected");
            ev(d, "hypervisor", "GRANT_MAP").num("mapper", 0).num("ref", 8).num("gfn", 0x1000).num("handle", 1).bool("readonly", false)
                    .num("status", 0).num("mfn", 0x20000 + d).end();
            for (int i = 0; i < 4; i++) request(d, i, 9 + i, 0x1001 + i, 2 + i, "fw");
            ev(d, "fw.core", "EBS_BEGIN").num("mapKey", 7).end();
            ev(d, "fw.core", "EBS_NOTIFY_BEGIN").str("driver", "XenPvBlkDxe").num("index", 0).num("tpl", 8).end();
            xenbus(d, "fw.pvblk", "/local/domain/" + d + "/device/vbd/" + DEVID + "/state", "Connected", "Closing");
            xenbus(d, "blkback", be(d), "Connected", "Closing");
            ev(d, "hypervisor", "GRANT_UNMAP").num("mapper", 0).num("ref", 8).num("gfn", 0x1000).num("handle", 1).bool("readonly", false)
                    .num("status", 0).str("reason", "unmap").end();
            xenbus(d, "blkback", be(d), "Closing", "Closed");
            for (int r = 8; r < 13; r++) ev(d, "fw.pvblk", "GRANT_END").num("ref", r).bool("ok", true).end();
            ev(d, "fw.core", "EBS_NOTIFY_END").str("driver", "XenPvBlkDxe").num("index", 0).num("tpl", 8).end();
            ev(d, "fw.core", "EBS_NOTIFY_BEGIN").str("driver", "XenBusDxe").num("index", 1).num("tpl", 8).end();
            ev(d, "fw.xenbus", "XENBUS_RESET").str("method", "reconnect").bool("grantTable", true).end();
            ev(d, "fw.core", "EBS_NOTIFY_END").str("driver", "XenBusDxe").num("index", 1).num("tpl", 8).end();
            ev(d, "fw.core", "EBS_END").str("status", "EFI_SUCCESS").end();
            ev(d, "os", "OS_HANDOFF").num("memoryMapEntries", 24).end();
            ev(d, "os", "PAGE_RECLAIMED").num("gfn", 0x1000).num("count", 0x2000).str("type", "EfiBootServicesData").end();
            for (int s = 0; s < SLOTS; s++) ev(d, "os", "GRANT_ACCESS").num("ref", 8 + s).num("gfn", 0x2000 + s).num("domid", 0).bool("readonly", false).end();
            xenbus(d, "blkback", be(d), "InitWait", "Connected");
            ev(d, "os", "OS_DEVICE_CONNECTED").num("devid", DEVID).end();
        }

        void xenbus(int d, String comp, String path, String from, String to) throws IOException {
            ev(d, comp, "XENBUS_STATE").str("path", path).str("from", from).str("to", to).end();
        }

        void request(int d, long id, long ref, long gfn, long handle, String who) throws IOException {
            boolean read = id % 3 != 2;
            ev(d, "hypervisor", "EVTCHN_SEND").num("port", 5).num("remoteDom", 0).num("remotePort", 40 + d).bool("coalesced", false).end();
            ev(0, "hypervisor", "EVTCHN_DELIVER").num("port", 40 + d).num("remoteDom", d).num("remotePort", 5).end();
            ev(d, "blkback", "RING_REQ").num("devid", DEVID).num("id", id).str("op", read ? "BLKIF_OP_READ" : "BLKIF_OP_WRITE")
                    .num("sector", id * 8 % 65536).num("nr", 1).end();
            ev(d, "hypervisor", "GRANT_MAP").num("mapper", 0).num("ref", ref).num("gfn", gfn).num("handle", handle).bool("readonly", !read)
                    .num("status", 0).num("mfn", 0x30000 + gfn).end();
            if (read) {
                ev(d, "hypervisor", "FOREIGN_WRITE").num("mapper", 0).num("ref", ref).num("gfn", gfn).num("off", 0).num("len", 4096)
                        .num("handle", handle).num("mfn", 0x30000 + gfn).str("type", who.equals("fw") ? "EfiBootServicesData" : "EfiConventionalMemory").end();
            }
            ev(d, "hypervisor", "GRANT_UNMAP").num("mapper", 0).num("ref", ref).num("gfn", gfn).num("handle", handle).bool("readonly", !read)
                    .num("status", 0).str("reason", "unmap").end();
            ev(d, "blkback", "RING_RSP").num("devid", DEVID).num("id", id).str("op", read ? "BLKIF_OP_READ" : "BLKIF_OP_WRITE")
                    .str("status", "BLKIF_RSP_OKAY").end();
            ev(0, "hypervisor", "EVTCHN_SEND").num("port", 40 + d).num("remoteDom", d).num("remotePort", 5).bool("coalesced", false).end();
            ev(d, "hypervisor", "EVTCHN_DELIVER").num("port", 5).num("remoteDom", 0).num("remotePort", 40 + d).end();
        }

        void osRequest(int d, long round) throws IOException {
            int slot = (int) (round % SLOTS);
            request(d, round, 8 + slot, 0x2000 + slot, 10 + slot, "os");
            if (round % 3 != 2) ev(d, "os", "IO_VERIFY").num("sector", round * 8 % 65536).num("count", 8).bool("ok", true).end();
            if (round % 16 == 0) {
                String p = "/local/domain/0/backend/vbd/" + d + "/" + DEVID + "/state";
                ev(d, "xenstored", "XS_REQ").str("type", "XS_READ").num("reqId", round).num("txId", 0).str("path", p).end();
                ev(d, "xenstored", "XS_RSP").str("type", "XS_READ").num("reqId", round).str("path", p).nul("error").end();
            }
        }

        void shutdown(int d) throws IOException {
            for (int s = 0; s < 2; s++) ev(d, "os", "GRANT_END").num("ref", 8 + s).bool("ok", true).end();
            ev(d, "hypervisor", "GRANT_UNMAP").num("mapper", 0).num("ref", 1).num("gfn", 0xfeffc).num("handle", 0).bool("readonly", false)
                    .num("status", 0).str("reason", "unmap").end();
            ev(d, "hypervisor", "DOMCTL_DESTROYDOMAIN").num("by", 0).num("stillMapped", 0).end();
            ev(d, "toolstack", "DOMAIN_DESTROYED").num("leakedGrants", 0).end();
        }
    }
}
