package xensim.firmware.xenbus;

import xensim.abi.XenbusState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import xensim.abi.HvmParams;
import xensim.design.EbsDesign;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.DriverBinding;
import xensim.firmware.uefi.EfiMemoryType;
import xensim.firmware.uefi.EfiStatus;
import xensim.firmware.uefi.Handle;
import xensim.firmware.uefi.Protocols;
import xensim.firmware.uefi.UefiEvent;

/**
 * OvmfPkg/XenBusDxe: the bus driver on the Xen platform device. Start maps the grant table,
 * connects to xenstore through HVM_PARAM_STORE_PFN/EVTCHN, lets the EBS design register what it
 * needs, and enumerates {@code device/*} into child handles carrying XENBUS_PROTOCOL. Stop with
 * children uninstalls each child's protocol (stopping its driver) and frees the child; Stop with
 * none closes the EBS event, runs XenStoreDeinit and XenGrantTableDeinit — the bus-level reset,
 * logged as XENBUS_RESET.
 */
public final class XenBusDxe implements DriverBinding {
    public static final String NAME = "XenBusDxe";
    public static final String COMP = "fw.xenbus";

    private final BootServices bs;
    private final Hypercalls hc;
    private final EbsDesign strategy;
    private DesignXenBus designView;
    private EventChannel evtchn;
    private XenStore xenStore;
    private GrantTable grantTable;
    private Handle controller;
    private long devData = -1;
    private boolean started;
    private boolean resetDone;
    private final List<XenBusIo> children = new ArrayList<>();
    private UefiEvent exitBootEvent;
    private int refCount;
    private boolean handOffToOs;
    private final Map<XenBusIo, Map<Integer, Long>> tracked = new LinkedHashMap<>();

    public XenBusDxe(BootServices bs, Hypercalls hc, EbsDesign strategy) {
        this.bs = bs;
        this.hc = hc;
        this.strategy = strategy;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The bus as EBS designs see it (the same object each time). */
    public xensim.design.XenBus forDesigns() {
        if (designView == null) designView = new DesignXenBus(this);
        return designView;
    }

    public BootServices bs() {
        return bs;
    }

    public XenStore xenStore() {
        return xenStore;
    }

    public GrantTable grantTable() {
        return grantTable;
    }

    public EventChannel eventChannel() {
        return evtchn;
    }

    public Handle controller() {
        return controller;
    }

    public List<XenBusIo> children() {
        return List.copyOf(children);
    }

    public boolean resetDone() {
        return resetDone;
    }

    public int refCount() {
        return refCount;
    }

    public boolean handOffToOs() {
        return handOffToOs;
    }

    public void onUpcall(int port) {
        if (evtchn != null) evtchn.onUpcall(port);
    }

    /** The design's bus-level EBS event (closed by Stop). */
    public void setExitBootEvent(UefiEvent e) {
        this.exitBootEvent = e;
    }

    @Override
    public boolean supported(BootServices b, Handle h) {
        return h.has(Protocols.XEN_IO) && !started;
    }

    @Override
    public void start(BootServices b, Handle h, Consumer<EfiStatus> done) {
        EfiStatus st = bs.openProtocol(h, Protocols.XEN_IO, NAME, h, Handle.BY_DRIVER);
        if (st.isError()) {
            done.accept(st);
            return;
        }
        started = true;
        controller = h;
        XenIo io = (XenIo) h.protocol(Protocols.XEN_IO);
        devData = bs.allocatePool(EfiMemoryType.EfiBootServicesData, 256); // XENBUS_DEVICE
        evtchn = new EventChannel(hc);
        grantTable = new GrantTable(hc, bs.memory(), bs.log(), COMP, io.grantTableGfn());
        xenStore = new XenStore(bs, evtchn, !strategy.allocationFreeXenStore());
        grantTable.init(() -> hc.hvmGetParam(HvmParams.HVM_PARAM_STORE_EVTCHN, port ->
            hc.hvmGetParam(HvmParams.HVM_PARAM_STORE_PFN, pfn ->
                hc.bindUpcall((int) port.value(), r -> {
                    xenStore.init(bs.memory().page(pfn.value()), (int) port.value(), () -> {
                        strategy.busStarted(forDesigns());
                        enumerate(() -> done.accept(EfiStatus.EFI_SUCCESS));
                    });
                }))));
    }

    /** XenBusEnumerateBus: device/&lt;type&gt;/&lt;id&gt; → a child each. */
    private void enumerate(Runnable then) {
        xenStore.directory(0, "device", (types, err) -> enumerateTypes(types, 0, then));
    }

    private void enumerateTypes(List<String> types, int i, Runnable then) {
        if (i == types.size()) {
            then.run();
            return;
        }
        String type = types.get(i);
        xenStore.directory(0, "device/" + type, (ids, err) -> addDevices(type, ids, 0, () -> enumerateTypes(types, i + 1, then)));
    }

    private void addDevices(String type, List<String> ids, int i, Runnable then) {
        if (i == ids.size()) {
            then.run();
            return;
        }
        String node = "device/" + type + "/" + ids.get(i);
        Runnable next = () -> addDevices(type, ids, i + 1, then);
        // XenBusAddDevice (XenBus.c): XenStorePathExists (a directory listing of the node), then the
        // frontend's own state must be Initialising (XenBusReadDriverState: unreadable counts as
        // Closed), then the backend path; the backend id is XenPvBlkDxe's to read
        xenStore.directory(0, node, (entries, errDir) -> {
            if (errDir != null) {
                next.run();
                return;
            }
            xenStore.read(0, node + "/state", (st, errSt) -> {
                if (XenbusState.parse(st) != XenbusState.Initialising) { // "Device is not new, so ignore it"
                    next.run();
                    return;
                }
                xenStore.read(0, node + "/backend", (backend, err) -> {
                    if (backend == null) { // "no backend path"
                        next.run();
                        return;
                    }
                    int deviceId;
                    try {
                        deviceId = Integer.parseInt(ids.get(i));
                    } catch (NumberFormatException e) {
                        next.run();
                        return;
                    }
                    XenBusIo io = new XenBusIo(this, type, node, deviceId, backend, 0);
                    io.childData = bs.allocatePool(EfiMemoryType.EfiBootServicesData, 128); // XENBUS_PRIVATE_DATA
                    io.handle = bs.installProtocolInterface(null, node, Protocols.DEVICE_PATH, node);
                    bs.installProtocolInterface(io.handle, node, Protocols.XENBUS, io);
                    bs.openProtocol(controller, Protocols.XEN_IO, NAME, io.handle, Handle.BY_CHILD_CONTROLLER);
                    children.add(io);
                    next.run();
                });
            });
        });
    }

    @Override
    public void stop(BootServices b, Handle h, List<Handle> childHandles, Consumer<EfiStatus> done) {
        if (!childHandles.isEmpty()) {
            stopChildren(childHandles, 0, done);
            return;
        }
        if (exitBootEvent != null) {
            bs.closeEvent(exitBootEvent);
            exitBootEvent = null;
        }
        reset(() -> {
            bs.closeProtocol(controller, Protocols.XEN_IO, NAME, controller);
            if (devData >= 0) bs.freePool(devData);
            started = false;
            done.accept(EfiStatus.EFI_SUCCESS);
        });
    }

    private void stopChildren(List<Handle> hs, int i, Consumer<EfiStatus> done) {
        if (i == hs.size()) {
            done.accept(EfiStatus.EFI_SUCCESS);
            return;
        }
        Handle ch = hs.get(i);
        XenBusIo io = (XenBusIo) ch.protocol(Protocols.XENBUS);
        bs.closeProtocol(controller, Protocols.XEN_IO, NAME, ch);
        bs.uninstallProtocolInterface(ch, Protocols.XENBUS, st -> {
            if (st.isError()) {
                bs.openProtocol(controller, Protocols.XEN_IO, NAME, ch, Handle.BY_CHILD_CONTROLLER);
                done.accept(EfiStatus.EFI_DEVICE_ERROR);
                return;
            }
            if (io != null) {
                if (io.childData >= 0) bs.freePool(io.childData);
                children.remove(io);
            }
            stopChildren(hs, i + 1, done);
        });
    }

    /**
     * The bus-level reset: XenStoreDeinit (reconnect or 0xff) then XenGrantTableDeinit. Done once;
     * XENBUS_RESET is logged as soon as the xenstore ring has been reset.
     */
    public void reset(Runnable then) {
        if (resetDone) {
            then.run();
            return;
        }
        resetDone = true;
        xenStore.deinit(method -> {
            bs.log().event(bs.domid(), COMP, "XENBUS_RESET").with("method", method).with("grantTable", true).emit();
            grantTable.deinit(then);
        });
    }

    // --- refcount (Laszlo's proposal) -----------------------------------------------------------

    void addReference() {
        refCount++;
    }

    void removeReference(boolean handOff, Runnable then) {
        refCount--;
        if (handOff) handOffToOs = true;
        bs.log().event(bs.domid(), COMP, "XENBUS_REFERENCE").with("count", refCount).with("handOffToOs", handOff).emit();
        if (handOff && refCount == 0) reset(then);
        else then.run();
    }

    // --- bus-tracks (Andrew's idea) -------------------------------------------------------------

    void track(XenBusIo io, int ref, long gfn) {
        tracked.computeIfAbsent(io, k -> new LinkedHashMap<>()).put(ref, gfn);
    }

    void untrack(XenBusIo io, int ref) {
        Map<Integer, Long> m = tracked.get(io);
        if (m != null) m.remove(ref);
    }

    List<Integer> trackedRefs(XenBusIo io) {
        Map<Integer, Long> m = tracked.get(io);
        return m == null ? List.of() : new ArrayList<>(m.keySet());
    }
}
