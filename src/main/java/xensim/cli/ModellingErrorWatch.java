package xensim.cli;

import xensim.platform.Event;
import xensim.platform.EventSink;

/**
 * Watches one run for a modelling error: FW_SPIN, edk2's C code spinning on memory without a shim
 * call, which the coroutine vCPU cannot run against (nothing changes while it runs). The firmware
 * parks and the checker then sees a stuck guest; that HANG is the simulator's limit, not the
 * design's verdict, so the run ends as a modelling error (exit 3) with its log kept.
 */
final class ModellingErrorWatch implements EventSink {
    private String message;

    /** The events {@link #accept} reads (the log builds no other for this sink). */
    @Override
    public boolean wants(String ev) {
        return "FW_SPIN".equals(ev);
    }

    @Override
    public synchronized void accept(Event e) {
        if (message == null && "FW_SPIN".equals(e.ev())) {
            String fn = e.getString("function");
            message = "the real OVMF drivers (" + e.getString("driver") + ") spun " + e.getLong("wallMillis")
                    + " ms of wall-clock time" + (fn == null || "unknown".equals(fn) ? "" : " in " + fn)
                    + " without a shim call after " + e.getString("after")
                    + " (FW_SPIN, event #" + e.seq() + "): a loop on shared memory with no MemoryFence, CpuPause or boot service"
                    + " cannot see the host's progress in the simulator; the verdict is not the design's";
        }
    }

    /** The first error's line, or null. */
    synchronized String message() {
        return message;
    }

    /** A {@link ModellingErrorException} if the run saw one. */
    void check() {
        String m = message();
        if (m != null) throw new ModellingErrorException(m);
    }
}
