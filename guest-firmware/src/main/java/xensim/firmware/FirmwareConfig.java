package xensim.firmware;

import java.util.List;
import xensim.firmware.pvblk.FirmwareIo;

/**
 * How a guest's firmware behaves: the EBS design, how XenPvBlkDxe issues I/O
 * ({@link FirmwareIo}), the blkfront queue depth (ASYNC only), how many reads the boot manager
 * tries to leave in flight when it calls ExitBootServices, whether it writes its boot record
 * first, and an explicit EBS notify order (null: drawn from the seed).
 */
public record FirmwareConfig(String strategy, int queueDepth, int readAheadAtEbs, boolean bootRecordWrite,
                             List<Integer> ebsOrder, FirmwareIo firmwareIo) {

    public FirmwareConfig {
        if (firmwareIo == null) throw new IllegalArgumentException("firmware-io");
    }

    public static FirmwareConfig defaults(String strategy) {
        return new FirmwareConfig(strategy, 8, 4, true, null, FirmwareIo.OVMF);
    }

    public FirmwareConfig withEbsOrder(List<Integer> order) {
        return new FirmwareConfig(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, order, firmwareIo);
    }

    public FirmwareConfig withReadAhead(int n) {
        return new FirmwareConfig(strategy, queueDepth, n, bootRecordWrite, ebsOrder, firmwareIo);
    }

    public FirmwareConfig withFirmwareIo(FirmwareIo io) {
        return new FirmwareConfig(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, ebsOrder, io);
    }
}
