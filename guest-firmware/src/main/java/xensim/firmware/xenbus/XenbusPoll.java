package xensim.firmware.xenbus;

import java.util.function.Consumer;
import xensim.abi.XenbusState;
import xensim.firmware.uefi.BootServices;

/**
 * Waiting for a backend state the only way left inside an EBS notify: read the backend's
 * {@code state} node, Stall, read again (no watches: XenStoreWaitWatch would need a timer event).
 */
public final class XenbusPoll {
    private XenbusPoll() {}

    public static final long POLL_NANOS = 50_000;
    public static final int MAX_POLLS = 100_000; // 5 s of Stall(50 us)

    /** Calls {@code k} with true once the backend reached {@code atLeast}, false after MAX_POLLS. */
    public static void backendAtLeast(BootServices bs, XenBusIo io, XenbusState atLeast, Consumer<Boolean> k) {
        poll(bs, io, atLeast, 0, k);
    }

    private static void poll(BootServices bs, XenBusIo io, XenbusState atLeast, int polls, Consumer<Boolean> k) {
        io.xsBackendRead(0, "state", (v, err) -> {
            XenbusState st = XenbusState.parse(v);
            if (st != null && st.code() >= atLeast.code()) {
                k.accept(true);
            } else if (polls >= MAX_POLLS || v == null) {
                k.accept(false);
            } else {
                bs.cpu().stall(POLL_NANOS, () -> poll(bs, io, atLeast, polls + 1, k));
            }
        });
    }
}
