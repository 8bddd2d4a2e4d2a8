package xensim.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The flags that pick which real component is modelled, one per scenario key (see
 * reference.conf): they override the scenario file, and every run writes them to RUN_BEGIN and
 * its replay line.
 */
final class ProfileOptions {
    @Option(names = "--profile", paramLabel = "P", description = "blkback: linux (today's xen-blkback, default) or drain (drains and unmaps before Closing/Closed)")
    String backendProfile;

    @Option(names = "--firmware-io", paramLabel = "IO", description = "XenPvBlkDxe I/O: ovmf (synchronous, as OVMF ships; default) or async (the what-if driver with requests in flight at EBS)")
    String firmwareIo;

    /** The scenario keys these flags set. */
    Map<String, Object> overrides() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (backendProfile != null) m.put("backend.profile", backendProfile);
        if (firmwareIo != null) m.put("guests.firmware-io", firmwareIo);
        return m;
    }
}
