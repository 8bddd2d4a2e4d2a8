/**
 * The UEFI DXE core model: {@link xensim.firmware.uefi.Cpu} (the one firmware CPU, waits as
 * continuations), {@link xensim.firmware.uefi.BootServices} (TPLs, events, timers, memory map and
 * pool with map keys, handle/protocol database, driver model, ExitBootServices in edk2's order).
 */
package xensim.firmware.uefi;
