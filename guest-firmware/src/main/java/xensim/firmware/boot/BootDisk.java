package xensim.firmware.boot;

import xensim.firmware.pvblk.BlockIo;

/** A disk the boot manager can boot from: BlockIo plus the Xen device id its writes are recorded under. */
public interface BootDisk extends BlockIo {
    int deviceId();
}
