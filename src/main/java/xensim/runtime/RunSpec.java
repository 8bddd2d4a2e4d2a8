package xensim.runtime;

import java.nio.file.Path;
import java.util.Map;
import xensim.platform.Mode;
import xensim.platform.schedule.ScheduleSpec;

/**
 * What one simulation run needs besides its host: identity (seed, mode, strategy, scenario name)
 * for RUN_BEGIN, where to write, and how long a threaded run may take in wall time.
 *
 * @param outDir       folder for events.jsonl (created); null keeps events in memory only
 * @param timeScale    threaded mode: real ns per simulated ns
 * @param wallLimitMs  harness guard: a run still busy after this much wall time is stopped and
 *                     judged as it stands (its guests will show HANG)
 * @param profiles     which real components the run models (scenario key → value), in RUN_BEGIN
 * @param schedule     deterministic mode: which runnable step goes next (fifo: today's executor)
 * @param scheduleSeed the seed of the schedule's own choices (in RUN_BEGIN and the replay line)
 */
public record RunSpec(long seed, Mode mode, String strategy, String scenario, Path outDir,
                      double timeScale, long wallLimitMs, Map<String, String> profiles,
                      ScheduleSpec schedule, long scheduleSeed) {
    public RunSpec {
        if (schedule == null) schedule = ScheduleSpec.FIFO;
        if (strategy == null || strategy.isBlank()) throw new IllegalArgumentException("strategy required");
        if (!(timeScale > 0)) throw new IllegalArgumentException("time scale must be > 0");
        if (wallLimitMs <= 0) throw new IllegalArgumentException("wall limit must be > 0");
        profiles = profiles == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(profiles));
    }

    public RunSpec(long seed, Mode mode, String strategy, String scenario, Path outDir,
                   double timeScale, long wallLimitMs, Map<String, String> profiles) {
        this(seed, mode, strategy, scenario, outDir, timeScale, wallLimitMs, profiles, ScheduleSpec.FIFO, defaultScheduleSeed(seed));
    }

    /** {@code --schedule-seed}'s default: derived from the run's seed. */
    public static long defaultScheduleSeed(long seed) {
        return xensim.platform.Seam.deriveSeed(seed, "schedule");
    }

    /** The same run under another schedule. */
    public RunSpec withSchedule(ScheduleSpec s, long scheduleSeed) {
        return new RunSpec(seed, mode, strategy, scenario, outDir, timeScale, wallLimitMs, profiles, s, scheduleSeed);
    }

    /** A run that names no profiles in RUN_BEGIN (tests of the harness itself). */
    public RunSpec(long seed, Mode mode, String strategy, String scenario, Path outDir, double timeScale, long wallLimitMs) {
        this(seed, mode, strategy, scenario, outDir, timeScale, wallLimitMs, Map.of());
    }

    /** The same run, naming in RUN_BEGIN which real components it models (scenario key → value). */
    public RunSpec withProfiles(Map<String, String> p) {
        return new RunSpec(seed, mode, strategy, scenario, outDir, timeScale, wallLimitMs, p, schedule, scheduleSeed);
    }
}
