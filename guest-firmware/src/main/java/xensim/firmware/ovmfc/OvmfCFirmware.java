package xensim.firmware.ovmfc;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import com.sun.jna.Pointer;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import xensim.abi.HvmParams;
import xensim.firmware.ConsoleOut;
import xensim.firmware.FirmwareActor;
import xensim.firmware.FirmwareConfig;
import xensim.firmware.GuestMsg;
import xensim.firmware.Handoff;
import xensim.firmware.boot.BootManager;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.Cpu;
import xensim.firmware.uefi.EfiMemoryType;
import xensim.firmware.uefi.EfiStatus;
import xensim.firmware.uefi.Handle;
import xensim.firmware.uefi.MemoryMap;
import xensim.firmware.uefi.Protocols;
import xensim.firmware.xenbus.EventChannel;
import xensim.firmware.xenbus.Hypercalls;
import xensim.platform.Seam;
import xensim.xen.GuestMemory;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * The guest's vCPU with edk2's own XenBusDxe and XenPvBlkDxe ({@code --firmware ovmf-c}): the
 * same UEFI core model, boot manager, loader and handoff as {@link FirmwareActor}, with the C
 * drivers in place of the Java ones. At power-on it does what OVMF's DXE phase would for them:
 * XenIoPciDxe's XENIO_PROTOCOL (GrantTableAddress: the MMIO hole's gfn the Java model uses too)
 * with a PciRoot(0)/Pci(3,0) device path on the platform device's handle, an image handle per
 * driver, the two entry points (XenBusDxeDriverEntryPoint, XenPvBlkDxeDriverEntryPoint: they
 * install their driver bindings), then BDS as in the model. The guest's RAM must be native
 * ({@link NativeRam}); the run's host sets that up.
 */
public final class OvmfCFirmware {
    private OvmfCFirmware() {}

    /** Wall-clock time the C code may run without a shim call before it counts as a spin (FW_SPIN). */
    public static final long SPIN_BOUND_MILLIS = Long.getLong("xensim.ovmf.spinMillis", 20_000);
    /** Guest time one MemoryFence or CpuPause takes: the grain of a polling loop. */
    public static final long FENCE_NANOS = 1_000;
    /** The DXE stack (DxeIpl's 128 KiB of EfiBootServicesData), right after the model's runtime code pages. */
    public static final long STACK_GFN = FirmwareActor.RT_CODE_GFN + FirmwareActor.RT_CODE_PAGES;
    public static final long STACK_PAGES = 32;
    /** Guest time a boot service call takes in the DXE core (besides anything it waits for). */
    public static final long SERVICE_NANOS = 200;

    private static final ConcurrentHashMap<List<java.nio.file.Path>, OvmfBuild.Built> BUILT = new ConcurrentHashMap<>();

    /** The library for {@code patches} (built once per JVM and patch set; cached on disk by hash). */
    public static OvmfBuild.Built library(List<java.nio.file.Path> patches) throws OvmfBuild.BuildException {
        OvmfBuild.Built b = BUILT.get(patches);
        if (b != null) return b;
        b = OvmfBuild.ensure(patches);
        BUILT.put(List.copyOf(patches), b);
        return b;
    }

    /**
     * After a simulation with the real drivers is over (its actor system gone): ends the vCPU
     * threads and frees the guests' native memory, so the next run in this JVM starts clean.
     */
    public static void disposeFinished() {
        Vcpu.stopAll();
        NativeRam.disposeAll();
    }

    public static Behavior<GuestMsg> create(Seam seam, ActorRef<HypervisorActor.Command> hv, int domid, GuestMemory memory,
                                            FirmwareConfig cfg, Function<Handoff, Behavior<GuestMsg>> os,
                                            xensim.platform.Timing timing) {
        return Behaviors.setup(ctx -> new Machine(ctx, seam, hv, domid, memory, cfg, os, timing).behavior());
    }

    private static final class Machine {
        private final Seam seam;
        private final int domid;
        private final GuestMemory memory;
        private final FirmwareConfig cfg;
        private final Function<Handoff, Behavior<GuestMsg>> os;
        private final Cpu cpu;
        private final BootServices bs;
        private final Hypercalls hc;
        private final EventChannel consoleChannel;
        private final ActorContext<GuestMsg> ctx;
        private Shim shim;
        private ConsoleOut console;
        private Behavior<GuestMsg> next;
        private long started;

        Machine(ActorContext<GuestMsg> ctx, Seam seam, ActorRef<HypervisorActor.Command> hv, int domid, GuestMemory memory,
                FirmwareConfig cfg, Function<Handoff, Behavior<GuestMsg>> os, xensim.platform.Timing timing) {
            this.ctx = ctx;
            this.seam = seam;
            this.domid = domid;
            this.memory = memory;
            this.cfg = cfg;
            this.os = os;
            ActorRef<GuestMsg> self = ctx.getSelf();
            this.cpu = new Cpu((delay, token) -> seam.deliverAfter(delay, self, new GuestMsg.Alarm(token)), seam::nowNanos);
            cpu.setPreemption(timing.preemptIntervalNanos(), timing.preemptNanos(), seam.random("vcpu/" + domid),
                    (what, away) -> seam.events().event(domid, "hypervisor", "VCPU_PREEMPTED").with("nanos", away)
                            .with("during", what).emit());
            MemoryMap map = new MemoryMap(memory.ramPages());
            map.setType(FirmwareActor.FW_CODE_GFN, FirmwareActor.FW_CODE_PAGES, EfiMemoryType.EfiBootServicesCode);
            map.setType(FirmwareActor.RT_CODE_GFN, FirmwareActor.RT_CODE_PAGES, EfiMemoryType.EfiRuntimeServicesCode);
            map.setType(memory.ramPages() - 2, 2, EfiMemoryType.EfiReservedMemoryType);
            map.setType(STACK_GFN, STACK_PAGES, EfiMemoryType.EfiBootServicesData);
            memory.setType(STACK_GFN, STACK_PAGES, EfiMemoryType.EfiBootServicesData.name());
            memory.setType(FirmwareActor.FW_CODE_GFN, FirmwareActor.FW_CODE_PAGES, EfiMemoryType.EfiBootServicesCode.name());
            memory.setType(FirmwareActor.RT_CODE_GFN, FirmwareActor.RT_CODE_PAGES, EfiMemoryType.EfiRuntimeServicesCode.name());
            this.bs = new BootServices(domid, seam.events(), cpu, map, memory,
                    (delay, id, gen) -> seam.deliverAfter(delay, self, new GuestMsg.TimerTick(id, gen)),
                    seam.random("fw.core/" + domid), cfg.edk2());
            this.hc = new Hypercalls(domid, hv, cpu, new Hypercalls.Adapters(
                    ctx.messageAdapter(Hypervisor.Result.class, GuestMsg.HvReply::new),
                    ctx.messageAdapter(Hypervisor.EvtchnPort.class, GuestMsg.HvReply::new),
                    ctx.messageAdapter(Hypervisor.HvmParam.class, GuestMsg.HvReply::new),
                    ctx.messageAdapter(HypervisorActor.EvtchnUpcall.class, u -> new GuestMsg.Upcall(u.port())),
                    ctx.getSystem().ignoreRef()), new xensim.platform.Latency(timing.hypercallNanos(), seam.random("hypercall/" + domid)));
            this.consoleChannel = new EventChannel(hc);
        }

        Behavior<GuestMsg> behavior() {
            return Behaviors.receive(GuestMsg.class)
                    .onMessage(GuestMsg.PowerOn.class, m -> {
                        powerOn();
                        return after();
                    })
                    .onMessage(GuestMsg.Upcall.class, m -> {
                        if (shim != null) shim.onUpcall(m.port());
                        cpu.poll();
                        return after();
                    })
                    .onMessage(GuestMsg.Alarm.class, m -> {
                        cpu.onAlarm(m.token());
                        return after();
                    })
                    .onMessage(GuestMsg.TimerTick.class, m -> {
                        bs.onTimer(m.eventId(), m.generation());
                        return after();
                    })
                    .onMessage(GuestMsg.HvReply.class, m -> {
                        hc.onReply(m.reply());
                        return after();
                    })
                    .build();
        }

        private Behavior<GuestMsg> after() {
            return next != null ? next : Behaviors.same();
        }

        private void powerOn() {
            started = seam.nowNanos();
            OvmfBuild.Built lib;
            try {
                lib = library(cfg.ovmfPatches());
            } catch (OvmfBuild.BuildException e) {
                seam.events().event(domid, Shim.COMP, "FW_BUILD_FAILED").with("detail", e.getMessage()).emit();
                bs.park("the real OVMF drivers could not be built");
                return;
            }
            seam.events().event(domid, BootServices.COMP, "FW_START").with("strategy", cfg.strategy())
                    .with("queueDepth", cfg.queueDepth()).with("firmwareIo", cfg.firmwareIo().cliName())
                    .with("edk2", cfg.edk2().cliName()).with("ebsOrder", cfg.ebsOrder().cliName())
                    .with("firmware", cfg.impl().cliName()).with("drivers", "edk2-stable202211 (Debian 2022.11)")
                    .with("patches", String.join(",", lib.patchHashes()))
                    .with("vcpu", seam.mode() == xensim.platform.Mode.THREADED ? "free-running" : "coroutine").emit();
            Vcpu vcpu = new Vcpu(lib.library(), "vcpu-d" + domid, SPIN_BOUND_MILLIS);
            vcpu.lib().xs_set_stack((STACK_GFN + STACK_PAGES) * NativeRam.PAGE);
            // threaded mode: the vCPU polls real shared memory between boot services, as hardware would
            vcpu.lib().xs_set_free_running((byte) (seam.mode() == xensim.platform.Mode.THREADED ? 1 : 0));
            vcpu.start();
            shim = new Shim(domid, bs, hc, vcpu, FENCE_NANOS, SERVICE_NANOS);
            long systemTable = vcpu.lib().xs_system_table();
            // XenIoPciDxe: XENIO_PROTOCOL on the platform device's handle, which has its PCI device path
            long grantGfn = memory.ramPages() + 16;
            long xenIo = bs.allocatePool(EfiMemoryType.EfiBootServicesData, 8);
            new Pointer(xenIo).setLong(0, grantGfn * NativeRam.PAGE);
            long dp = bs.allocatePool(EfiMemoryType.EfiBootServicesData, 22);
            Pointer d = new Pointer(dp);
            // ACPI_DEVICE_PATH PciRoot(0x0): type 2, subtype 1, length 12, HID PNP0A03, UID 0
            d.setByte(0, (byte) 2); d.setByte(1, (byte) 1); d.setShort(2, (short) 12); d.setInt(4, 0x0a0341d0); d.setInt(8, 0);
            // PCI_DEVICE_PATH Pci(0x3,0x0): type 1, subtype 1, length 6, function 0, device 3
            d.setByte(12, (byte) 1); d.setByte(13, (byte) 1); d.setShort(14, (short) 6); d.setByte(16, (byte) 0); d.setByte(17, (byte) 3);
            // END_ENTIRE_DEVICE_PATH
            d.setByte(18, (byte) 0x7f); d.setByte(19, (byte) 0xff); d.setShort(20, (short) 4);
            Handle pci = bs.installProtocolInterface(null, "XenIoPci", Protocols.DEVICE_PATH, new Shim.NativeInterface(dp));
            bs.installProtocolInterface(pci, "XenIoPci", Protocols.XEN_IO, new Shim.NativeInterface(xenIo));
            shim.handleValue(pci);
            long xenBusImage = shim.newImage("XenBusDxe");
            long pvBlkImage = shim.newImage("XenPvBlkDxe");
            hc.hvmGetParam(HvmParams.HVM_PARAM_CONSOLE_PFN, pfn -> hc.hvmGetParam(HvmParams.HVM_PARAM_CONSOLE_EVTCHN, port -> {
                if (pfn.rc() == 0 && port.rc() == 0) {
                    console = new ConsoleOut(memory.page(pfn.value()), consoleChannel, (int) port.value());
                    console.print("xensim OVMF (edk2's XenBusDxe/XenPvBlkDxe): booting dom" + domid, () -> { });
                }
                shim.callC("XenBusDxe", vcpu.lib().xs_entry_point(0), new long[] {xenBusImage, systemTable}, s1 -> {
                    entry("XenBusDxe", s1);
                    shim.callC("XenPvBlkDxe", vcpu.lib().xs_entry_point(1), new long[] {pvBlkImage, systemTable}, s2 -> {
                        entry("XenPvBlkDxe", s2);
                        boot();
                    });
                });
            }));
            cpu.poll();
        }

        private void entry(String driver, long status) {
            seam.events().event(domid, Shim.COMP, "DRIVER_ENTRY").with("driver", driver).with("status", Shim.status(status).name()).emit();
        }

        private void boot() {
            BootManager bm = new BootManager(bs, shim::blockIos, seam.random("fw.boot/" + domid), cfg.readAheadAtEbs(),
                    cfg.bootRecordWrite(), cfg.ebsOrder());
            bm.boot(outcome -> {
                if (outcome.status() != EfiStatus.EFI_SUCCESS) {
                    bs.park("ExitBootServices failed: " + outcome.status());
                    return;
                }
                if (console != null) console.print("ExitBootServices done; starting the OS", () -> { });
                Handoff h = new Handoff(domid, memory, cpu, hc, bs.memoryMap().descriptors(), memory.ramPages() + 16,
                        outcome.ackedWrites(), cfg.strategy(), seam.nowNanos() - started, outcome.readsInFlightAtEbs());
                next = os.apply(h);
            });
        }
    }
}
