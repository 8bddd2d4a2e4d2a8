package xensim.runtime;

import java.nio.file.Path;
import java.util.List;
import xensim.dom0.blkback.BlkbackProfile;
import xensim.dom0.xenstored.XenstoredTiming;
import xensim.platform.Timing;
import xensim.firmware.FirmwareConfig;
import xensim.os.OsConfig;

/**
 * One host's setup: guests (how many, staggered by how much, their RAM and disks), the backend's
 * service model and profile, the xenstored flavour, what the firmware and OS do, the faults to
 * inject, and what hypercalls, event channels, preemption and xenstored's work cost in virtual time.
 */
public record HostConfig(int guests, long staggerNanos, int ramPages, int disksPerGuest, long diskSectors,
                         long latencyMeanNanos, double tailProbability, double tailFactor, int backendQueueDepth,
                         String xenstoredFlavour, FirmwareConfig firmware, OsConfig os, Path diskDir,
                         List<xensim.nemesis.Fault> faults, BlkbackProfile backendProfile, boolean xsResetWatchesFeature,
                         Timing timing, XenstoredTiming xenstoredTiming) {

    public HostConfig {
        faults = faults == null ? List.of() : List.copyOf(faults);
        if (backendProfile == null) throw new IllegalArgumentException("backend profile");
        if (timing == null) timing = Timing.DEFAULTS;
        if (xenstoredTiming == null) xenstoredTiming = XenstoredTiming.DEFAULTS;
    }

    /**
     * As the canonical constructor, with the toolstack writing platform-feature-xs_reset_watches as
     * libxl does and the default timings ({@link Timing#DEFAULTS}, {@link XenstoredTiming#DEFAULTS}).
     */
    public HostConfig(int guests, long staggerNanos, int ramPages, int disksPerGuest, long diskSectors,
                      long latencyMeanNanos, double tailProbability, double tailFactor, int backendQueueDepth,
                      String xenstoredFlavour, FirmwareConfig firmware, OsConfig os, Path diskDir,
                      List<xensim.nemesis.Fault> faults, BlkbackProfile backendProfile) {
        this(guests, staggerNanos, ramPages, disksPerGuest, diskSectors, latencyMeanNanos, tailProbability, tailFactor,
                backendQueueDepth, xenstoredFlavour, firmware, os, diskDir, faults, backendProfile, true, null, null);
    }

    /** The same host with the toolstack writing control/platform-feature-xs_reset_watches or not. */
    public HostConfig withXsResetWatchesFeature(boolean on) {
        return new HostConfig(guests, staggerNanos, ramPages, disksPerGuest, diskSectors, latencyMeanNanos, tailProbability,
                tailFactor, backendQueueDepth, xenstoredFlavour, firmware, os, diskDir, faults, backendProfile, on, timing,
                xenstoredTiming);
    }

    /** The same host with other timings. */
    public HostConfig withTiming(Timing t, XenstoredTiming xs) {
        return new HostConfig(guests, staggerNanos, ramPages, disksPerGuest, diskSectors, latencyMeanNanos, tailProbability,
                tailFactor, backendQueueDepth, xenstoredFlavour, firmware, os, diskDir, faults, backendProfile,
                xsResetWatchesFeature, t, xs);
    }

    /** The same host with another firmware setup. */
    public HostConfig withFirmware(FirmwareConfig fw) {
        return new HostConfig(guests, staggerNanos, ramPages, disksPerGuest, diskSectors, latencyMeanNanos, tailProbability,
                tailFactor, backendQueueDepth, xenstoredFlavour, fw, os, diskDir, faults, backendProfile, xsResetWatchesFeature,
                timing, xenstoredTiming);
    }

    /** The same host with another number of guests, disk size, OS workload and disk folder (tests and benchmarks). */
    public HostConfig withGuests(int count, long sectors, OsConfig os, Path diskDir) {
        return new HostConfig(count, staggerNanos, ramPages, disksPerGuest, sectors, latencyMeanNanos, tailProbability,
                tailFactor, backendQueueDepth, xenstoredFlavour, firmware, os, diskDir, faults, backendProfile, xsResetWatchesFeature,
                timing, xenstoredTiming);
    }

    /** The embedded default of {@code ./xensim run}: one guest, refcount, a small disk, racing latency. */
    public static HostConfig defaults(Path diskDir) {
        return new HostConfig(1, 2_000_000, 1024, 1, 64 * 2048, 400_000, 0.05, 20.0, 16, "c",
                FirmwareConfig.defaults("refcount"), OsConfig.defaults(), diskDir, List.of(), BlkbackProfile.LINUX);
    }
}
