package xensim.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The flags that pick which real component is modelled, one per scenario key (see
 * reference.conf): they override the scenario file, and every run writes them to RUN_BEGIN and
 * its replay line. {@code run} takes one value of each; {@code explore} takes comma lists and
 * runs every combination.
 */
final class ProfileOptions {
    @Option(names = "--profile", paramLabel = "P", split = ",",
            description = "blkback: linux (today's xen-blkback, default) or drain (drains and unmaps before Closing/Closed)")
    List<String> backendProfile;

    @Option(names = "--firmware-io", paramLabel = "IO", split = ",",
            description = "XenPvBlkDxe I/O: ovmf (synchronous, as OVMF ships; default) or async (the what-if driver with requests in flight at EBS)")
    List<String> firmwareIo;

    @Option(names = "--xenstored", paramLabel = "F", split = ",", description = "xenstored version: c-4.17, c-4.21, c-4.22, ocaml, or c (= c-4.22, the default)")
    List<String> xenstored;

    @Option(names = "--edk2", paramLabel = "V", split = ",",
            description = "the edk2 DXE core: head (default; BeforeExitBootServices on the first ExitBootServices) or 2022.11 (edk2-stable202211, Debian's: no BeforeExitBootServices)")
    List<String> edk2;

    /** The scenario keys these flags set, for a command that runs one combination; several values are bad input. */
    Map<String, Object> overrides() {
        List<Map<String, Object>> all = combinations();
        if (all.size() > 1) throw new BadInputException("--profile, --firmware-io, --xenstored and --edk2 take one value here (explore takes lists)");
        return all.get(0);
    }

    /** Every combination of the values given, in the order given (one empty map when no flag is given). */
    List<Map<String, Object>> combinations() {
        List<Map<String, Object>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        out = cross(out, "backend.profile", backendProfile);
        out = cross(out, "guests.firmware-io", firmwareIo);
        out = cross(out, "xenstored.flavour", xenstored);
        out = cross(out, "firmware.edk2", edk2);
        return out;
    }

    private static List<Map<String, Object>> cross(List<Map<String, Object>> sofar, String key, List<String> values) {
        if (values == null || values.isEmpty()) return sofar;
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> m : sofar) {
            for (String v : new java.util.LinkedHashSet<>(values)) {
                Map<String, Object> n = new LinkedHashMap<>(m);
                n.put(key, v.trim());
                out.add(n);
            }
        }
        return out;
    }
}
