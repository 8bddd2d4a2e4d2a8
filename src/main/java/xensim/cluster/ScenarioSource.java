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
        keys = keys == null ? Map.of() : Map.copyOf(keys);
    }
}
