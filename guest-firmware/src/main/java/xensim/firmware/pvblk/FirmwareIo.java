package xensim.firmware.pvblk;

import java.util.Arrays;
import java.util.Locale;

/**
 * {@code guests.firmware-io}: how XenPvBlkDxe issues block I/O, the firmware behaviour that
 * decides what is in flight when ExitBootServices runs.
 */
public enum FirmwareIo {
    /**
     * OVMF as it ships (OvmfPkg/XenPvBlkDxe/BlockIo.c XenPvBlkDxeBlockIoReadWriteBlocks →
     * BlockFront.c XenPvBlockIo): one request at a time, busy-polled with XenPvBlockAsyncIoPoll
     * until it completes; the caller's own buffer pages are granted (no bounce pages, no
     * allocation per request); no timer and no BlockIo2. Nothing is in flight at EBS.
     */
    OVMF("ovmf"),
    /**
     * A what-if asynchronous PV driver: up to the queue depth in flight, bounce pages allocated
     * per request, a periodic poll timer at TPL_CALLBACK, and the loader's read-ahead still in
     * flight when it calls ExitBootServices.
     */
    ASYNC("async");

    private final String cliName;

    FirmwareIo(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static FirmwareIo named(String name) {
        for (FirmwareIo f : values()) if (f.cliName.equals(name.toLowerCase(Locale.ROOT))) return f;
        throw new IllegalArgumentException("unknown firmware-io '" + name + "' (expected one of "
                + String.join(", ", Arrays.stream(values()).map(FirmwareIo::cliName).toList()) + ")");
    }
}
