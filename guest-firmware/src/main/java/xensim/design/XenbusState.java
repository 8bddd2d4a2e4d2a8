package xensim.design;

/** enum xenbus_state (xen/include/public/io/xenbus.h), in its order: {@link #code()} is the value in xenstore. */
public enum XenbusState {
    Unknown, Initialising, InitWait, Initialised, Connected, Closing, Closed, Reconfiguring, Reconfigured;

    public int code() {
        return ordinal();
    }
}
