package xensim.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import xensim.check.Invariant;
import xensim.platform.Event;
import xensim.platform.EventSink;
import xensim.platform.Mode;
import xensim.runtime.Host;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;
import xensim.scenario.Scenario;

/**
 * Runs a design through the simulator: one deterministic run per seed of the default scenario
 * with {@code keys} over it (scenario keys as in reference.conf, e.g. {@code guests.firmware-io =
 * async}, {@code backend.profile = drain}, {@code guests.count = 3}), judged by the online checker
 * exactly as {@code ./xensim run} judges it. Bad input — an unknown design, a bad key, a design
 * that throws — is an {@link IllegalArgumentException} with the command line's one-line message.
 */
public final class Xensim {
    private Xensim() {}

    /** The scenario keys that have a flag of their own. */
    private static final Map<String, String> FLAGS = Map.of("backend.profile", "--profile", "guests.firmware-io", "--firmware-io",
            "xenstored.flavour", "--xenstored", "firmware.edk2", "--edk2", "firmware.ebs-order", "--ebs-order", "guests.count", "--guests");

    /**
     * One run's outcome.
     *
     * @param violations  the invariants violated (empty: clean)
     * @param completed   whether the host finished its workload (COMPLETED), not stopped or stuck
     * @param ebsNotifies the first guest's ExitBootServices notify functions in the order they ran (their owners)
     * @param replay      the command that replays the run
     */
    public record Trial(String strategy, long seed, Set<String> violations, boolean completed, List<String> ebsNotifies,
                        String verdictLine, String replay) {
        public boolean clean() {
            return violations.isEmpty();
        }
    }

    /** One run of {@code strategy} on {@code seed}, with {@code keys} over the defaults. */
    public static Trial run(String strategy, long seed, Map<String, ?> keys) {
        Map<String, Object> flags = new LinkedHashMap<>(keys == null ? Map.of() : keys);
        flags.put("strategy", strategy);
        flags.put("seed", seed);
        flags.put("mode", Mode.DETERMINISTIC.cliName());
        Scenario sc;
        try {
            sc = Scenario.load(null, flags);
        } catch (Scenario.ScenarioException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        Path disks;
        try {
            disks = Files.createTempDirectory("xensim-api");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            HostConfig cfg = sc.hostConfig(disks);
            Watch watch = new Watch();
            RunResult r = Simulation.run(new RunSpec(seed, Mode.DETERMINISTIC, strategy, sc.name(), null, 1.0, 120_000)
                    .withProfiles(sc.runBegin()), (seam, done) -> Host.create(seam, cfg, done), watch);
            if (watch.failure != null) throw new IllegalArgumentException(watch.failure);
            Set<String> v = new TreeSet<>();
            for (Invariant i : r.verdict()) v.add(i.name());
            StringBuilder replay = new StringBuilder("./xensim run --strategy ").append(strategy).append(" --seed ").append(seed);
            for (Path j : sc.designs().jars()) replay.append(" --design-jar ").append(j);
            List<String> rest = new ArrayList<>();
            for (Map.Entry<String, ?> e : (keys == null ? Map.<String, Object>of() : keys).entrySet()) {
                String flag = FLAGS.get(e.getKey());
                if (e.getKey().equals("firmware.design-jars")) continue;
                if (flag != null) replay.append(' ').append(flag).append(' ').append(e.getValue());
                else rest.add(e.getKey() + "=" + e.getValue());
            }
            if (!rest.isEmpty()) replay.append("   # and in a scenario file: ").append(String.join(", ", rest));
            return new Trial(strategy, seed, java.util.Collections.unmodifiableSet(v), r.ending() == RunResult.Ending.COMPLETED,
                    List.copyOf(watch.notifies), r.verdictLine(), replay.toString());
        } finally {
            try (var s = Files.walk(disks)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temp folder left behind is harmless
            }
        }
    }

    /** Seeds {@code 1..seeds} of {@code strategy}, one run each. */
    public static List<Trial> explore(String strategy, int seeds, Map<String, ?> keys) {
        List<Trial> out = new ArrayList<>();
        for (long s = 1; s <= seeds; s++) out.add(run(strategy, s, keys));
        return out;
    }

    /** DESIGN_FAILED, and the first guest's EBS notify order. */
    private static final class Watch implements EventSink {
        String failure;
        final List<String> notifies = new ArrayList<>();
        int firstDom = -1;

        /** The events {@link #accept} reads (the log builds no other for this sink). */
        @Override
        public boolean wants(String ev) {
            return switch (ev) {
                case "DESIGN_FAILED", "EBS_BEGIN", "EBS_NOTIFY_BEGIN" -> true;
                default -> false;
            };
        }

        @Override
        public synchronized void accept(Event e) {
            switch (e.ev()) {
                case "DESIGN_FAILED" -> {
                    if (failure == null) failure = e.getString("message");
                }
                case "EBS_BEGIN" -> {
                    if (firstDom < 0) firstDom = e.dom();
                    if (e.dom() == firstDom) notifies.clear(); // a retried ExitBootServices: the last one counts
                }
                case "EBS_NOTIFY_BEGIN" -> {
                    if (e.dom() == firstDom) notifies.add(e.getString("driver"));
                }
                default -> { }
            }
        }
    }
}
