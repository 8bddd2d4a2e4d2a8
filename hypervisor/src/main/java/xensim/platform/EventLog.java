package xensim.platform;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The one structured event API of a run. Components build an event with
 * {@code log.event(dom, comp, "GRANT_MAP").with("ref", 8).emit()}; the log stamps virtual time and a
 * run-global sequence number and hands it to every sink (the JSON-lines file through Logback, the
 * online checker, test recorders) in {@code seq} order.
 *
 * <p>An event no sink {@linkplain EventSink#wants wants} is not built: {@link #event} hands out a
 * builder that keeps nothing, and its {@code emit()} only takes the event's seq number. So every
 * event that reaches a sink carries the seq, time and fields it would carry if all were built
 * (events.jsonl is the same byte for byte), while a run without an events file (bench, explore's
 * seeds, the checker alone) skips most of the cost of the events only a file would keep.
 */
public final class EventLog implements AutoCloseable {
    private final List<EventSink> sinks = new CopyOnWriteArrayList<>();
    private volatile LongSupplier clock = () -> 0L;
    /** The last seq taken: incremented under the lock for a published event, atomically alone for a dropped one. */
    private final AtomicLong seq = new AtomicLong();
    private volatile boolean closed;
    private boolean publishing;
    private final java.util.ArrayDeque<Event> pending = new java.util.ArrayDeque<>();
    /**
     * Per event name: does any sink want it. A new sink brings a new map (read before the sinks,
     * so an answer computed from the old sinks can only land in the old map).
     */
    private volatile ConcurrentHashMap<String, Boolean> wanted = new ConcurrentHashMap<>();
    /** The builder of events no sink wants: it keeps nothing (stateless, so shared by every thread). */
    private final Builder dropped = new Builder(this);

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
        wanted = new ConcurrentHashMap<>();
        return this;
    }

    public Builder event(int dom, String comp, String ev) {
        if (ev != null && !wants(ev)) return dropped;
        return new Builder(this, dom, comp, ev);
    }

    /**
     * Whether any sink wants events named {@code ev}: an emitter whose fields cost something to
     * compute may skip computing them when not (it must still emit, for the seq number).
     */
    public boolean wants(String ev) {
        ConcurrentHashMap<String, Boolean> cache = wanted;
        Boolean w = cache.get(ev);
        if (w == null) {
            boolean any = false;
            for (EventSink s : sinks) {
                if (s.wants(ev)) {
                    any = true;
                    break;
                }
            }
            w = any;
            cache.put(ev, w);
        }
        return w;
    }

    /** Number of events emitted so far. */
    public long count() {
        return seq.get();
    }

    /**
     * An event no sink wants: it takes its seq number (as {@link #publish} would) and goes nowhere.
     * No lock: no sink sees it, so its place among concurrent emitters' events is only its number.
     */
    private void drop() {
        if (!closed) seq.incrementAndGet();
    }

    /**
     * Publishes in seq order to every sink. A sink may emit (the online checker emits VIOLATION):
     * such an event is queued and published after the current one has reached every sink, so all
     * sinks see the same order.
     */
    private synchronized Event publish(Builder b) {
        if (closed) return null;
        b.fields.seal();
        Event e = new Event(clock.getAsLong(), seq.incrementAndGet(), b.dom, b.comp, b.ev, b.fields);
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
        /** Null: an event no sink wants (the log's shared builder, which keeps nothing). */
        private final EventFields fields;

        private Builder(EventLog log, int dom, String comp, String ev) {
            this.log = log;
            this.dom = dom;
            this.comp = comp;
            this.ev = ev;
            this.fields = new EventFields();
        }

        private Builder(EventLog log) {
            this.log = log;
            this.dom = 0;
            this.comp = null;
            this.ev = null;
            this.fields = null;
        }

        public Builder with(String key, Object value) {
            if (fields != null) fields.append(key, value);
            return this;
        }

        public Builder with(String key, long value) {
            if (fields != null) fields.appendNumber(key, value);
            return this;
        }

        public Builder with(String key, boolean value) {
            if (fields != null) fields.append(key, value);
            return this;
        }

        /**
         * Emits the event; returns it (with its seq), or null once the log is closed or when no
         * sink wanted it (it took its seq number all the same).
         */
        public Event emit() {
            if (fields == null) {
                log.drop();
                return null;
            }
            return log.publish(this);
        }
    }
}
