package xensim.cluster;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What one work item's run showed, as plain data (a cluster message and a line of
 * {@code results.jsonl}): the verdict (invariant names) and counts, the virtual time, events and
 * executor steps, how it ended, what its ExitBootServices showed (EBS notify functions and edk2's
 * order per domain, a guest whose count differed from the order's), the notify functions' owners in
 * the order they ran and their registration indexes, the node that ran it, and for a host of
 * {@code run --hosts} (null otherwise) what {@code xensim run} printed for it: its summary table and
 * verdict line, without the replay line (the coordinator's own, with its paths, is added).
 */
public record ItemResult(long index, String strategy, long seed, List<Integer> order, List<String> verdict, Map<String, Integer> counts,
                         long virtualNanos, long events, String ending, long steps, Map<Integer, Integer> notifies,
                         Map<Integer, List<Integer>> edk2Orders, Integer mismatchDom, Integer mismatchNotifies, List<String> notified,
                         List<Integer> notifiedRegistered, long scheduleSeed, String node,
                         @JsonInclude(JsonInclude.Include.NON_NULL) String text) implements ClusterSerializable {

    /** The same result as run by {@code node}. */
    public ItemResult withNode(String node) {
        return new ItemResult(index, strategy, seed, order, verdict, counts, virtualNanos, events, ending, steps, notifies, edk2Orders,
                mismatchDom, mismatchNotifies, notified, notifiedRegistered, scheduleSeed, node, text);
    }
}
