package xensim.cluster;

import java.util.List;
import java.util.Map;

/**
 * What one work item's run showed, as plain data (a cluster message and a line of
 * {@code results.jsonl}): the verdict (invariant names) and counts, the virtual time, events and
 * executor steps, how it ended, what its ExitBootServices showed (EBS notify functions and edk2's
 * order per domain, a guest whose count differed from the order's), the notify functions' owners in
 * the order they ran and their registration indexes, and the node that ran it.
 */
public record ItemResult(long index, String strategy, long seed, List<Integer> order, List<String> verdict, Map<String, Integer> counts,
                         long virtualNanos, long events, String ending, long steps, Map<Integer, Integer> notifies,
                         Map<Integer, List<Integer>> edk2Orders, Integer mismatchDom, Integer mismatchNotifies, List<String> notified,
                         List<Integer> notifiedRegistered, long scheduleSeed, String node) implements ClusterSerializable {

    /** The same result as run by {@code node}. */
    public ItemResult withNode(String node) {
        return new ItemResult(index, strategy, seed, order, verdict, counts, virtualNanos, events, ending, steps, notifies, edk2Orders,
                mismatchDom, mismatchNotifies, notified, notifiedRegistered, scheduleSeed, node);
    }
}
