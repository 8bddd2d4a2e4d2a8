package xensim.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Runs a piece of work under Java Flight Recorder (the JDK's {@code profile} settings, method
 * sampling every millisecond, as {@code -XX:StartFlightRecording=settings=profile,
 * jdk.ExecutionSample#period=1ms,jdk.NativeMethodSample#period=1ms}) and aggregates the samples
 * of the threads that match by the component a classifier names for each stack. The same samples
 * as {@code jfr print --events jdk.ExecutionSample,jdk.NativeMethodSample}: a bench prints where
 * its time goes from a profiler run, not from guesses. Both kinds count: a thread running Java
 * code is an execution sample, one inside a native call (a pread in the kernel) a native-method
 * sample, taken at the same period, so a syscall's time is not missing from the split.
 */
public final class JfrProfile {
    private JfrProfile() {}

    /** A component and its samples, in descending order of samples. */
    public record Row(String component, long samples) {}

    /** All matching samples and their split by component. */
    public record Profile(long samples, List<Row> rows) {
        /** The share (0..1) of {@code component}, 0 if absent. */
        public double share(String component) {
            for (Row r : rows) if (r.component().equals(component)) return samples == 0 ? 0 : r.samples() / (double) samples;
            return 0;
        }
    }

    /** Work that may throw. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws Exception;
    }

    /** What {@link #record} returns: the work's own result and the profile taken while it ran. */
    public record Recorded<T>(T result, Profile profile) {}

    /**
     * Runs {@code work} under a recording and classifies each execution sample of a thread whose
     * name {@code threads} accepts: {@code classifier} gets the stack's frames, innermost first.
     */
    public static <T> Recorded<T> record(Predicate<String> threads, Function<List<RecordedFrame>, String> classifier,
                                         Work<T> work) throws Exception {
        Path file = Files.createTempFile("xensim-bench", ".jfr");
        try {
            T result;
            try (Recording r = new Recording(Configuration.getConfiguration("profile"))) {
                r.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1)).withStackTrace();
                r.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(1)).withStackTrace();
                r.start();
                result = work.run();
                r.stop();
                r.dump(file);
            }
            Map<String, Long> counts = new LinkedHashMap<>();
            long total = 0;
            try (RecordingFile rf = new RecordingFile(file)) {
                while (rf.hasMoreEvents()) {
                    RecordedEvent e = rf.readEvent();
                    String type = e.getEventType().getName();
                    if (!type.equals("jdk.ExecutionSample") && !type.equals("jdk.NativeMethodSample")) continue;
                    RecordedThread t = e.getThread("sampledThread");
                    String name = t == null ? null : t.getJavaName();
                    if (name == null || !threads.test(name)) continue;
                    RecordedStackTrace st = e.getStackTrace();
                    if (st == null) continue;
                    counts.merge(classifier.apply(st.getFrames()), 1L, Long::sum);
                    total++;
                }
            }
            List<Row> rows = new ArrayList<>();
            counts.forEach((k, v) -> rows.add(new Row(k, v)));
            rows.sort((a, b) -> Long.compare(b.samples(), a.samples()));
            return new Recorded<>(result, new Profile(total, rows));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The class of a frame ("" for a frame without one). */
    public static String className(RecordedFrame f) {
        return f.getMethod() == null || f.getMethod().getType() == null ? "" : f.getMethod().getType().getName();
    }
}
