package xensim.firmware.ovmfc;

import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import xensim.abi.HvmParams;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.DriverBinding;
import xensim.firmware.uefi.EfiMemoryType;
import xensim.firmware.uefi.EfiStatus;
import xensim.firmware.uefi.Handle;
import xensim.firmware.uefi.Protocols;
import xensim.firmware.uefi.UefiEvent;
import xensim.firmware.xenbus.Hypercalls;
import xensim.platform.EventLog;
import xensim.xen.GuestMemory;
import xensim.xen.GuestPage;

/**
 * The shim's calls, answered by the simulator: boot services by the UEFI core model
 * ({@link BootServices}: its events and TPLs, memory services, handle database, driver model and
 * ExitBootServices), XenHypercallLib by the guest's hypercall page ({@link Hypercalls}),
 * MemoryFence / CpuPause / Stall by the vCPU's clock, DEBUG by the event log. EFI_HANDLEs are the
 * model's handle ids, EFI_EVENTs its event ids; protocol interfaces the C code installs are its
 * pointers ({@link NativeInterface}).
 *
 * <p>shared_info: XenBusDxe maps it (XENMEM_add_to_physmap, XENMAPSPACE_shared_info) on a page it
 * allocated and polls {@code evtchn_pending} there (TestAndClearBit). The hypervisor model keeps
 * pending bits itself and delivers events as upcalls; the shim routes the guest's ports to
 * upcalls (as the Java model's XenBusDxe does) and an upcall sets the port's bit in that page, so
 * the C code sees what Xen's page would show.
 */
public final class Shim implements Vcpu.Handler, Vcpu.SyncHandler {
    public static final String COMP = "fw.ovmf";

    // operations (shim.c's enum)
    static final int RAISE_TPL = 1, RESTORE_TPL = 2, ALLOCATE_PAGES = 3, FREE_PAGES = 4, ALLOCATE_POOL = 5, FREE_POOL = 6,
            CREATE_EVENT = 7, CREATE_EVENT_EX = 8, SET_TIMER = 9, WAIT_FOR_EVENT = 10, SIGNAL_EVENT = 11, CLOSE_EVENT = 12,
            CHECK_EVENT = 13, INSTALL_PROTOCOL = 14, UNINSTALL_PROTOCOL = 15, HANDLE_PROTOCOL = 16, OPEN_PROTOCOL = 17,
            CLOSE_PROTOCOL = 18, OPEN_PROTOCOL_INFORMATION = 19, DISCONNECT_CONTROLLER = 20, CONNECT_CONTROLLER = 21,
            LOCATE_HANDLE_BUFFER = 22, LOCATE_PROTOCOL = 23, STALL = 24, LOCATE_DEVICE_PATH = 25,
            REGISTER_PROTOCOL_NOTIFY = 26, UNSUPPORTED = 27, MEMORY_FENCE = 30, CPU_PAUSE = 31, DEBUG_PRINT = 32,
            DEBUG_ASSERT = 33, HVM_GET_PARAM = 40, MEMORY_OP = 41, EVTCHN_OP = 42;

    static final String[] OP_NAMES = new String[43];

    static {
        String[] n = {"", "RaiseTPL", "RestoreTPL", "AllocatePages", "FreePages", "AllocatePool", "FreePool", "CreateEvent",
            "CreateEventEx", "SetTimer", "WaitForEvent", "SignalEvent", "CloseEvent", "CheckEvent", "InstallProtocolInterface",
            "UninstallProtocolInterface", "HandleProtocol", "OpenProtocol", "CloseProtocol", "OpenProtocolInformation",
            "DisconnectController", "ConnectController", "LocateHandleBuffer", "LocateProtocol", "Stall", "LocateDevicePath",
            "RegisterProtocolNotify", "unsupported boot service"};
        System.arraycopy(n, 0, OP_NAMES, 0, n.length);
        OP_NAMES[MEMORY_FENCE] = "MemoryFence";
        OP_NAMES[CPU_PAUSE] = "CpuPause";
        OP_NAMES[DEBUG_PRINT] = "DebugPrint";
        OP_NAMES[DEBUG_ASSERT] = "DebugAssert";
        OP_NAMES[HVM_GET_PARAM] = "XenHypercallHvmGetParam";
        OP_NAMES[MEMORY_OP] = "XenHypercallMemoryOp";
        OP_NAMES[EVTCHN_OP] = "XenHypercallEventChannelOp";
    }

    static String opName(int op) {
        return op >= 0 && op < OP_NAMES.length && OP_NAMES[op] != null ? OP_NAMES[op] : "op" + op;
    }

    /** A protocol interface that lives in C (its address). */
    public record NativeInterface(long address) {}

    /** EFI_STATUS values (UEFI spec, Appendix D). */
    static long code(EfiStatus s) {
        long e = 0x8000000000000000L;
        return switch (s) {
            case EFI_SUCCESS -> 0;
            case EFI_INVALID_PARAMETER -> e | 2;
            case EFI_UNSUPPORTED -> e | 3;
            case EFI_BAD_BUFFER_SIZE -> e | 4;
            case EFI_BUFFER_TOO_SMALL -> e | 5;
            case EFI_NOT_READY -> e | 6;
            case EFI_DEVICE_ERROR -> e | 7;
            case EFI_OUT_OF_RESOURCES -> e | 9;
            case EFI_NO_MEDIA -> e | 12;
            case EFI_NOT_FOUND -> e | 14;
            case EFI_ACCESS_DENIED -> e | 15;
            case EFI_TIMEOUT -> e | 18;
            case EFI_ALREADY_STARTED -> e | 20;
        };
    }

    static EfiStatus status(long v) {
        if (v == 0) return EfiStatus.EFI_SUCCESS;
        for (EfiStatus s : EfiStatus.values()) if (code(s) == v) return s;
        return EfiStatus.EFI_DEVICE_ERROR;
    }

    static EfiMemoryType memoryType(long t) {
        if (t >= 0 && t <= 7) return EfiMemoryType.values()[(int) t];
        if (t == 9) return EfiMemoryType.EfiACPIReclaimMemory;
        if (t == 10) return EfiMemoryType.EfiACPIMemoryNVS;
        return EfiMemoryType.EfiReservedMemoryType;
    }

    private static final long ENOSYS = -38, EINVAL = -22;
    private static final int XENMEM_add_to_physmap = 7, XENMEM_remove_from_physmap = 15;
    /** The C drivers' grant entries, seen at every hand-over from C (GRANT_ACCESS, GRANT_END). */
    private final GrantEntryObserver grants = new GrantEntryObserver();
    private static final int EVTCHNOP_close = 3, EVTCHNOP_send = 4, EVTCHNOP_alloc_unbound = 6;
    private static final int SHARED_INFO_EVTCHN_PENDING = 2048; // after vcpu_info[32] (x86: 64 bytes each)

    private final int dom;
    private final BootServices bs;
    private final Hypercalls hc;
    private final GuestMemory memory;
    private final EventLog log;
    private final Vcpu vcpu;
    private final long fenceNanos;
    private final long serviceNanos;
    private final Map<Integer, UefiEvent> events = new HashMap<>();
    private final Map<Integer, Handle> handles = new HashMap<>();
    /** Image handle id → the driver of that image. */
    private final Map<Integer, CDriverBinding> bindings = new LinkedHashMap<>();
    private final Map<Integer, String> imageNames = new HashMap<>();
    /** Whose code runs now (the owner of events it creates): a stack like the C stack. */
    private final ArrayList<String> running = new ArrayList<>();
    private final Set<Integer> upcallPorts = new TreeSet<>();
    private final Set<Integer> pendingPorts = new TreeSet<>();
    private long sharedInfoGfn = -1;
    private boolean parked;

    /**
     * @param fenceNanos   guest time a MemoryFence or CpuPause takes (the grain of a polling loop)
     * @param serviceNanos guest time a boot service takes besides what it waits for: without it,
     *                     XenStore's loop at TPL_CALLBACK (WaitForEvent is EFI_UNSUPPORTED there,
     *                     so it creates, checks and closes a timer event over and over until the
     *                     reply is in the ring) would spin in zero time and the reply never come
     */
    public Shim(int dom, BootServices bs, Hypercalls hc, Vcpu vcpu, long fenceNanos, long serviceNanos) {
        this.serviceNanos = serviceNanos;
        this.dom = dom;
        this.bs = bs;
        this.hc = hc;
        this.memory = bs.memory();
        this.log = bs.log();
        this.vcpu = vcpu;
        this.fenceNanos = fenceNanos;
        vcpu.setHandler(this);
        vcpu.onControlFromC(() -> grants.observe(log, dom, COMP));
    }

    // ---- handles, names ---------------------------------------------------------------------------

    /** Registers a handle the simulator made (the XenIo controller, an image) so C can name it. */
    public long handleValue(Handle h) {
        handles.put(h.id(), h);
        return h.id();
    }

    private Handle handle(long v) {
        if (v == 0) return null;
        Handle h = handles.get((int) v);
        if (h == null) {
            for (Handle x : bs.handles()) if (x.id() == v) {
                handles.put(x.id(), x);
                return x;
            }
        }
        return h;
    }

    private String agentName(long v) {
        String n = imageNames.get((int) v);
        if (n != null) return n;
        Handle h = handle(v);
        return h == null ? "handle" + v : h.name();
    }

    private String current() {
        return running.isEmpty() ? "ovmf" : running.get(running.size() - 1);
    }

    /** Runs {@code fn(args)} as {@code who}'s code; {@code k} gets the return value. */
    public void callC(String who, long fn, long[] args, java.util.function.LongConsumer k) {
        running.add(who);
        vcpu.call(fn, args, v -> {
            running.remove(running.size() - 1);
            k.accept(v);
        });
    }

    private long callNow(String who, long fn, long[] args, boolean bool) {
        running.add(who);
        try {
            return vcpu.callNow(fn, args, bool, this);
        } finally {
            running.remove(running.size() - 1);
        }
    }

    /** Creates the image handle of a driver (what the DXE core's LoadImage would). */
    public long newImage(String driver) {
        Handle h = bs.installProtocolInterface(null, driver, LOADED_IMAGE, new NativeInterface(0));
        imageNames.put(h.id(), driver);
        return handleValue(h);
    }

    static final String LOADED_IMAGE = "5b1b31a1-9562-11d2-8e3f-00a0c969723b";
    static final String DRIVER_BINDING = "18a031ab-b443-4d1a-a5c0-0c09261e9f71";

    /** The EFI_BLOCK_IO_PROTOCOLs the C drivers installed, with their handles, in handle order. */
    public List<CBlockIo> blockIos() {
        List<CBlockIo> out = new ArrayList<>();
        for (Handle h : bs.locateHandles(Protocols.BLOCK_IO)) {
            if (h.protocol(Protocols.BLOCK_IO) instanceof NativeInterface ni) {
                Object xb = h.protocol(Protocols.XENBUS);
                long xenbus = xb instanceof NativeInterface x ? x.address() : 0;
                out.add(new CBlockIo(this, h, ni.address(), xenbus));
            }
        }
        return out;
    }

    BootServices bs() {
        return bs;
    }

    GuestMemory memory() {
        return memory;
    }

    // ---- upcalls and shared_info --------------------------------------------------------------------

    /** An event on one of the ports routed to this guest: its bit in shared_info's evtchn_pending. */
    public void onUpcall(int port) {
        pendingPorts.add(port);
        if (sharedInfoGfn >= 0) setPending(port);
    }

    private void setPending(int port) {
        GuestPage p = memory.page(sharedInfoGfn);
        int off = SHARED_INFO_EVTCHN_PENDING + (port / 32) * 4;
        p.putInt(off, p.getInt(off) | (1 << (port % 32)));
    }

    private void bindUpcall(int port, Runnable then) {
        if (!upcallPorts.add(port)) {
            then.run();
            return;
        }
        hc.bindUpcall(port, r -> then.run());
    }

    // ---- the calls ------------------------------------------------------------------------------------

    @Override
    public void spin(int lastOp, long millis) {
        String fn = vcpu.currentFunction();
        log.event(dom, COMP, "FW_SPIN").with("after", opName(lastOp)).with("driver", current()).with("function", fn == null ? "unknown" : fn)
                .with("wallMillis", millis).with("shimCalls", vcpu.shimCalls()).emit();
        bs.park("the real OVMF drivers spun " + millis + " ms without a shim call after " + opName(lastOp));
    }

    @Override
    public long shimCallNow(int op, long[] a) {
        long[] out = {Long.MIN_VALUE};
        dispatch(op, a, true, v -> out[0] = v);
        if (out[0] == Long.MIN_VALUE) {
            log.event(dom, COMP, "FW_SHIM_ERROR").with("op", opName(op)).with("detail", "a call that waits, made where it must not wait").emit();
            return code(EfiStatus.EFI_DEVICE_ERROR);
        }
        return out[0];
    }

    @Override
    public void shimCall(int op, long[] a) {
        if (op < MEMORY_FENCE && serviceNanos > 0) { // the DXE core's own instructions take guest time
            dispatch(op, a, false, v -> bs.cpu().execute(opName(op), serviceNanos, () -> vcpu.reply(v)));
        } else {
            dispatch(op, a, false, vcpu::reply);
        }
    }

    private static String guid(long p) {
        if (p == 0) return null;
        Pointer g = new Pointer(p);
        return String.format("%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", g.getInt(0), g.getShort(4) & 0xffff,
                g.getShort(6) & 0xffff, g.getByte(8) & 0xff, g.getByte(9) & 0xff, g.getByte(10) & 0xff, g.getByte(11) & 0xff,
                g.getByte(12) & 0xff, g.getByte(13) & 0xff, g.getByte(14) & 0xff, g.getByte(15) & 0xff);
    }

    private static void put(long ptr, long v) {
        if (ptr != 0) new Pointer(ptr).setLong(0, v);
    }

    private UefiEvent event(long v) {
        return events.get((int) v);
    }

    private void dispatch(int op, long[] a, boolean now, java.util.function.LongConsumer k) {
        try {
            dispatch0(op, a, now, k);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // the model refuses what edk2 would ASSERT on (or reports an error for)
            log.event(dom, COMP, "FW_SHIM_REFUSED").with("op", opName(op)).with("driver", current()).with("detail", e.getMessage()).emit();
            k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
        }
    }

    private void dispatch0(int op, long[] a, boolean now, java.util.function.LongConsumer k) {
        switch (op) {
            case RAISE_TPL -> k.accept(bs.raiseTpl((int) a[0]));
            case RESTORE_TPL -> {
                if (now) {
                    bs.restoreTpl((int) a[0]);
                    k.accept(0);
                } else bs.restoreTpl((int) a[0], () -> k.accept(0));
            }
            case ALLOCATE_PAGES -> {
                long gfn = bs.allocatePages(memoryType(a[1]), a[2]);
                if (gfn < 0) k.accept(code(EfiStatus.EFI_OUT_OF_RESOURCES));
                else {
                    put(a[3], gfn * NativeRam.PAGE);
                    k.accept(0);
                }
            }
            case FREE_PAGES -> k.accept(code(bs.freePages(a[0] / NativeRam.PAGE, a[1])));
            case ALLOCATE_POOL -> {
                long addr = bs.allocatePool(memoryType(a[0]), a[1]);
                if (addr < 0) k.accept(code(EfiStatus.EFI_OUT_OF_RESOURCES));
                else {
                    put(a[2], addr);
                    k.accept(0);
                }
            }
            case FREE_POOL -> k.accept(code(bs.freePool(a[0])));
            case CREATE_EVENT, CREATE_EVENT_EX -> {
                int type = (int) a[0];
                long fn = a[2], ctx = a[3];
                String group = op == CREATE_EVENT_EX ? guid(a[4]) : null;
                long out = op == CREATE_EVENT_EX ? a[5] : a[4];
                String owner = current();
                long[] self = new long[1];
                UefiEvent.Notify notify = fn == 0 ? null : (e, done) -> {
                    if ((type & UefiEvent.EVT_NOTIFY_WAIT) != 0) { // CheckEvent's test: never waits
                        callNow(owner, fn, new long[] {self[0], ctx}, false);
                        done.run();
                    } else {
                        callC(owner, fn, new long[] {self[0], ctx}, v -> done.run());
                    }
                };
                UefiEvent e = bs.createEventEx(type, (int) a[1], notify, owner, group);
                self[0] = e.id();
                events.put(e.id(), e);
                put(out, e.id());
                k.accept(0);
            }
            case SET_TIMER -> {
                UefiEvent e = event(a[0]);
                if (e == null) {
                    k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
                    return;
                }
                BootServices.TimerDelay kind = a[1] == 0 ? BootServices.TimerDelay.TimerCancel
                        : a[1] == 1 ? BootServices.TimerDelay.TimerPeriodic : BootServices.TimerDelay.TimerRelative;
                k.accept(code(bs.setTimer(e, kind, a[2] * 100)));
            }
            case WAIT_FOR_EVENT -> {
                int n = (int) a[0];
                // CoreWaitForEvent checks the TPL before the events: above TPL_APPLICATION it is
                // EFI_UNSUPPORTED even for a closed event (XenStoreDeinit's RECONNECT loop waits on
                // xs.EventChannelEvent after closing it)
                if (bs.currentTpl() != xensim.firmware.uefi.Tpl.APPLICATION) {
                    k.accept(code(EfiStatus.EFI_UNSUPPORTED));
                    return;
                }
                List<UefiEvent> list = new ArrayList<>();
                for (int i = 0; i < n; i++) list.add(event(new Pointer(a[1]).getLong(8L * i)));
                if (list.contains(null) || n == 0) {
                    k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
                    return;
                }
                bs.waitForEvent(list, (st, idx) -> {
                    if (idx >= 0) put(a[2], idx);
                    k.accept(code(st));
                });
            }
            case SIGNAL_EVENT -> {
                UefiEvent e = event(a[0]);
                if (e == null) k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
                else {
                    bs.signalEvent(e);
                    k.accept(0);
                }
            }
            case CLOSE_EVENT -> {
                UefiEvent e = events.remove((int) a[0]);
                if (e == null) k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
                else {
                    bs.closeEvent(e);
                    k.accept(0);
                }
            }
            case CHECK_EVENT -> {
                UefiEvent e = event(a[0]);
                k.accept(e == null ? code(EfiStatus.EFI_INVALID_PARAMETER) : code(bs.checkEvent(e)));
            }
            case INSTALL_PROTOCOL -> {
                long hv = a[0] == 0 ? 0 : new Pointer(a[0]).getLong(0);
                String g = guid(a[1]);
                Handle h = handle(hv);
                if (hv != 0 && h == null) {
                    k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
                    return;
                }
                if (h != null && h.has(g)) {
                    k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
                    return;
                }
                Handle nh = bs.installProtocolInterface(h, h == null ? current() + " child" : h.name(), g, new NativeInterface(a[3]));
                long v = handleValue(nh);
                put(a[0], v);
                if (DRIVER_BINDING.equals(g)) {
                    CDriverBinding d = new CDriverBinding(this, agentName(v), a[3]);
                    bindings.put((int) v, d);
                    bs.registerDriver(d);
                }
                k.accept(0);
            }
            case UNINSTALL_PROTOCOL -> {
                Handle h = handle(a[0]);
                String g = guid(a[1]);
                if (h == null || !h.has(g)) {
                    k.accept(code(EfiStatus.EFI_NOT_FOUND));
                    return;
                }
                if (now) {
                    k.accept(code(EfiStatus.EFI_ACCESS_DENIED));
                    return;
                }
                bs.uninstallProtocolInterface(h, g, st -> {
                    if (!st.isError()) bs.forgetHandle(h);
                    k.accept(code(st));
                });
            }
            case HANDLE_PROTOCOL -> {
                Handle h = handle(a[0]);
                String g = guid(a[1]);
                if (h == null || !(h.protocol(g) instanceof NativeInterface ni)) k.accept(code(EfiStatus.EFI_UNSUPPORTED));
                else {
                    put(a[2], ni.address());
                    k.accept(0);
                }
            }
            case OPEN_PROTOCOL -> {
                Handle h = handle(a[0]);
                String g = guid(a[1]);
                int attrs = (int) a[5];
                if (h == null) {
                    k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
                    return;
                }
                EfiStatus st = bs.openProtocol(h, g, agentName(a[3]), handle(a[4]), attrs);
                if ((st == EfiStatus.EFI_SUCCESS || st == EfiStatus.EFI_ALREADY_STARTED) && a[2] != 0
                        && h.protocol(g) instanceof NativeInterface ni) put(a[2], ni.address());
                else if (st.isError() && a[2] != 0 && (attrs & Handle.TEST_PROTOCOL) == 0) put(a[2], 0);
                k.accept(code(st));
            }
            case CLOSE_PROTOCOL -> {
                Handle h = handle(a[0]);
                if (h == null) k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
                else k.accept(code(bs.closeProtocol(h, guid(a[1]), agentName(a[2]), handle(a[3]))));
            }
            case OPEN_PROTOCOL_INFORMATION -> {
                Handle h = handle(a[0]);
                if (h == null) {
                    k.accept(code(EfiStatus.EFI_NOT_FOUND));
                    return;
                }
                List<Handle.OpenInfo> infos = bs.openProtocolInformation(h, guid(a[1]));
                long buf = bs.allocatePool(EfiMemoryType.EfiBootServicesData, 24L * Math.max(1, infos.size()));
                Pointer p = new Pointer(buf);
                for (int i = 0; i < infos.size(); i++) {
                    Handle.OpenInfo o = infos.get(i);
                    long agent = 0;
                    for (Map.Entry<Integer, String> e : imageNames.entrySet()) if (e.getValue().equals(o.agent())) agent = e.getKey();
                    p.setLong(24L * i, agent);
                    p.setLong(24L * i + 8, o.controller() == null ? 0 : handleValue(o.controller()));
                    p.setInt(24L * i + 16, o.attributes());
                    p.setInt(24L * i + 20, 1);
                }
                put(a[2], buf);
                put(a[3], infos.size());
                k.accept(0);
            }
            case DISCONNECT_CONTROLLER -> {
                Handle h = handle(a[0]);
                if (h == null || now) {
                    k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
                    return;
                }
                DriverBinding only = a[1] == 0 ? null : bindings.get((int) a[1]);
                bs.disconnectController(h, only, st -> k.accept(code(st)));
            }
            case CONNECT_CONTROLLER -> {
                Handle h = handle(a[0]);
                if (h == null || now) {
                    k.accept(code(EfiStatus.EFI_INVALID_PARAMETER));
                    return;
                }
                bs.connectController(h, st -> k.accept(code(st)));
            }
            case LOCATE_HANDLE_BUFFER -> {
                List<Handle> hs = a[0] == 0 ? bs.handles() : a[0] == 2 ? bs.locateHandles(guid(a[1])) : List.of();
                if (hs.isEmpty()) {
                    k.accept(code(EfiStatus.EFI_NOT_FOUND));
                    return;
                }
                long buf = bs.allocatePool(EfiMemoryType.EfiBootServicesData, 8L * hs.size());
                for (int i = 0; i < hs.size(); i++) new Pointer(buf).setLong(8L * i, handleValue(hs.get(i)));
                put(a[3], hs.size());
                put(a[4], buf);
                k.accept(0);
            }
            case LOCATE_PROTOCOL -> {
                String g = guid(a[0]);
                for (Handle h : bs.locateHandles(g)) {
                    if (h.protocol(g) instanceof NativeInterface ni) {
                        put(a[2], ni.address());
                        k.accept(0);
                        return;
                    }
                }
                k.accept(code(EfiStatus.EFI_NOT_FOUND));
            }
            case STALL -> {
                if (now) k.accept(0);
                else bs.cpu().stall(a[0] * 1000, () -> k.accept(0));
            }
            case LOCATE_DEVICE_PATH -> k.accept(code(EfiStatus.EFI_NOT_FOUND));
            case REGISTER_PROTOCOL_NOTIFY, UNSUPPORTED -> {
                log.event(dom, COMP, "FW_SHIM_UNSUPPORTED").with("op", opName(op)).with("driver", current()).emit();
                k.accept(code(EfiStatus.EFI_UNSUPPORTED));
            }
            case MEMORY_FENCE, CPU_PAUSE -> {
                if (now || fenceNanos <= 0) k.accept(0);
                else bs.cpu().execute(opName(op), fenceNanos, () -> k.accept(0));
            }
            case DEBUG_PRINT -> {
                String msg = new Pointer(a[1]).getString(0, StandardCharsets.US_ASCII.name()).stripTrailing();
                log.event(dom, COMP, "FW_DEBUG").with("level", String.format("0x%x", a[0])).with("driver", current())
                        .with("msg", msg).emit();
                k.accept(0);
            }
            case DEBUG_ASSERT -> {
                String file = a[0] == 0 ? "" : new Pointer(a[0]).getString(0, "US-ASCII");
                String desc = a[2] == 0 ? "" : new Pointer(a[2]).getString(0, "US-ASCII");
                int slash = file.indexOf("OvmfPkg/");
                if (slash < 0) slash = file.indexOf("MdePkg/");
                log.event(dom, COMP, "FW_ASSERT").with("file", slash >= 0 ? file.substring(slash) : file).with("line", a[1])
                        .with("assertion", desc).with("driver", current()).emit();
                parked = true;
                bs.park("ASSERT " + desc); // CpuDeadLoop: the C code never goes on
            }
            case HVM_GET_PARAM -> {
                int index = (int) a[0];
                hc.hvmGetParam(index, p -> {
                    if (p.rc() != 0) {
                        k.accept(0);
                        return;
                    }
                    if (index == HvmParams.HVM_PARAM_STORE_EVTCHN) bindUpcall((int) p.value(), () -> k.accept(p.value()));
                    else k.accept(p.value());
                });
            }
            case MEMORY_OP -> memoryOp((int) a[0], a[1], k);
            case EVTCHN_OP -> evtchnOp((int) a[0], a[1], k);
            default -> {
                log.event(dom, COMP, "FW_SHIM_UNSUPPORTED").with("op", opName(op)).emit();
                k.accept(code(EfiStatus.EFI_UNSUPPORTED));
            }
        }
    }

    /** XENMEM_*: struct xen_add_to_physmap {domid_t; uint16_t size; unsigned space; xen_ulong_t idx; xen_pfn_t gpfn}. */
    private void memoryOp(int cmd, long arg, java.util.function.LongConsumer k) {
        Pointer p = new Pointer(arg);
        switch (cmd) {
            case XENMEM_add_to_physmap -> {
                int space = p.getInt(4);
                long idx = p.getLong(8), gpfn = p.getLong(16);
                if (space == 0) { // XENMAPSPACE_shared_info: see the class comment
                    sharedInfoGfn = gpfn;
                    GuestPage page = memory.page(gpfn);
                    page.fill(SHARED_INFO_EVTCHN_PENDING, 1024, (byte) 0); // evtchn_pending and evtchn_mask
                    for (int port : pendingPorts) setPending(port);
                    log.event(dom, COMP, "SHARED_INFO_MAPPED").with("gfn", gpfn).emit();
                    k.accept(0);
                    return;
                }
                hc.addToPhysmap(space, idx, gpfn, r -> {
                    if (r.rc() == 0 && space == xensim.abi.HvmParams.XENMAPSPACE_grant_table) grants.added((int) idx, gpfn, memory.page(gpfn));
                    k.accept(r.rc());
                });
            }
            case XENMEM_remove_from_physmap -> {
                long gpfn = p.getLong(8);
                hc.removeFromPhysmap(gpfn, r -> {
                    if (r.rc() == 0) grants.removed(gpfn);
                    k.accept(r.rc());
                });
            }
            default -> k.accept(ENOSYS);
        }
    }

    /** EVTCHNOP_*: evtchn_send {port}; evtchn_alloc_unbound {domid_t dom, remote_dom; port}; evtchn_close {port}. */
    private void evtchnOp(int cmd, long arg, java.util.function.LongConsumer k) {
        Pointer p = new Pointer(arg);
        switch (cmd) {
            case EVTCHNOP_send -> hc.evtchnSend(p.getInt(0), r -> k.accept(r.rc()));
            case EVTCHNOP_alloc_unbound -> {
                int remote = p.getShort(2) & 0xffff;
                hc.evtchnAllocUnbound(remote, r -> {
                    if (r.rc() != 0) {
                        k.accept(r.rc());
                        return;
                    }
                    p.setInt(4, r.port());
                    bindUpcall(r.port(), () -> k.accept(0));
                });
            }
            case EVTCHNOP_close -> {
                int port = p.getInt(0);
                upcallPorts.remove(port);
                pendingPorts.remove(port);
                hc.evtchnClose(port, r -> k.accept(r.rc()));
            }
            default -> k.accept(EINVAL);
        }
    }

    public boolean parked() {
        return parked;
    }

    /** EFI_DRIVER_BINDING_PROTOCOL of a C driver: {Supported, Start, Stop, Version, ImageHandle, DriverBindingHandle}. */
    static final class CDriverBinding implements DriverBinding {
        private final Shim shim;
        private final String name;
        private final long iface;

        CDriverBinding(Shim shim, String name, long iface) {
            this.shim = shim;
            this.name = name;
            this.iface = iface;
        }

        @Override
        public String name() {
            return name;
        }

        private long fn(int slot) {
            return new Pointer(iface).getLong(8L * slot);
        }

        @Override
        public boolean supported(BootServices bs, Handle controller) {
            long st = shim.callNow(name, fn(0), new long[] {iface, shim.handleValue(controller), 0}, false);
            return st == 0;
        }

        @Override
        public void start(BootServices bs, Handle controller, Consumer<EfiStatus> done) {
            shim.callC(name, fn(1), new long[] {iface, shim.handleValue(controller), 0}, v -> done.accept(status(v)));
        }

        @Override
        public void stop(BootServices bs, Handle controller, List<Handle> children, Consumer<EfiStatus> done) {
            long buf = 0;
            com.sun.jna.Memory m = null;
            if (!children.isEmpty()) {
                m = new com.sun.jna.Memory(8L * children.size());
                for (int i = 0; i < children.size(); i++) m.setLong(8L * i, shim.handleValue(children.get(i)));
                buf = Pointer.nativeValue(m);
            }
            com.sun.jna.Memory keep = m;
            shim.callC(name, fn(2), new long[] {iface, shim.handleValue(controller), children.size(), buf}, v -> {
                if (keep != null) keep.close();
                done.accept(status(v));
            });
        }
    }
}
