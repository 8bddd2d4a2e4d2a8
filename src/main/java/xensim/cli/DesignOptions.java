package xensim.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --design-jar PATH} (repeatable): jars of EBS designs (docs/designs.md), the scenario key
 * {@code firmware.design-jars}; the command line's list replaces the file's. Their designs join
 * the built-in ones for {@code --strategy NAME} (and {@code explore --strategy all}).
 */
final class DesignOptions {
    @Option(names = "--design-jar", paramLabel = "PATH",
            description = "a jar of EBS designs (java.util.ServiceLoader, META-INF/services/xensim.design.EbsDesign; see docs/designs.md) whose designs --strategy can name (repeatable)")
    List<Path> jars = new ArrayList<>();

    /** The scenario key these flags set (nothing when none is given: the file's list, or none, stands). */
    Map<String, Object> keys() {
        if (jars == null || jars.isEmpty()) return Map.of();
        return Map.of("firmware.design-jars", jars.stream().map(Path::toString).toList());
    }
}
