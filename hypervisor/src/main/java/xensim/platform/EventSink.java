package xensim.platform;

/** Receives every event of a run, in {@code seq} order, on the emitting thread. */
@FunctionalInterface
public interface EventSink {
    void accept(Event event);

    /** Flushes and releases resources; called once when the run's log closes. */
    default void close() {}
}
