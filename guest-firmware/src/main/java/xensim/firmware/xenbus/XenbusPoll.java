package xensim.firmware.xenbus;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import xensim.abi.XenbusState;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.Cpu;

/**
 * Waiting for a backend state the only way left inside an EBS notify: read the backend's
 * {@code state} node, Stall, read again (no watches: XenStoreWaitWatch would need a timer event).
 *
 * <p>edk2's own wait (XenPvBlkWaitForBackendState) has no timeout: it loops on WaitForWatch
 * until the state arrives. The designs that poll with Stall give up after a budget of guest
 * time, {@link #BUDGET_NANOS} (5 s, as Linux's xenbus_reset_state waits per state), measured on
 * the CPU's clock: the xenstore round trip of every poll counts, not only the Stall. A count of
 * polls would stretch the wait to 100,000 round trips when xenstore is slow.
 */
public final class XenbusPoll {
    private XenbusPoll() {}

    public static final long POLL_NANOS = 50_000;
    /** How long a poll may wait in all, xenstore round trips included. */
    public static final long BUDGET_NANOS = 5_000_000_000L;

    /** Calls {@code k} with true once the backend reached {@code atLeast}, false once the budget is spent. */
    public static void backendAtLeast(BootServices bs, XenBusIo io, XenbusState atLeast, Consumer<Boolean> k) {
        backendAtLeast(bs.cpu(), k2 -> io.xsBackendRead(0, "state", k2), atLeast, k);
    }

    /**
     * The loop itself: {@code readState} reads the backend's state node and answers (value, error).
     * Calls {@code k} with true once the state is at least {@code atLeast}; false when the node
     * is gone or {@link #BUDGET_NANOS} of the CPU's time have passed.
     */
    public static void backendAtLeast(Cpu cpu, Consumer<BiConsumer<String, String>> readState, XenbusState atLeast,
                                      Consumer<Boolean> k) {
        poll(cpu, readState, atLeast, cpu.now() + BUDGET_NANOS, k);
    }

    /** A deadline {@link #BUDGET_NANOS} from now on {@code cpu}'s clock, for other Stall loops. */
    public static long deadline(Cpu cpu) {
        return cpu.now() + BUDGET_NANOS;
    }

    private static void poll(Cpu cpu, Consumer<BiConsumer<String, String>> readState, XenbusState atLeast, long deadline,
                             Consumer<Boolean> k) {
        readState.accept((v, err) -> {
            XenbusState st = XenbusState.parse(v);
            if (st != null && st.code() >= atLeast.code()) {
                k.accept(true);
            } else if (v == null || cpu.now() >= deadline) {
                k.accept(false);
            } else {
                cpu.stall(POLL_NANOS, () -> poll(cpu, readState, atLeast, deadline, k));
            }
        });
    }
}
