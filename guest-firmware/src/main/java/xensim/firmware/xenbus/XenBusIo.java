package xensim.firmware.xenbus;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import xensim.abi.XenbusState;
import xensim.firmware.uefi.EfiStatus;
import xensim.firmware.uefi.Handle;

/**
 * XENBUS_PROTOCOL, one per child device, with edk2's members (paths relative to the device's
 * node, or to its backend for the Backend variants) plus the members the EBS designs add:
 * RegisterExitCallback (exit-callback) and AddReference/RemoveReference (refcount).
 */
public final class XenBusIo {
    private final XenBusDxe bus;
    final String type;
    final String node;
    final int deviceId;
    final String backend;
    int backendId;
    Handle handle;
    long childData = -1;
    xensim.design.XenBusProtocol.ExitCallback exitCallback;
    private DesignXenBus.Protocol designView;

    /** The exit callback a child registered (Anthony's series), or null. */
    public xensim.design.XenBusProtocol.ExitCallback exitCallback() {
        return exitCallback;
    }

    /** This XENBUS_PROTOCOL as EBS designs see it (the same object each time). */
    public xensim.design.XenBusProtocol forDesigns() {
        if (designView == null) designView = new DesignXenBus.Protocol(this);
        return designView;
    }

    XenBusIo(XenBusDxe bus, String type, String node, int deviceId, String backend, int backendId) {
        this.bus = bus;
        this.type = type;
        this.node = node;
        this.deviceId = deviceId;
        this.backend = backend;
        this.backendId = backendId;
    }

    public String type() {
        return type;
    }

    public String node() {
        return node;
    }

    public int deviceId() {
        return deviceId;
    }

    public String backend() {
        return backend;
    }

    public int backendId() {
        return backendId;
    }

    /** XenPvBlockFrontInitialization reads the frontend's backend-id node and keeps it (Dev->DomainId). */
    public void setBackendId(int id) {
        this.backendId = id;
    }

    public Handle handle() {
        return handle;
    }

    public XenBusDxe bus() {
        return bus;
    }

    private String path(String rel) {
        return rel.isEmpty() ? node : node + "/" + rel;
    }

    public void xsRead(int tx, String rel, BiConsumer<String, String> k) {
        bus.xenStore().read(tx, path(rel), k);
    }

    public void xsBackendRead(int tx, String rel, BiConsumer<String, String> k) {
        bus.xenStore().read(tx, backend + "/" + rel, k);
    }

    public void xsPrintf(int tx, String rel, String value, Consumer<String> k) {
        bus.xenStore().write(tx, path(rel), value, k);
    }

    public void xsRemove(int tx, String rel, Consumer<String> k) {
        bus.xenStore().remove(tx, path(rel), k);
    }

    public void xsTransactionStart(BiConsumer<Integer, String> k) {
        bus.xenStore().transactionStart(k);
    }

    public void xsTransactionEnd(int tx, boolean abort, Consumer<String> k) {
        bus.xenStore().transactionEnd(tx, abort, k);
    }

    /** XenBusSetState: reads the current state; writes only a change; XENBUS_STATE event. */
    public void setState(int tx, XenbusState to, Consumer<String> k) {
        xsRead(tx, "state", (cur, err) -> {
            XenbusState from = XenbusState.parse(cur);
            if (from == to) {
                k.accept(null);
                return;
            }
            xsPrintf(tx, "state", Integer.toString(to.code()), werr -> {
                if (werr == null) {
                    bus.bs().log().event(bus.bs().domid(), "fw.pvblk", "XENBUS_STATE").with("path", "/local/domain/" + bus.bs().domid() + "/" + path("state"))
                            .with("from", from == null ? "Unknown" : from.name()).with("to", to.name()).emit();
                }
                k.accept(werr);
            });
        });
    }

    /** GrantAccess; the bus keeps a record of every child grant (what bus-tracks relies on). */
    public int grantAccess(int domid, long gfn, boolean readonly) {
        int ref = bus.grantTable().grantAccess(domid, gfn, readonly);
        if (ref >= 0) bus.track(this, ref, gfn);
        return ref;
    }

    /** GrantEndAccess: EFI_NOT_READY while the backend still maps it. */
    public EfiStatus grantEndAccess(int ref) {
        boolean ok = bus.grantTable().endAccess(ref);
        if (ok) bus.untrack(this, ref);
        if (!ok) bus.bs().log().event(bus.bs().domid(), "fw.xenbus", "FW_WARNING").with("detail", "g.e. still in use! ref " + ref).emit();
        return ok ? EfiStatus.EFI_SUCCESS : EfiStatus.EFI_NOT_READY;
    }

    public boolean grantInUse(int ref) {
        return bus.grantTable().inUse(ref);
    }

    public void eventChannelAllocate(int domid, Consumer<Integer> k) {
        bus.eventChannel().allocate(domid, k);
    }

    public void eventChannelNotify(int port, Runnable then) {
        bus.eventChannel().notify(port, then);
    }

    public void eventChannelClose(int port, Runnable then) {
        bus.eventChannel().close(port, then);
    }

    public boolean eventChannelTestAndClear(int port) {
        return bus.eventChannel().testAndClear(port);
    }

    public void registerWatch(String rel, String token, Consumer<String> k) {
        bus.xenStore().watch(path(rel), token, k);
    }

    public void registerWatchBackend(String rel, String token, Consumer<String> k) {
        bus.xenStore().watch(backend + "/" + rel, token, k);
    }

    public void unregisterWatch(String watchedPath, String token, Consumer<String> k) {
        bus.xenStore().unwatch(watchedPath, token, k);
    }

    public void waitForWatch(String token, Consumer<XenStore.WatchEvent> k) {
        bus.xenStore().waitWatch(token, k);
    }

    // --- members the EBS designs add -------------------------------------------------------------

    /** exit-callback: the bus calls it from its EBS notify before resetting. */
    public void registerExitCallback(xensim.design.XenBusProtocol.ExitCallback cb) {
        this.exitCallback = cb;
    }

    /** refcount: at the end of a successful Start. */
    public void addReference() {
        bus.addReference();
    }

    /** refcount: in Stop with FALSE; in a child's EBS notify with TRUE (may reset the bus at zero). */
    public void removeReference(boolean handOffToOs, Runnable then) {
        bus.removeReference(handOffToOs, then);
    }

    /** bus-tracks: the grants of this child the bus has seen and not seen ended. */
    public List<Integer> trackedRefs() {
        return bus.trackedRefs(this);
    }

    @Override
    public String toString() {
        return "XenBusIo(" + node + ")";
    }
}
