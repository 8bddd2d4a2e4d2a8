package xensim.cluster;

import java.util.List;
import java.util.Map;

/**
 * What a scenario is made of, as text, so a worker needs no shared files: the scenario file's
 * text ({@code text} null: none, the defaults) and its name ({@code file}: messages, the default
 * {@code xensim.name}), the command line's guests, faults and scenario keys (profile combination
 * and design flags; a worker replaces {@code firmware.design-jars} with its copies of the jars).
 */
public record ScenarioSource(String text, String file, Integer guests, List<String> faults, Map<String, Object> keys)
        implements ClusterSerializable {
    public ScenarioSource {
        faults = faults == null ? List.of() : List.copyOf(faults);
        // in the command line's order (Map.copyOf's order changes from one JVM to the next)
        keys = keys == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(keys));
    }

    /** The same text for the same source in every JVM (keys sorted): what --resume compares. */
    public String canonical() {
        return "text=" + text + "\nfile=" + file + "\nguests=" + guests + "\nfaults=" + faults + "\nkeys=" + new java.util.TreeMap<>(keys);
    }
}
