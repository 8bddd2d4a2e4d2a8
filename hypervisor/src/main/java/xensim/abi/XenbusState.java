package xensim.abi;

/** {@code io/xenbus.h}: {@code enum xenbus_state}, the value of a device's {@code state} node. */
public enum XenbusState {
    Unknown(0),
    Initialising(1),
    /** Finished early initialisation, waiting for information from the peer or hotplug scripts. */
    InitWait(2),
    /** Initialised and waiting for a connection from the peer. */
    Initialised(3),
    Connected(4),
    /** The device is being closed due to an error or an unplug event. */
    Closing(5),
    Closed(6),
    /** Reconfiguring: the device is being reconfigured. */
    Reconfiguring(7),
    Reconfigured(8);

    private final int code;

    XenbusState(int code) {
        this.code = code;
    }

    /** The number written to xenstore. */
    public int code() {
        return code;
    }

    /** The state for a number, or null if out of range (as edk2 checks {@code Value > XenbusStateReconfigured}). */
    public static XenbusState fromCode(long code) {
        return code >= 0 && code < values().length ? values()[(int) code] : null;
    }

    /** Parses a {@code state} node value ("4"); null when it is not a state. */
    public static XenbusState parse(String value) {
        if (value == null) return null;
        try {
            return fromCode(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
