/** OvmfPkg/XenPvBlkDxe: the blkif frontend, BlockIo, and Stop as edk2's XenPvBlockFrontShutdown. */
package xensim.firmware.pvblk;
