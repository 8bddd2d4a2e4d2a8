package xensim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import xensim.scenario.Scenario;

/**
 * What a {@code run} will write under its output folder — events.jsonl, trace.json, report.html
 * and the guests' disk images — estimated before it starts, so a run that cannot fit is refused
 * (exit 2) instead of filling the disk halfway through.
 *
 * <p>The figures per guest were measured on real runs (10 guests, seed 1, refcount; sizes in
 * bytes, disk images as allocated, they are sparse), with the OS's end-of-workload read-back of
 * every acknowledged sector (about one more request for every write: ~20 events per I/O, was 13):
 *
 * <pre>
 * disks  io-after-ebs  events/guest  events.jsonl/event  trace.json/event  report.html/event  disk/guest
 *   1        0             844            146                 215               18             72 k
 *   1       64           2,112            143                 217               19            254 k
 *   1      640          13,555            143                 221                7          1,927 k
 *   2       64           3,953            144                 218               15            510 k
 *   4       64           7,642            145                 219               10          1,026 k
 *   8       64          15,084            145                 220                7          2,088 k
 *   2      320          14,157            143                 221                7          2,013 k
 * </pre>
 *
 * The model rounds each figure up (it is 1–10 % over every row): {@link #EVENTS_PER_GUEST} + disks × ({@link #EVENTS_PER_DISK} +
 * {@link #EVENTS_PER_IO} × I/Os) events per guest, and {@link #DISK_BASE} + {@link #DISK_PER_IO} ×
 * I/Os allocated per disk image; faults add a little, a fault that stops guests early less.
 */
record SizeEstimate(long events, long logBytes, long traceBytes, long reportBytes, long diskBytes) {

    static final long EVENTS_PER_GUEST = 300;
    static final long EVENTS_PER_DISK = 550;
    static final long EVENTS_PER_IO = 20;
    static final long LOG_BYTES_PER_EVENT = 150;
    static final long TRACE_BYTES_PER_EVENT = 225;
    static final long REPORT_BYTES_PER_EVENT = 25;
    static final long DISK_BASE = 80_000;
    static final long DISK_PER_IO = 3_000;

    long total() {
        return logBytes + traceBytes + reportBytes + diskBytes;
    }

    static SizeEstimate of(Scenario sc) {
        long ios = (long) sc.ioBeforeEbs() + sc.ioAfterEbs();
        long events = sc.guests() * (EVENTS_PER_GUEST + sc.disks() * (EVENTS_PER_DISK + EVENTS_PER_IO * ios));
        long disks = (long) sc.guests() * sc.disks() * (DISK_BASE + DISK_PER_IO * sc.ioAfterEbs());
        // a run of more guests than the trace and report show whole: the events of a sample, the phases of all (Detail)
        int guests = sc.guests();
        boolean thinned = guests > xensim.timeline.Detail.AUTO_ALL_UP_TO;
        long detailed = thinned ? events / guests * xensim.timeline.Detail.AUTO_SAMPLE : events;
        long trace = detailed * TRACE_BYTES_PER_EVENT + (thinned ? guests * TRACE_BYTES_PER_THINNED_GUEST : 0);
        long report = detailed * REPORT_BYTES_PER_EVENT + (thinned ? guests * REPORT_BYTES_PER_THINNED_GUEST : 0);
        return new SizeEstimate(events, events * LOG_BYTES_PER_EVENT, trace, report, disks);
    }

    /** A guest shown only by its phases in a thinned trace: ~12 slices and its metadata (measured: 1,000 guests, 8.5 MB). */
    static final long TRACE_BYTES_PER_THINNED_GUEST = 5_000;
    /** A guest's row in a thinned report's summary (measured: 1,000 guests, 0.93 MB). */
    static final long REPORT_BYTES_PER_THINNED_GUEST = 1_000;

    /** Refuses the run (bad input) when its estimate exceeds {@code freeBytes}, unless forced. */
    static void check(Scenario sc, Path dir, long freeBytes, boolean force) {
        SizeEstimate e = of(sc);
        if (force || e.total() <= freeBytes) return;
        throw new BadInputException("--guests " + sc.guests() + ": the run would write about " + bytes(e.total()) + " under " + dir
                + " (events.jsonl " + bytes(e.logBytes) + ", trace.json " + bytes(e.traceBytes) + ", report.html " + bytes(e.reportBytes)
                + ", disk images " + bytes(e.diskBytes) + "; from per-guest sizes measured on real runs) but only " + bytes(freeBytes)
                + " is free there; use --force to run anyway");
    }

    /** The usable space of the file system {@code dir} will be on (its nearest existing ancestor's), or -1 when unknown. */
    static long freeSpace(Path dir) {
        for (Path a = dir.toAbsolutePath(); a != null; a = a.getParent()) {
            if (Files.exists(a)) {
                try {
                    return Files.getFileStore(a).getUsableSpace();
                } catch (IOException | SecurityException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    static String bytes(long n) {
        String[] units = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        double v = n;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
