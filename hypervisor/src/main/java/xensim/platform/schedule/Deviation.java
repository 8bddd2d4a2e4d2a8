package xensim.platform.schedule;

/**
 * One step where a schedule ran candidate {@code index} (in FIFO order) instead of the FIFO head.
 * Written {@code step.index} in a {@code dev:} schedule.
 */
public record Deviation(long step, int index) implements Comparable<Deviation> {
    public Deviation {
        if (step < 0) throw new IllegalArgumentException("negative step " + step);
        if (index < 1) throw new IllegalArgumentException("a deviation's index is at least 1 (0 is the FIFO head)");
    }

    @Override
    public int compareTo(Deviation o) {
        return Long.compare(step, o.step);
    }

    @Override
    public String toString() {
        return step + "." + index;
    }
}
