package xensim.firmware;

import java.util.List;

/**
 * How a guest's firmware behaves: the EBS design, the blkfront queue depth, how many reads the
 * boot manager leaves in flight when it calls ExitBootServices, whether it writes its boot record
 * first, and an explicit EBS notify order (null: drawn from the seed).
 */
public record FirmwareConfig(String strategy, int queueDepth, int readAheadAtEbs, boolean bootRecordWrite,
                             List<Integer> ebsOrder) {

    public static FirmwareConfig defaults(String strategy) {
        return new FirmwareConfig(strategy, 8, 4, true, null);
    }

    public FirmwareConfig withEbsOrder(List<Integer> order) {
        return new FirmwareConfig(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, order);
    }

    public FirmwareConfig withReadAhead(int n) {
        return new FirmwareConfig(strategy, queueDepth, n, bootRecordWrite, ebsOrder);
    }
}
