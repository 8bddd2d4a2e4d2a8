package xensim.firmware;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.util.function.Function;
import xensim.abi.HvmParams;
import xensim.firmware.boot.BootManager;
import xensim.design.EbsDesign;
import xensim.firmware.pvblk.XenPvBlkDxe;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.Cpu;
import xensim.firmware.uefi.EfiMemoryType;
import xensim.firmware.uefi.EfiStatus;
import xensim.firmware.uefi.MemoryMap;
import xensim.firmware.uefi.Protocols;
import xensim.firmware.xenbus.EventChannel;
import xensim.firmware.xenbus.Hypercalls;
import xensim.firmware.xenbus.XenBusDxe;
import xensim.firmware.xenbus.XenIo;
import xensim.platform.Seam;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;
import xensim.xen.GuestMemory;

/**
 * A guest's vCPU while it runs firmware: a thin shell that feeds upcalls, alarms, timer ticks
 * and hypercall answers to the boot-services model and its drivers, then — once ExitBootServices
 * succeeded — becomes the OS behaviour made from the {@link Handoff}.
 *
 * <p>Memory layout of the model: gfns 0x10–0x1f hold the firmware image (EfiBootServicesCode),
 * 0x20–0x23 runtime code, the top two RAM pages are the console and xenstore pages (reserved by
 * the toolstack); allocations come top-down from below those.
 */
public final class FirmwareActor {
    private FirmwareActor() {}

    public static final long FW_CODE_GFN = 0x10;
    public static final long FW_CODE_PAGES = 16;
    public static final long RT_CODE_GFN = 0x20;
    public static final long RT_CODE_PAGES = 4;

    public static Behavior<GuestMsg> create(Seam seam, ActorRef<HypervisorActor.Command> hv, int domid, GuestMemory memory,
                                            FirmwareConfig cfg, Function<Handoff, Behavior<GuestMsg>> os) {
        return create(seam, hv, domid, memory, cfg, os, xensim.platform.Timing.INSTANT);
    }

    /** @param timing what the vCPU's hypercalls cost and how often it is preempted (firmware and OS alike) */
    public static Behavior<GuestMsg> create(Seam seam, ActorRef<HypervisorActor.Command> hv, int domid, GuestMemory memory,
                                            FirmwareConfig cfg, Function<Handoff, Behavior<GuestMsg>> os,
                                            xensim.platform.Timing timing) {
        if (cfg.impl() == FirmwareImpl.OVMF_C) return xensim.firmware.ovmfc.OvmfCFirmware.create(seam, hv, domid, memory, cfg, os, timing);
        return Behaviors.setup(ctx -> {
            DesignCatalog.Entry design = cfg.designs().entry(cfg.strategy());
            EbsDesign instance;
            try {
                instance = design.factory().get();
            } catch (RuntimeException | java.util.ServiceConfigurationError e) {
                Throwable t = e instanceof java.util.ServiceConfigurationError && e.getCause() != null ? e.getCause() : e;
                designFailed(seam, domid, design, "its constructor", t);
                return Behaviors.ignore();
            }
            return new Machine(ctx, seam, hv, domid, memory, cfg, os, timing, design, instance).behavior();
        });
    }

    /**
     * A design threw: DESIGN_FAILED names the design, its class and jar, the exception and where
     * (the command reports it as bad input, exit 2); the guest's firmware does nothing more.
     */
    static void designFailed(Seam seam, int domid, DesignCatalog.Entry design, String where, Throwable t) {
        seam.events().event(domid, BootServices.COMP, "DESIGN_FAILED").with("design", design.name())
                .with("class", design.type().getName()).with("jar", design.source()).with("error", DesignCatalog.describe(t))
                .with("at", where).with("message", design.failure(where, DesignCatalog.describe(t))).emit();
    }

    private static final class Machine {
        private final ActorContext<GuestMsg> ctx;
        private final Seam seam;
        private final int domid;
        private final GuestMemory memory;
        private final FirmwareConfig cfg;
        private final Function<Handoff, Behavior<GuestMsg>> os;
        private final Cpu cpu;
        private final BootServices bs;
        private final Hypercalls hc;
        private final XenBusDxe xenbus;
        private final XenPvBlkDxe pvblk;
        private final EventChannel consoleChannel;
        private ConsoleOut console;
        private Behavior<GuestMsg> next;
        private long started;
        private final DesignCatalog.Entry design;
        private boolean failed;

        Machine(ActorContext<GuestMsg> ctx, Seam seam, ActorRef<HypervisorActor.Command> hv, int domid, GuestMemory memory,
                FirmwareConfig cfg, Function<Handoff, Behavior<GuestMsg>> os, xensim.platform.Timing timing,
                DesignCatalog.Entry design, EbsDesign strategy) {
            this.ctx = ctx;
            this.design = design;
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
            map.setType(FW_CODE_GFN, FW_CODE_PAGES, EfiMemoryType.EfiBootServicesCode);
            map.setType(RT_CODE_GFN, RT_CODE_PAGES, EfiMemoryType.EfiRuntimeServicesCode);
            map.setType(memory.ramPages() - 2, 2, EfiMemoryType.EfiReservedMemoryType);
            memory.setType(FW_CODE_GFN, FW_CODE_PAGES, EfiMemoryType.EfiBootServicesCode.name());
            memory.setType(RT_CODE_GFN, RT_CODE_PAGES, EfiMemoryType.EfiRuntimeServicesCode.name());
            this.bs = new BootServices(domid, seam.events(), cpu, map, memory,
                    (delay, id, gen) -> seam.deliverAfter(delay, self, new GuestMsg.TimerTick(id, gen)),
                    seam.random("fw.core/" + domid), cfg.edk2());
            this.hc = new Hypercalls(domid, hv, cpu, new Hypercalls.Adapters(
                    ctx.messageAdapter(Hypervisor.Result.class, GuestMsg.HvReply::new),
                    ctx.messageAdapter(Hypervisor.EvtchnPort.class, GuestMsg.HvReply::new),
                    ctx.messageAdapter(Hypervisor.HvmParam.class, GuestMsg.HvReply::new),
                    ctx.messageAdapter(HypervisorActor.EvtchnUpcall.class, u -> new GuestMsg.Upcall(u.port())),
                    ctx.getSystem().ignoreRef()), new xensim.platform.Latency(timing.hypercallNanos(), seam.random("hypercall/" + domid)));
            this.xenbus = new XenBusDxe(bs, hc, strategy);
            this.pvblk = new XenPvBlkDxe(bs, strategy, cfg.queueDepth(), cfg.firmwareIo());
            this.consoleChannel = new EventChannel(hc);
        }

        Behavior<GuestMsg> behavior() {
            return Behaviors.receive(GuestMsg.class)
                    .onMessage(GuestMsg.PowerOn.class, m -> guarded(this::powerOn))
                    .onMessage(GuestMsg.Upcall.class, m -> guarded(() -> {
                        xenbus.onUpcall(m.port());
                        cpu.poll();
                    }))
                    .onMessage(GuestMsg.Alarm.class, m -> guarded(() -> cpu.onAlarm(m.token())))
                    .onMessage(GuestMsg.TimerTick.class, m -> guarded(() -> bs.onTimer(m.eventId(), m.generation())))
                    .onMessage(GuestMsg.HvReply.class, m -> guarded(() -> hc.onReply(m.reply())))
                    .build();
        }

        /**
         * Runs one message's firmware work. An exception the design threw (its own code, or its
         * misuse of a view) ends this guest's firmware with DESIGN_FAILED; any other is the
         * firmware's own and propagates.
         */
        private Behavior<GuestMsg> guarded(Runnable work) {
            if (failed) return Behaviors.ignore();
            try {
                work.run();
            } catch (RuntimeException | LinkageError e) {
                StackTraceElement at = design.threwFrom(e);
                if (at == null) throw e;
                failed = true;
                designFailed(seam, domid, design, at.getClassName().substring(at.getClassName().lastIndexOf('.') + 1) + "."
                        + at.getMethodName() + "(" + at.getFileName() + ":" + at.getLineNumber() + ")", e);
                return Behaviors.ignore();
            }
            return after();
        }

        private Behavior<GuestMsg> after() {
            return next != null ? next : Behaviors.same();
        }

        private void powerOn() {
            started = seam.nowNanos();
            seam.events().event(domid, BootServices.COMP, "FW_START").with("strategy", cfg.strategy())
                    .with("queueDepth", cfg.queueDepth()).with("firmwareIo", cfg.firmwareIo().cliName())
                    .with("edk2", cfg.edk2().cliName()).with("ebsOrder", cfg.ebsOrder().cliName()).emit();
            bs.registerDriver(xenbus);
            bs.registerDriver(pvblk);
            bs.installProtocolInterface(null, "XenIoPci", Protocols.XEN_IO, new XenIo(memory.ramPages() + 16));
            hc.hvmGetParam(HvmParams.HVM_PARAM_CONSOLE_PFN, pfn -> hc.hvmGetParam(HvmParams.HVM_PARAM_CONSOLE_EVTCHN, port -> {
                if (pfn.rc() == 0 && port.rc() == 0) {
                    console = new ConsoleOut(memory.page(pfn.value()), consoleChannel, (int) port.value());
                    console.print("xensim OVMF (" + cfg.strategy() + "): booting dom" + domid, () -> { });
                }
                BootManager bm = new BootManager(bs, pvblk, seam.random("fw.boot/" + domid), cfg.readAheadAtEbs(),
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
            }));
            cpu.poll();
        }
    }
}
