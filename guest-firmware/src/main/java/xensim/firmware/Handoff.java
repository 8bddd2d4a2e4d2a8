package xensim.firmware;

import java.util.List;
import java.util.Map;
import xensim.firmware.uefi.MemoryMap;
import xensim.firmware.xenbus.Hypercalls;
import xensim.xen.GuestMemory;

/**
 * What the OS receives at ExitBootServices: the final memory map, the guest's memory, the
 * hypercall page, the writes the firmware saw acknowledged (so the OS can check they survive),
 * and which strategy ran. The OS finds xenstore and the devices itself, as Linux does.
 */
public record Handoff(int domid, GuestMemory memory, xensim.firmware.uefi.Cpu cpu, Hypercalls hypercalls, List<MemoryMap.Descriptor> memoryMap,
                      long grantFrameGfn, Map<Integer, Map<Long, byte[]>> ackedWrites, String strategy,
                      long firmwareNanos, int readsInFlightAtEbs) {}
