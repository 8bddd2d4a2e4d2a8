package xensim.cli;

import xensim.platform.Event;
import xensim.platform.EventSink;
import xensim.platform.Seam;
import xensim.platform.VirtualTimeExecutor;

/**
 * explore --exhaustive's window: from the first EBS_BEGIN to the OS's first verified I/O
 * (IO_VERIFY from comp os), it has the run's executor record every choice point, and keeps the
 * hash of the system's state as its events show it — an order-insensitive sum over the window's
 * events (time, domain, component, name, fields; no seq), so two schedules that only commute
 * independent steps reach the same state. The executor mixes in the actors with a pending step.
 * An approximation of the state: actors' private fields are not in it.
 */
final class WindowWatch implements EventSink {
    private VirtualTimeExecutor ex;
    private boolean open;
    private boolean closed;
    private long hash;
    private long startStep = -1;
    private long endStep = -1;

    @Override
    public void accept(Event e) {
        if (closed) return;
        if (!open) {
            if (!"EBS_BEGIN".equals(e.ev())) return;
            ex = VirtualTimeExecutor.current();
            if (ex == null) return;
            open = true;
            startStep = ex.steps();
            ex.recordChoicesFrom(startStep, () -> hash);
        }
        if ("SCHEDULE_DEVIATION".equals(e.ev())) return; // the schedule, not the state
        hash += Seam.mix64((e.t() + "|" + e.dom() + "|" + e.comp() + "|" + e.ev() + "|" + e.fields()).hashCode());
        if ("IO_VERIFY".equals(e.ev()) && "os".equals(e.comp())) {
            closed = true;
            endStep = ex.steps();
            ex.recordChoicesFrom(Long.MAX_VALUE, null);
        }
    }

    long startStep() {
        return startStep;
    }

    /** The step the window closed at, or -1 (the OS never verified an I/O: the window ran to the end). */
    long endStep() {
        return endStep;
    }

    /** The state hash at the window's end (or the run's end). */
    long finalState() {
        return hash;
    }
}
