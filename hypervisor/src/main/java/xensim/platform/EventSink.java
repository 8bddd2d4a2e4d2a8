package xensim.platform;

import java.util.Set;

/** Receives every event of a run, in {@code seq} order, on the emitting thread. */
@FunctionalInterface
public interface EventSink {
    void accept(Event event);

    /**
     * Whether this sink wants events named {@code ev} at all. When no sink of a log wants an event,
     * the log does not build it (its seq number is still taken, so every event that does reach a
     * sink carries the same seq, t and fields as it would otherwise). The answer must depend on
     * {@code ev} alone and stay the same for the sink's life (the log caches it per name). The
     * default, every event, is right for any sink that does not list what it reads.
     */
    default boolean wants(String ev) {
        return true;
    }

    /** Flushes and releases resources; called once when the run's log closes. */
    default void close() {}

    /** {@code sink}, declared to want only the events named in {@code evs} (and given only those). */
    static EventSink only(Set<String> evs, EventSink sink) {
        Set<String> names = Set.copyOf(evs);
        return new EventSink() {
            @Override
            public void accept(Event event) {
                if (names.contains(event.ev())) sink.accept(event);
            }

            @Override
            public boolean wants(String ev) {
                return names.contains(ev);
            }

            @Override
            public void close() {
                sink.close();
            }
        };
    }
}
