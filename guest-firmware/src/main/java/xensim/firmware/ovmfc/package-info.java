/**
 * The real OVMF drivers (edk2's OvmfPkg/XenBusDxe and OvmfPkg/XenPvBlkDxe, compiled from
 * Debian's edk2 source package) inside the simulator: the build ({@link xensim.firmware.ovmfc.OvmfBuild}),
 * the guest's RAM as native memory at its guest-physical addresses ({@link xensim.firmware.ovmfc.NativeRam}),
 * the vCPU thread the C code runs on, handed back and forth like a coroutine
 * ({@link xensim.firmware.ovmfc.Vcpu}), and the shim's calls into the UEFI core model and the
 * hypercall page ({@link xensim.firmware.ovmfc.Shim}).
 */
package xensim.firmware.ovmfc;
