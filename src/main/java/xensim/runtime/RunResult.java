package xensim.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import xensim.platform.schedule.Deviation;
import java.util.Set;
import xensim.check.Invariant;

/**
 * The outcome of one run: the verdict (violated invariants, with counts), the virtual time it
 * took, how it ended, and where its log is. Serialisable as plain data for explore.
 *
 * @param ending how the run ended: COMPLETED (the host said done), QUIESCED (deterministic run
 *               with nothing left to do before the host was done: something is stuck),
 *               WALL_LIMIT (the harness stopped it)
 * @param deviations a controlled schedule's steps that were not the FIFO head (replay with dev:)
 * @param steps      the executor's steps (deterministic mode; 0 in threaded mode)
 * @param choices    the choice points the executor was asked to record (explore --exhaustive)
 */
public record RunResult(long seed, String strategy, Set<Invariant> verdict, Map<Invariant, Integer> counts,
                        long virtualNanos, long events, Ending ending, Path eventsFile, Object hostReport,
                        List<Deviation> deviations, long steps, List<xensim.platform.VirtualTimeExecutor.Choice> choices) {

    public RunResult {
        deviations = deviations == null ? List.of() : List.copyOf(deviations);
        choices = choices == null ? List.of() : List.copyOf(choices);
    }

    public RunResult(long seed, String strategy, Set<Invariant> verdict, Map<Invariant, Integer> counts,
                     long virtualNanos, long events, Ending ending, Path eventsFile, Object hostReport) {
        this(seed, strategy, verdict, counts, virtualNanos, events, ending, eventsFile, hostReport, List.of(), 0, List.of());
    }

    public enum Ending { COMPLETED, QUIESCED, WALL_LIMIT }

    public boolean clean() {
        return verdict.isEmpty();
    }

    public String verdictLine() {
        if (verdict.isEmpty()) return "verdict: clean";
        StringBuilder sb = new StringBuilder("verdict: VIOLATION");
        for (Invariant i : verdict) sb.append(' ').append(i.name());
        return sb.toString();
    }
}
