package xensim.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a deterministic run's executor steps are: each step is one actor's mailbox run (named by the
 * actor, guest numbers folded: {@code blkback-N-N}, {@code domN}) or one timed delivery (a message
 * the seam delivers after a virtual delay: the step that puts it in the mailbox), named by its
 * target and message class. Fed by
 * {@link xensim.platform.VirtualTimeExecutor#observeSteps} on the simulation thread; the counts say
 * which component a cheaper lifecycle would have to take steps from.
 *
 * <p>Not thread-safe: one simulation thread feeds it.
 */
public final class StepCensus implements java.util.function.Consumer<Runnable> {
    /** One kind of step and how many there were. */
    public record Row(String kind, long steps) {}

    private final Map<Class<?>, String> kindOfTask = new HashMap<>();
    private final Map<Object, String> kindOfActor = new java.util.IdentityHashMap<>();
    private final Map<Object, Map<Class<?>, String>> kindOfDelivery = new HashMap<>();
    private final Map<String, long[]> counts = new HashMap<>();
    private long total;

    @Override
    public void accept(Runnable step) {
        String kind;
        if (step instanceof xensim.platform.DeterministicSeam.TimedDelivery<?> d) {
            kind = kindOfDelivery.computeIfAbsent(d.target(), t -> new HashMap<>())
                    .computeIfAbsent(d.message().getClass(), c -> "timed delivery to " + fold(d.target().path().name()) + ": " + messageName(c));
        } else if (step instanceof akka.dispatch.Mailbox m && m.actor() != null) {
            kind = kindOfActor.computeIfAbsent(m.actor(), a -> "actor " + fold(m.actor().self().path().name()));
        } else {
            kind = kindOfTask.computeIfAbsent(step.getClass(), StepCensus::taskKind);
        }
        counts.computeIfAbsent(kind, k -> new long[1])[0]++;
        total++;
    }

    /** The kinds, most steps first. */
    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        counts.forEach((k, v) -> rows.add(new Row(k, v[0])));
        rows.sort((a, b) -> a.steps() != b.steps() ? Long.compare(b.steps(), a.steps()) : a.kind().compareTo(b.kind()));
        return rows;
    }

    public long total() {
        return total;
    }

    /** An actor name with its numbers folded ({@code blkback-3-51} → {@code blkback-N-N}). */
    static String fold(String name) {
        return name.replaceAll("[0-9]+", "N");
    }

    /** A message class as its protocol names it ({@code GuestMsg.Alarm}). */
    static String messageName(Class<?> c) {
        String n = c.getName();
        return n.substring(n.lastIndexOf('.') + 1).replace('$', '.');
    }

    private static String taskKind(Class<?> c) {
        String n = c.getName();
        int lambda = n.indexOf("$$Lambda");
        return "task " + (lambda >= 0 ? n.substring(0, lambda) : n);
    }
}
