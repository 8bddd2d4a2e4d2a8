package xensim.firmware;

import xensim.firmware.pvblk.FirmwareIo;
import xensim.firmware.uefi.EbsOrder;
import xensim.firmware.uefi.Edk2Version;

/**
 * How a guest's firmware behaves: the EBS design, how XenPvBlkDxe issues I/O
 * ({@link FirmwareIo}), the blkfront queue depth (ASYNC only), how many reads the boot manager
 * tries to leave in flight when it calls ExitBootServices, whether it writes its boot record
 * first, the order of the ExitBootServices group's notify functions ({@link EbsOrder}), and the
 * edk2 release whose DXE core runs ({@link Edk2Version}), and the catalog the design is chosen from
 * by name ({@link DesignCatalog}: the built-in designs and those of {@code --design-jar}).
 */
public record FirmwareConfig(String strategy, int queueDepth, int readAheadAtEbs, boolean bootRecordWrite,
                             EbsOrder ebsOrder, FirmwareIo firmwareIo, Edk2Version edk2, DesignCatalog designs, FirmwareImpl impl,
                             java.util.List<java.nio.file.Path> ovmfPatches) {

    public FirmwareConfig {
        if (firmwareIo == null) throw new IllegalArgumentException("firmware-io");
        if (ebsOrder == null) throw new IllegalArgumentException("ebs-order");
        if (edk2 == null) throw new IllegalArgumentException("edk2");
        if (designs == null) designs = DesignCatalog.builtIn();
        if (impl == null) impl = FirmwareImpl.MODEL;
        ovmfPatches = ovmfPatches == null ? java.util.List.of() : java.util.List.copyOf(ovmfPatches);
    }

    /** With the built-in designs only ({@link DesignCatalog#builtIn()}) and the Java drivers ({@link FirmwareImpl#MODEL}). */
    public FirmwareConfig(String strategy, int queueDepth, int readAheadAtEbs, boolean bootRecordWrite,
                          EbsOrder ebsOrder, FirmwareIo firmwareIo, Edk2Version edk2) {
        this(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, ebsOrder, firmwareIo, edk2, null, FirmwareImpl.MODEL, java.util.List.of());
    }

    /** The Java drivers, the design chosen from {@code designs}. */
    public FirmwareConfig(String strategy, int queueDepth, int readAheadAtEbs, boolean bootRecordWrite,
                          EbsOrder ebsOrder, FirmwareIo firmwareIo, Edk2Version edk2, DesignCatalog designs) {
        this(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, ebsOrder, firmwareIo, edk2, designs, FirmwareImpl.MODEL, java.util.List.of());
    }

    /** The same with edk2's own drivers ({@code ovmf-c}, with {@code patches} applied) or the models. */
    public FirmwareConfig withImpl(FirmwareImpl i, java.util.List<java.nio.file.Path> patches) {
        return new FirmwareConfig(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, ebsOrder, firmwareIo, edk2, designs, i, patches);
    }

    /**
     * Without an edk2 version or order mode (callers that predate them): edk2 HEAD; {@code order}
     * null is the default order mode, else explicit indexes.
     */
    public FirmwareConfig(String strategy, int queueDepth, int readAheadAtEbs, boolean bootRecordWrite, java.util.List<Integer> order,
                          FirmwareIo firmwareIo) {
        this(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, order == null ? DEFAULT_ORDER : EbsOrder.explicit(order),
                firmwareIo, Edk2Version.HEAD);
    }

    /** The order mode when none is given. */
    public static final EbsOrder DEFAULT_ORDER = EbsOrder.EDK2;

    public static FirmwareConfig defaults(String strategy) {
        return new FirmwareConfig(strategy, 8, 4, true, DEFAULT_ORDER, FirmwareIo.OVMF, Edk2Version.HEAD);
    }

    public FirmwareConfig withEbsOrder(EbsOrder order) {
        return new FirmwareConfig(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, order, firmwareIo, edk2, designs, impl, ovmfPatches);
    }

    public FirmwareConfig withReadAhead(int n) {
        return new FirmwareConfig(strategy, queueDepth, n, bootRecordWrite, ebsOrder, firmwareIo, edk2, designs, impl, ovmfPatches);
    }

    public FirmwareConfig withFirmwareIo(FirmwareIo io) {
        return new FirmwareConfig(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, ebsOrder, io, edk2, designs, impl, ovmfPatches);
    }

    public FirmwareConfig withEdk2(Edk2Version v) {
        return new FirmwareConfig(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, ebsOrder, firmwareIo, v, designs, impl, ovmfPatches);
    }

    /** The same firmware running another design (by name, from the same catalog). */
    public FirmwareConfig withStrategy(String name) {
        return new FirmwareConfig(name, queueDepth, readAheadAtEbs, bootRecordWrite, ebsOrder, firmwareIo, edk2, designs, impl, ovmfPatches);
    }

    /** The same firmware choosing its design from {@code catalog}. */
    public FirmwareConfig withDesigns(DesignCatalog catalog) {
        return new FirmwareConfig(strategy, queueDepth, readAheadAtEbs, bootRecordWrite, ebsOrder, firmwareIo, edk2, catalog, impl, ovmfPatches);
    }
}
