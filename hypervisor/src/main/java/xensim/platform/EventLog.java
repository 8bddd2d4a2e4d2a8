package xensim.platform;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * The one structured event API of a run. Components build an event with
 * {@code log.event(dom, comp, "GRANT_MAP").with("ref", 8).emit()}; the log stamps virtual time and a
 * run-global sequence number and hands it to every sink (the JSON-lines file through Logback, the
 * online checker, test recorders) in {@code seq} order.
 */
public final class EventLog implements AutoCloseable {
    private final List<EventSink> sinks = new CopyOnWriteArrayList<>();
    private volatile LongSupplier clock = () -> 0L;
    private long seq;
    private boolean closed;
    private boolean publishing;
    private final java.util.ArrayDeque<Event> pending = new java.util.ArrayDeque<>();

    public EventLog(EventSink... sinks) {
        this.sinks.addAll(List.of(sinks));
    }

    /** The time the next event would carry (the seam's clock). */
    public long nowNanos() {
        return clock.getAsLong();
    }

    /** The seam attaches its clock; events carry that time. */
    void attachClock(LongSupplier clock) {
        this.clock = clock;
    }

    public EventLog addSink(EventSink sink) {
        sinks.add(sink);
        return this;
    }

    public Builder event(int dom, String comp, String ev) {
        return new Builder(this, dom, comp, ev);
    }

    /** Number of events emitted so far. */
    public synchronized long count() {
        return seq;
    }

    /**
     * Publishes in seq order to every sink. A sink may emit (the online checker emits VIOLATION):
     * such an event is queued and published after the current one has reached every sink, so all
     * sinks see the same order.
     */
    private synchronized Event publish(Builder b) {
        if (closed) return null;
        b.fields.seal();
        Event e = new Event(clock.getAsLong(), ++seq, b.dom, b.comp, b.ev, b.fields);
        if (publishing) {
            pending.add(e);
            return e;
        }
        publishing = true;
        try {
            for (EventSink s : sinks) s.accept(e);
            Event next;
            while ((next = pending.poll()) != null) {
                for (EventSink s : sinks) s.accept(next);
            }
        } finally {
            publishing = false;
        }
        return e;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (EventSink s : sinks) s.close();
    }

    /**
     * An event under construction; fields keep insertion order. Field names are string constants
     * (a repeated name replaces the value in the first place, as a map's put).
     */
    public static final class Builder {
        private final EventLog log;
        private final int dom;
        private final String comp;
        private final String ev;
        private final EventFields fields = new EventFields();

        private Builder(EventLog log, int dom, String comp, String ev) {
            this.log = log;
            this.dom = dom;
            this.comp = comp;
            this.ev = ev;
        }

        public Builder with(String key, Object value) {
            fields.append(key, value);
            return this;
        }

        public Builder with(String key, long value) {
            fields.appendNumber(key, value);
            return this;
        }

        public Builder with(String key, boolean value) {
            fields.append(key, value);
            return this;
        }

        /** Emits the event; returns it (with its seq), or null once the log is closed. */
        public Event emit() {
            return log.publish(this);
        }
    }
}
