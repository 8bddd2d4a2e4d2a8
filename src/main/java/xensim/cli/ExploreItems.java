package xensim.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import xensim.check.Invariant;
import xensim.cluster.ItemResult;
import xensim.cluster.ScenarioSource;
import xensim.cluster.WorkItem;
import xensim.platform.schedule.ScheduleSpec;
import xensim.runtime.RunResult;
import xensim.scenario.Scenario;

/**
 * explore's per-item code, the same on every path: a {@link WorkItem} run on a scenario gives an
 * {@link ItemResult}, from which the matrix's {@link ExploreCommand.Outcome} is made. A local explore
 * and a cluster explore (on any node) both go item → result → outcome, so they build the same matrix.
 */
final class ExploreItems {
    private ExploreItems() {}

    /** One item's run on {@code sc} (the scenario its source makes), disks under {@code disks}. */
    static ItemResult run(WorkItem item, Scenario sc, Path disks) throws Exception {
        ScheduleSpec sched;
        try {
            sched = ScheduleSpec.parse(item.schedule());
        } catch (IllegalArgumentException e) {
            throw new BadInputException("work item " + item.index() + ": schedule '" + item.schedule() + "': " + e.getMessage());
        }
        ExploreCommand.Outcome o = ExploreCommand.runOne(sc, item.strategy(), item.seed(), item.order(), disks, sched, item.scheduleSeed());
        return result(item.index(), o);
    }

    static ItemResult result(long index, ExploreCommand.Outcome o) {
        RunResult r = o.result();
        List<String> verdict = new ArrayList<>();
        for (Invariant i : r.verdict()) verdict.add(i.name());
        Map<String, Integer> counts = new LinkedHashMap<>();
        r.counts().forEach((k, v) -> counts.put(k.name(), v));
        EbsOrderWatch.Seen seen = o.ebs();
        return new ItemResult(index, o.strategy(), o.seed(), o.order(), verdict, counts, r.virtualNanos(), r.events(), r.ending().name(),
                r.steps(), new LinkedHashMap<>(seen.notifies()), new LinkedHashMap<>(seen.edk2Orders()),
                seen.mismatch() == null ? null : seen.mismatch().dom(), seen.mismatch() == null ? null : seen.mismatch().notifies(),
                List.copyOf(o.notified()), List.copyOf(o.notifiedRegistered()), o.scheduleSeed(), null, null);
    }

    /** The outcome the matrix counts, from a result (made here or on a worker). */
    static ExploreCommand.Outcome outcome(ItemResult r) {
        EnumSet<Invariant> verdict = EnumSet.noneOf(Invariant.class);
        for (String v : r.verdict()) verdict.add(Invariant.valueOf(v));
        Map<Invariant, Integer> counts = new EnumMap<>(Invariant.class);
        r.counts().forEach((k, v) -> counts.put(Invariant.valueOf(k), v));
        RunResult rr = new RunResult(r.seed(), r.strategy(), verdict, counts, r.virtualNanos(), r.events(), RunResult.Ending.valueOf(r.ending()),
                null, null, List.of(), r.steps(), List.of());
        EbsOrderWatch.Seen seen = new EbsOrderWatch.Seen(new TreeMap<>(r.notifies()), new TreeMap<>(r.edk2Orders()),
                r.mismatchDom() == null ? null : new EbsOrderWatch.Mismatch(r.mismatchDom(), r.mismatchNotifies()));
        return new ExploreCommand.Outcome(r.strategy(), r.seed(), r.order(), rr, seen, r.notified(), r.notifiedRegistered(), r.scheduleSeed());
    }

    /** The source of a scenario made of {@code file} (read now; null: none) and the command line's settings. */
    static ScenarioSource source(Path file, Integer guests, List<String> faults, Map<String, Object> keys) {
        String text = null;
        if (file != null) {
            try {
                text = Files.readString(file);
            } catch (java.io.IOException | RuntimeException e) {
                throw new BadInputException("--scenario " + file + ": cannot read it (" + e.getMessage() + ")");
            }
        }
        return new ScenarioSource(text, file == null ? null : file.toString(), guests, faults, keys);
    }

    /** The scenarios of a node, by source and design jars: each made once (reading designs loads classes). */
    static final class Scenarios {
        private record Key(ScenarioSource source, List<Path> jars) {}

        private final Map<Key, Scenario> made = new ConcurrentHashMap<>();

        /** {@code src}'s scenario, its design jars the node's own copies {@code jars} (in the coordinator's order). */
        Scenario of(ScenarioSource src, List<Path> jars) {
            return made.computeIfAbsent(new Key(src, List.copyOf(jars)), k -> {
                Map<String, Object> keys = new LinkedHashMap<>(src.keys());
                keys.put("firmware.design-jars", jars.stream().map(Path::toString).toList());
                return RunCommand.scenario(src.text(), src.file() == null ? "(defaults)" : src.file(), src.guests(), src.faults(), keys);
            });
        }
    }
}
