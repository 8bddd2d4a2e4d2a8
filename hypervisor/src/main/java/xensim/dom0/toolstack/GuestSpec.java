package xensim.dom0.toolstack;

import java.nio.file.Path;
import java.util.List;

/** What the toolstack builds: a named HVM/PVH guest with RAM and virtual block devices. */
public record GuestSpec(String name, int ramPages, List<Disk> disks) {

    /** One vbd: device id (xvda = 51712), backing raw image, mode and the backend's service model. */
    public record Disk(int devid, Path image, boolean readOnly, long latencyMeanNanos, double tailProbability,
                       double tailFactor, int queueDepth, xensim.dom0.blkback.BlkbackProfile profile) {}

    public GuestSpec {
        disks = List.copyOf(disks);
        if (ramPages < 64) throw new IllegalArgumentException("a guest needs at least 64 pages");
    }

    /** xenstore gfn: the last RAM page (reserved in the guest's memory map). */
    public long storeGfn() {
        return ramPages - 1L;
    }

    /** Console gfn: the page below the store page. */
    public long consoleGfn() {
        return ramPages - 2L;
    }
}
