package xensim.runtime;

import java.nio.file.Path;
import java.util.List;
import xensim.dom0.blkback.BlkbackProfile;
import xensim.firmware.FirmwareConfig;
import xensim.os.OsConfig;

/**
 * One host's setup: guests (how many, staggered by how much, their RAM and disks), the backend's
 * service model and profile, the xenstored flavour, what the firmware and OS do, and the faults to
 * inject.
 */
public record HostConfig(int guests, long staggerNanos, int ramPages, int disksPerGuest, long diskSectors,
                         long latencyMeanNanos, double tailProbability, double tailFactor, int backendQueueDepth,
                         String xenstoredFlavour, FirmwareConfig firmware, OsConfig os, Path diskDir,
                         List<xensim.nemesis.Fault> faults, BlkbackProfile backendProfile, boolean xsResetWatchesFeature) {

    /** As the canonical constructor, with the toolstack writing platform-feature-xs_reset_watches as libxl does. */
    public HostConfig(int guests, long staggerNanos, int ramPages, int disksPerGuest, long diskSectors,
                      long latencyMeanNanos, double tailProbability, double tailFactor, int backendQueueDepth,
                      String xenstoredFlavour, FirmwareConfig firmware, OsConfig os, Path diskDir,
                      List<xensim.nemesis.Fault> faults, BlkbackProfile backendProfile) {
        this(guests, staggerNanos, ramPages, disksPerGuest, diskSectors, latencyMeanNanos, tailProbability, tailFactor,
                backendQueueDepth, xenstoredFlavour, firmware, os, diskDir, faults, backendProfile, true);
    }

    /** The same host with the toolstack writing control/platform-feature-xs_reset_watches or not. */
    public HostConfig withXsResetWatchesFeature(boolean on) {
        return new HostConfig(guests, staggerNanos, ramPages, disksPerGuest, diskSectors, latencyMeanNanos, tailProbability,
                tailFactor, backendQueueDepth, xenstoredFlavour, firmware, os, diskDir, faults, backendProfile, on);
    }

    public HostConfig {
        faults = faults == null ? List.of() : List.copyOf(faults);
        if (backendProfile == null) throw new IllegalArgumentException("backend profile");
    }

    /** The same host with another firmware setup. */
    public HostConfig withFirmware(FirmwareConfig fw) {
        return new HostConfig(guests, staggerNanos, ramPages, disksPerGuest, diskSectors, latencyMeanNanos, tailProbability,
                tailFactor, backendQueueDepth, xenstoredFlavour, fw, os, diskDir, faults, backendProfile, xsResetWatchesFeature);
    }

    /** The same host with another number of guests, disk size, OS workload and disk folder (tests and benchmarks). */
    public HostConfig withGuests(int count, long sectors, OsConfig os, Path diskDir) {
        return new HostConfig(count, staggerNanos, ramPages, disksPerGuest, sectors, latencyMeanNanos, tailProbability,
                tailFactor, backendQueueDepth, xenstoredFlavour, firmware, os, diskDir, faults, backendProfile, xsResetWatchesFeature);
    }

    /** The embedded default of {@code ./xensim run}: one guest, refcount, a small disk, racing latency. */
    public static HostConfig defaults(Path diskDir) {
        return new HostConfig(1, 2_000_000, 1024, 1, 64 * 2048, 400_000, 0.05, 20.0, 16, "c",
                FirmwareConfig.defaults("refcount"), OsConfig.defaults(), diskDir, List.of(), BlkbackProfile.LINUX);
    }
}
