package xensim.timeline;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import xensim.check.Invariant;
import xensim.check.InvariantChecker;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;

/**
 * Random event streams over a small vocabulary (few domains, refs, gfns, handles, paths) so that
 * the events of every invariant meet often, fed through both the online
 * {@link InvariantChecker} and the {@link OfflineChecker}, with a shrinker that reduces a
 * disagreement to a minimal sequence.
 */
final class RandomStreams {
    private RandomStreams() {}

    /** One event to emit: the EventLog stamps t and seq. */
    record Spec(int dom, String comp, String ev, Map<String, Object> fields, long dt) {
        @Override
        public String toString() {
            return "dom" + dom + " " + comp + " " + ev + " " + fields;
        }
    }

    /** Both verdicts of one stream, and its log. */
    record Outcome(Set<String> online, Set<String> offline, Set<String> onlineFromLog, String log) {
        boolean agree() {
            return online.equals(offline) && online.equals(onlineFromLog);
        }
    }

    /** Options of the generator. */
    record Shape(boolean overlappingReclaims, boolean reEbsAfterSuccess) {
        static final Shape CONTRACT = new Shape(false, false);
        static final Shape ANY = new Shape(true, true);
    }

    static final int[] GUESTS = {1, 2, 3};
    static final long[] REFS = {0, 1, 7, 8, 9, 10};
    static final long[] HANDLES = {0, 1, 2, 3};
    static final long[] MAPPERS = {0, 2};
    static final long[] DEVIDS = {51712, 51728};
    static final String[] STATES = {"Unknown", "Initialising", "InitWait", "Initialised", "Connected", "Closing", "Closed",
        "Reconfiguring", "Reconfigured"};
    static final String[] XS_TYPES = {"XS_READ", "XS_WRITE", "XS_DIRECTORY", "XS_DIRECTORY_PART", "XS_GET_PERMS", "XS_MKDIR",
        "XS_RM", "XS_SET_PERMS", "XS_WATCH", "XS_TRANSACTION_START", "XS_GET_DOMAIN_PATH"};

    static List<Spec> generate(long seed, Shape shape) {
        Random r = new Random(seed);
        int n = 5 + r.nextInt(90);
        List<Spec> out = new ArrayList<>();
        // reclaimed ranges per guest so far, to keep them disjoint when asked
        Map<Integer, List<long[]>> reclaimed = new LinkedHashMap<>();
        Map<Integer, Boolean> ebsOk = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            int d = GUESTS[r.nextInt(GUESTS.length)];
            if (r.nextInt(20) == 0) d = 0;
            long dt = r.nextInt(4) == 0 ? 0 : r.nextInt(5000);
            Map<String, Object> f = new LinkedHashMap<>();
            String comp;
            String ev;
            switch (r.nextInt(31)) {
                case 0 -> { comp = "toolstack"; ev = "DOMAIN_CREATED"; f.put("name", "guest-" + d); f.put("memory", 65536L); }
                case 1 -> { comp = "toolstack"; ev = "DEVICE_CREATED"; f.put("kind", "vbd"); f.put("devid", pick(r, DEVIDS)); }
                case 2 -> { comp = "toolstack"; ev = "DOMAIN_DESTROYED"; f.put("leakedGrants", 0L); }
                case 3 -> {
                    if (!shape.reEbsAfterSuccess() && Boolean.TRUE.equals(ebsOk.get(d))) { i--; continue; }
                    comp = "fw.core"; ev = "EBS_BEGIN"; f.put("mapKey", (long) r.nextInt(9));
                }
                case 4, 5 -> { comp = "fw.core"; ev = "EBS_NOTIFY_BEGIN"; f.put("driver", r.nextBoolean() ? "XenBusDxe" : "XenPvBlkDxe");
                    f.put("index", (long) r.nextInt(3)); f.put("tpl", 8L); }
                case 6 -> { comp = "fw.core"; ev = "EBS_NOTIFY_END"; f.put("driver", r.nextBoolean() ? "XenBusDxe" : "XenPvBlkDxe");
                    f.put("index", (long) r.nextInt(3)); }
                case 7 -> {
                    comp = "fw.core"; ev = "EBS_END";
                    int k = r.nextInt(5);
                    Object st = switch (k) { case 0 -> "EFI_SUCCESS"; case 1 -> "EFI_INVALID_PARAMETER"; case 2 -> 0L; case 3 -> 2L; default -> null; };
                    if (k != 4) f.put("status", st);
                    if (k == 0 || k == 2 || k == 4) ebsOk.put(d, true);
                }
                case 8 -> { comp = "fw.core"; ev = "ALLOC_CALL"; f.put("service", r.nextBoolean() ? "AllocatePool" : "FreePages");
                    f.put("type", "EfiBootServicesData"); f.put("pages", 1L); f.put("tpl", 8L); f.put("inEbs", r.nextBoolean()); }
                case 9 -> { comp = "fw.core"; ev = "FW_PARKED"; f.put("reason", "timer after EBS"); }
                case 10 -> { comp = r.nextInt(3) == 0 ? "os" : r.nextBoolean() ? "fw.pvblk" : "hypervisor"; ev = "GRANT_ACCESS";
                    f.put("ref", pick(r, REFS)); f.put("gfn", gfn(r)); f.put("domid", 0L); f.put("readonly", false); }
                case 11 -> { comp = r.nextBoolean() ? "os" : "fw.pvblk"; ev = "GRANT_END"; f.put("ref", pick(r, REFS));
                    int k = r.nextInt(3); if (k < 2) f.put("ok", k == 0); }
                case 12, 13 -> {
                    comp = "hypervisor"; ev = "GRANT_MAP";
                    boolean fail = r.nextInt(5) == 0;
                    f.put("mapper", pick(r, MAPPERS)); f.put("ref", pick(r, REFS)); f.put("gfn", fail ? -1L : gfn(r));
                    f.put("handle", fail ? -1L : pick(r, HANDLES)); f.put("readonly", false); f.put("status", fail ? -3L : 0L);
                }
                case 14 -> { comp = "hypervisor"; ev = "GRANT_UNMAP"; f.put("mapper", pick(r, MAPPERS)); f.put("ref", pick(r, REFS));
                    f.put("gfn", gfn(r)); f.put("handle", pick(r, HANDLES)); f.put("readonly", false); f.put("status", 0L);
                    f.put("reason", "unmap"); }
                case 15 -> { comp = "os"; ev = "OS_HANDOFF"; f.put("memoryMapEntries", 12L);
                    if (r.nextInt(4) != 0) f.put("ioOps", (long) r.nextInt(4)); }
                case 16 -> {
                    comp = "os"; ev = "PAGE_RECLAIMED";
                    long g = gfn(r);
                    long c = 1 + r.nextInt(4);
                    if (!shape.overlappingReclaims()) {
                        List<long[]> prev = reclaimed.computeIfAbsent(d, k -> new ArrayList<>());
                        boolean overlaps = false;
                        for (long[] p : prev) if (g < p[1] && p[0] < g + c) overlaps = true;
                        if (overlaps) { i--; continue; }
                        prev.add(new long[] {g, g + c});
                    }
                    f.put("gfn", g); f.put("count", c); f.put("type", "EfiBootServicesData");
                }
                case 17, 18 -> { comp = "hypervisor"; ev = "FOREIGN_WRITE"; f.put("mapper", pick(r, MAPPERS)); f.put("ref", pick(r, REFS));
                    f.put("gfn", gfn(r)); f.put("off", 0L); f.put("len", 512L); f.put("handle", pick(r, HANDLES)); f.put("mfn", 77L);
                    f.put("type", "EfiConventionalMemory"); }
                case 19 -> { comp = r.nextBoolean() ? "blkback" : "fw.pvblk"; ev = "XENBUS_STATE";
                    boolean be = r.nextInt(4) != 0;
                    f.put("path", (be ? "/local/domain/0/backend/vbd/" + d + "/" : "/local/domain/" + d + "/device/vbd/") + pick(r, DEVIDS) + "/state");
                    f.put("from", STATES[r.nextInt(STATES.length)]);
                    f.put("to", r.nextInt(6) == 0 ? (Object) (long) r.nextInt(9) : STATES[r.nextInt(STATES.length)]); }
                case 20 -> { comp = "fw.xenbus"; ev = "XENBUS_RESET"; f.put("method", r.nextBoolean() ? "ring-0xff" : "reconnect");
                    f.put("grantTable", true); }
                case 21 -> { comp = "os"; ev = "OS_DEVICE_CONNECTED"; f.put("devid", pick(r, DEVIDS)); }
                case 22 -> { comp = "os"; ev = "IO_VERIFY"; f.put("sector", (long) r.nextInt(64)); f.put("count", 8L);
                    f.put("ok", r.nextInt(6) != 0); }
                case 23, 24 -> {
                    comp = "xenstored"; ev = "XS_RSP";
                    f.put("type", XS_TYPES[r.nextInt(XS_TYPES.length)]); f.put("reqId", (long) r.nextInt(4));
                    int other = GUESTS[r.nextInt(GUESTS.length)];
                    String path = switch (r.nextInt(9)) {
                        case 0 -> "/local/domain/" + other + "/device/vbd/51712/state";
                        case 1 -> "/local/domain/0/backend/vbd/" + other + "/51712/state";
                        case 2 -> "/local/domain/0/backend/vbd/" + other;
                        case 3 -> "data/x";
                        case 4 -> "@introduceDomain";
                        case 5 -> "/vm/abc";
                        case 6 -> "/local/domain/" + other;
                        case 7 -> "/local/domain/0/backend/console/" + other + "/0";
                        default -> "/local/domain/" + d + "/name";
                    };
                    f.put("path", path);
                    int k = r.nextInt(5);
                    f.put("error", k == 0 ? "EACCES" : k == 1 ? "" : null);
                }
                case 25 -> { comp = "xenstored"; ev = "XS_REQ"; f.put("type", XS_TYPES[r.nextInt(XS_TYPES.length)]);
                    f.put("reqId", (long) r.nextInt(4)); f.put("txId", 0L); f.put("path", "x"); }
                case 26 -> { comp = "os"; ev = r.nextInt(3) == 0 ? "OS_DEVICE_FAILED" : "OS_DONE";
                    if (ev.equals("OS_DEVICE_FAILED")) { f.put("devid", pick(r, DEVIDS)); f.put("backend", "Closing"); }
                    else { f.put("devices", 1L); f.put("connected", 1L); f.put("ios", 3L); f.put("verifyFailures", 0L); } }
                case 27, 28 -> { comp = "os"; ev = "OS_WORKLOAD_END"; f.put("devid", pick(r, DEVIDS)); f.put("ios", (long) r.nextInt(4));
                    f.put("errors", 0L); f.put("readBack", 2L); f.put("readBackSectors", 9L); f.put("unverified", r.nextInt(5) == 0 ? 1L : 0L); }
                case 29 -> { comp = "fw.core"; ev = r.nextBoolean() ? "PAGE_FREE" : "PAGE_ALLOC"; f.put("gfn", gfn(r));
                    f.put("count", 1L + r.nextInt(3)); f.put("type", "EfiBootServicesData"); }
                default -> { comp = "checker"; ev = "VIOLATION"; f.put("invariant", "HANG"); f.put("evidence", List.of(1L)); f.put("detail", "decoy"); }
            }
            out.add(new Spec(d, comp, ev, f, dt));
        }
        return out;
    }

    private static long pick(Random r, long[] a) {
        return a[r.nextInt(a.length)];
    }

    private static long gfn(Random r) {
        return 0x100 + r.nextInt(8);
    }

    /** Runs both checkers over the stream, ending it as the simulation harness does (finish, then RUN_END). */
    static Outcome run(List<Spec> specs) {
        EventRecorder rec = new EventRecorder();
        EventLog log = new EventLog(rec);
        InvariantChecker online = new InvariantChecker(log);
        log.addSink(online);
        for (Spec s : specs) {
            EventLog.Builder b = log.event(s.dom(), s.comp(), s.ev());
            s.fields().forEach(b::with);
            b.emit();
        }
        online.finish();
        log.event(0, "runtime", "RUN_END").with("verdict", online.verdictLine().substring("verdict: ".length()))
                .with("ending", "COMPLETED").emit();
        String jsonl = rec.jsonLines();
        Set<String> on = new LinkedHashSet<>();
        for (Invariant i : online.verdict()) on.add(i.name());
        OfflineChecker offline = new OfflineChecker();
        RunInfo run = new RunInfo();
        try (LogReader r = new LogReader(new ByteArrayInputStream(jsonl.getBytes(StandardCharsets.UTF_8)))) {
            LogEvent e;
            while ((e = r.next()) != null) {
                offline.accept(e);
                run.accept(e);
            }
            if (r.warningCount() > 0) throw new AssertionError("reader warnings on a clean log: " + r.warnings());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Outcome(on, new LinkedHashSet<>(offline.verdict()), run.onlineVerdict(), jsonl);
    }

    /** Removes events while the verdicts still disagree: a 1-minimal disagreeing sequence. */
    static List<Spec> shrink(List<Spec> specs) {
        List<Spec> cur = new ArrayList<>(specs);
        boolean progress = true;
        while (progress) {
            progress = false;
            for (int i = 0; i < cur.size(); i++) {
                List<Spec> cand = new ArrayList<>(cur);
                cand.remove(i);
                if (!run(cand).agree()) {
                    cur = cand;
                    progress = true;
                    i--;
                }
            }
        }
        return cur;
    }
}
