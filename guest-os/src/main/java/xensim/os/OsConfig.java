package xensim.os;

/**
 * The guest OS's knobs: Linux's xenbus_reset_state on or off (to see what it masks), how many
 * verified I/Os per disk after handoff, and whether to shut down cleanly at the end.
 */
public record OsConfig(boolean resetState, int ioOps, boolean shutdown) {
    public static OsConfig defaults() {
        return new OsConfig(true, 64, true);
    }
}
