package xensim.dom0.blkback;

import java.util.Arrays;
import java.util.Locale;
import xensim.abi.XenbusState;

/**
 * {@code backend.profile}: how blkback reacts to the frontend's xenbus state, the behaviour that
 * differs between blkback versions. Each profile maps (frontend state, backend state) to an
 * {@link Action} that {@link BlkbackCore} carries out.
 */
public enum BlkbackProfile {
    /**
     * Linux's drivers/block/xen-blkback/xenbus.c {@code frontend_changed} (today's and every kernel
     * since 3.x): Closing only switches the backend to Closing, and its thread keeps serving the
     * ring; Closed calls {@code xen_blkif_disconnect}, which stops the thread but returns -EBUSY
     * while I/O is in flight (the ring stays mapped, the event channel bound, and in-flight
     * requests still complete into the granted pages and the old ring), and switches to Closed
     * anyway; Initialised/Connected disconnect first (-EBUSY is fatal: "pending I/O", Closing),
     * then {@code connect_ring}; Initialising after Closed prepares a reconnect (InitWait).
     */
    LINUX("linux") {
        @Override
        public Action onFrontendState(XenbusState frontend, XenbusState backend) {
            if (frontend == null) return Action.NONE;
            return switch (frontend) {
                case Initialising -> backend == XenbusState.Closed ? Action.INIT_WAIT : Action.NONE;
                case Initialised, Connected -> backend == XenbusState.Connected ? Action.NONE : Action.DISCONNECT_THEN_CONNECT;
                case Closing -> Action.SWITCH_CLOSING;
                case Closed -> Action.DISCONNECT_THEN_CLOSED;
                case Unknown -> Action.NONE; // device_unregister: the toolstack's Shutdown removes the device
                default -> Action.FATAL;
            };
        }
    },
    /**
     * The classic (2.6-era) blkback: on the frontend's Closing it stops taking requests, drains
     * those in flight, unmaps the ring and only then publishes Closing; Closed likewise; it
     * connects on Initialised/Connected unless Connected or Closing.
     */
    DRAIN("drain") {
        @Override
        public Action onFrontendState(XenbusState frontend, XenbusState backend) {
            if (frontend == null) return Action.NONE;
            return switch (frontend) {
                case Initialising -> backend == XenbusState.Closed ? Action.INIT_WAIT : Action.NONE;
                case Initialised, Connected -> backend == XenbusState.Connected || backend == XenbusState.Closing
                        ? Action.NONE : Action.CONNECT;
                case Closing -> backend == XenbusState.Closing || backend == XenbusState.Closed ? Action.NONE
                        : Action.DRAIN_THEN_CLOSING;
                case Closed -> backend == XenbusState.Closed ? Action.NONE : Action.DRAIN_THEN_CLOSED;
                default -> Action.NONE;
            };
        }
    };

    /** What the backend must do next. */
    public enum Action {
        /** Nothing to do. */
        NONE,
        /** Read ring-ref/event-channel/protocol, map the ring, bind the event channel, then Connected. */
        CONNECT,
        /** xen_blkif_disconnect (fatal "pending I/O" if busy), then connect_ring. */
        DISCONNECT_THEN_CONNECT,
        /** Stop taking requests, finish in-flight ones, unmap ring and grants, then switch to Closing. */
        DRAIN_THEN_CLOSING,
        /** Drain and disconnect if still connected, then switch to Closed. */
        DRAIN_THEN_CLOSED,
        /** Only switch to Closing; keep serving the ring. */
        SWITCH_CLOSING,
        /** xen_blkif_disconnect (which may leave the ring mapped: -EBUSY), then Closed regardless. */
        DISCONNECT_THEN_CLOSED,
        /** Prepare for a reconnect: switch to InitWait. */
        INIT_WAIT,
        /** xenbus_dev_fatal: a state the backend cannot handle; it switches to Closing. */
        FATAL
    }

    private final String cliName;

    BlkbackProfile(String cliName) {
        this.cliName = cliName;
    }

    /** The name in scenarios, flags, RUN_BEGIN and replay lines. */
    public String cliName() {
        return cliName;
    }

    public abstract Action onFrontendState(XenbusState frontend, XenbusState backend);

    /** The profile called {@code name}; an IllegalArgumentException naming the choices otherwise. */
    public static BlkbackProfile named(String name) {
        for (BlkbackProfile p : values()) if (p.cliName.equals(name.toLowerCase(Locale.ROOT))) return p;
        throw new IllegalArgumentException("unknown backend profile '" + name + "' (expected one of "
                + String.join(", ", Arrays.stream(values()).map(BlkbackProfile::cliName).toList()) + ")");
    }
}
