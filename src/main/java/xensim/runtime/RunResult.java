package xensim.runtime;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import xensim.check.Invariant;

/**
 * The outcome of one run: the verdict (violated invariants, with counts), the virtual time it
 * took, how it ended, and where its log is. Serialisable as plain data for explore.
 *
 * @param ending how the run ended: COMPLETED (the host said done), QUIESCED (deterministic run
 *               with nothing left to do before the host was done: something is stuck),
 *               WALL_LIMIT (the harness stopped it)
 */
public record RunResult(long seed, String strategy, Set<Invariant> verdict, Map<Invariant, Integer> counts,
                        long virtualNanos, long events, Ending ending, Path eventsFile, Object hostReport) {

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
