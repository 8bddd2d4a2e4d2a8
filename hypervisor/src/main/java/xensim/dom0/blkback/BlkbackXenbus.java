package xensim.dom0.blkback;

import xensim.abi.XenbusState;

/**
 * blkback's reaction to the frontend's xenbus state (Linux xen-blkback frontend_changed(), in its
 * classic form): connect on Initialised/Connected, disconnect then Closing on Closing, Closed on
 * Closed, and back to InitWait when a frontend re-initialises after Closed (kexec, or the next
 * driver in the guest taking the device over).
 */
public final class BlkbackXenbus {
    private BlkbackXenbus() {}

    /** What the backend must do next. */
    public enum Action {
        /** Nothing to do. */
        NONE,
        /** Read ring-ref/event-channel/protocol, map the ring, bind the event channel, then Connected. */
        CONNECT,
        /** Stop taking requests, finish in-flight ones, unmap ring and grants, then switch to Closing. */
        DISCONNECT_THEN_CLOSING,
        /** Disconnect if still connected, then switch to Closed. */
        CLOSED,
        /** Prepare for a reconnect: switch to InitWait. */
        INIT_WAIT
    }

    public static Action onFrontendState(XenbusState frontend, XenbusState backend) {
        if (frontend == null) return Action.NONE;
        return switch (frontend) {
            case Initialising -> backend == XenbusState.Closed ? Action.INIT_WAIT : Action.NONE;
            case Initialised, Connected -> backend == XenbusState.Connected || backend == XenbusState.Closing
                    ? Action.NONE : Action.CONNECT;
            case Closing -> backend == XenbusState.Closing || backend == XenbusState.Closed ? Action.NONE
                    : Action.DISCONNECT_THEN_CLOSING;
            case Closed -> backend == XenbusState.Closed ? Action.NONE : Action.CLOSED;
            default -> Action.NONE;
        };
    }
}
