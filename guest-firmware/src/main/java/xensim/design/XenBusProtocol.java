package xensim.design;

import java.util.List;
import java.util.function.Consumer;

/**
 * One child's XENBUS_PROTOCOL (OvmfPkg/Include/Protocol/XenBus.h) at the level a design needs:
 * the device's identity, XenBusSetState, reading the backend's state the only way left inside an
 * EBS notify (xenstore read, Stall, read again), GrantEndAccess, and the members the 2019
 * proposals add (RegisterExitCallback, AddReference/RemoveReference, the bus's record of grants).
 */
public interface XenBusProtocol {

    /** An exit callback a child registers with the bus (Anthony PERARD's series). Must call {@code done}. */
    @FunctionalInterface
    interface ExitCallback {
        void run(Runnable done);
    }

    /** "vbd", "vif", ... */
    String type();

    /** The frontend node, relative to the domain's home ("device/vbd/768"). */
    String node();

    int deviceId();

    /** The backend's node ("/local/domain/0/backend/vbd/1/768"). */
    String backend();

    int backendId();

    XenBus bus();

    /** XenBusSetState: writes the frontend's state (only a change); {@code k} gets null or the xenstore error. */
    void setState(XenbusState state, Consumer<String> k);

    /**
     * Reads the backend's state node, Stalls, reads again, until it is at least {@code atLeast}
     * ({@code k} gets true), the node is gone or a budget of 5 s of guest time is spent (false).
     * Watches need a timer event: after ExitBootServices this is the only wait there is.
     */
    void pollBackendState(XenbusState atLeast, Consumer<Boolean> k);

    /** GrantEndAccess: {@link Status#NOT_READY} ("g.e. still in use!") while the backend still maps it. */
    Status grantEndAccess(int ref);

    /** bus-tracks: this child's grants the bus has seen granted through it and not seen ended. */
    List<Integer> trackedRefs();

    /** exit-callback: registers (or with null, removes) the child's exit callback. */
    void registerExitCallback(ExitCallback callback);

    /** exit-callback: the callback registered, or null. */
    ExitCallback exitCallback();

    /** refcount: at the end of a successful Start. */
    void addReference();

    /** refcount: in Stop with false; in a child's EBS notify with true (resets the bus when the count reaches 0). */
    void removeReference(boolean handOffToOs, Runnable then);
}
