package xensim.cluster;

import java.util.List;

/**
 * One deterministic run, with everything it takes: its index in the run's order, the xensim
 * version that planned it, what kind of run it is, the design, seed, EBS notify order (null: the
 * scenario's), schedule (as {@code --schedule} writes it) and schedule seed, the scenario as text
 * (which carries the profiles: backend profile, firmware I/O, xenstored flavour, edk2 version,
 * firmware drivers, faults), and the SHA-256 of each design jar it needs, in the scenario's order.
 */
public record WorkItem(long index, String version, String strategy, long seed, List<Integer> order, String schedule, long scheduleSeed,
                       ScenarioSource scenario, List<String> designJars, Kind kind) implements ClusterSerializable {

    /**
     * What a node does with an item: {@code EXPLORE}, one run of an explore's matrix (explore's
     * per-item code); {@code HOST}, one host of {@code run --hosts}, run as {@code xensim run} runs
     * it (its printed summary comes back in {@link ItemResult#text()}).
     */
    public enum Kind { EXPLORE, HOST }

    public WorkItem {
        order = order == null ? null : List.copyOf(order);
        designJars = designJars == null ? List.of() : List.copyOf(designJars);
        if (kind == null) kind = Kind.EXPLORE;
    }
}
