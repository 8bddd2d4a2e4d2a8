package xensim.platform;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Keeps every event in memory: for tests and short runs. */
public final class EventRecorder implements EventSink {
    private final List<Event> events = new ArrayList<>();

    @Override
    public synchronized void accept(Event event) {
        events.add(event);
    }

    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    public synchronized List<Event> named(String ev) {
        return events.stream().filter(e -> e.ev().equals(ev)).toList();
    }

    public synchronized List<Event> matching(Predicate<Event> p) {
        return events.stream().filter(p).toList();
    }

    public synchronized String jsonLines() {
        StringBuilder sb = new StringBuilder();
        for (Event e : events) sb.append(e.json()).append('\n');
        return sb.toString();
    }
}
