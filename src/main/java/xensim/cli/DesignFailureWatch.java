package xensim.cli;

import xensim.platform.Event;
import xensim.platform.EventSink;

/**
 * Watches one run for DESIGN_FAILED (an EBS design threw: its own code, or its misuse of the
 * design interface). Such a run says nothing about the design's handoff: the command reports the
 * design as bad input (exit 2) with the event's one line naming the jar and class.
 */
final class DesignFailureWatch implements EventSink {
    private String message;

    /** The events {@link #accept} reads (the log builds no other for this sink). */
    @Override
    public boolean wants(String ev) {
        return "DESIGN_FAILED".equals(ev);
    }

    @Override
    public synchronized void accept(Event e) {
        if (message == null && "DESIGN_FAILED".equals(e.ev())) message = e.getString("message");
    }

    /** The first failure's line, or null. */
    synchronized String message() {
        return message;
    }

    /** Bad input if the run saw a design fail. */
    void check() {
        String m = message();
        if (m != null) throw new BadInputException(m);
    }
}
