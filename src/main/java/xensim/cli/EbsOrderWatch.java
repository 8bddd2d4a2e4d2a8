package xensim.cli;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import xensim.platform.Event;
import xensim.platform.EventSink;

/**
 * Watches one run's ExitBootServices: how many EBS notify functions each guest's firmware had
 * (EBS_BEGIN's {@code notifies}, what an explicit {@code --ebs-order} must permute), and whether an
 * explicit order did not fit them (EBS_ORDER_MISMATCH: that guest's firmware parked). A run whose
 * order did not fit was not the run asked for: the command reports the order as bad input.
 */
final class EbsOrderWatch implements EventSink {

    /**
     * What a run showed: notify functions per guest domain (those that reached EBS), the order
     * edk2's own queues give them (EBS_BEGIN {@code edk2Order}), and the first misfit, if any. A
     * loader that retries ExitBootServices logs EBS_BEGIN again: the last one counts (the call
     * whose ExitBootServices group runs).
     */
    record Seen(Map<Integer, Integer> notifies, Map<Integer, List<Integer>> edk2Orders, Mismatch mismatch) {
        /** edk2's order of the first guest that reached EBS, or null. */
        List<Integer> edk2Order() {
            return edk2Orders.isEmpty() ? null : edk2Orders.values().iterator().next();
        }

        /** The notify functions of the first guest (lowest domain) that reached EBS, or -1 when none did. */
        int first() {
            return notifies.isEmpty() ? -1 : notifies.values().iterator().next();
        }

        boolean reachedEbs() {
            return !notifies.isEmpty();
        }
    }

    /** An explicit order that did not permute domain {@code dom}'s {@code notifies} EBS notify functions. */
    record Mismatch(int dom, int notifies) {}

    private final Map<Integer, Integer> notifies = new TreeMap<>();
    private final Map<Integer, List<Integer>> edk2Orders = new TreeMap<>();
    private Mismatch mismatch;

    /** The events {@link #accept} reads (the log builds no other for this sink). */
    @Override
    public boolean wants(String ev) {
        return switch (ev) {
            case "EBS_BEGIN", "EBS_ORDER_MISMATCH" -> true;
            default -> false;
        };
    }

    @Override
    public synchronized void accept(Event e) {
        switch (e.ev()) {
            case "EBS_BEGIN" -> {
                if (e.get("notifies") != null) notifies.put(e.dom(), (int) e.getLong("notifies"));
                if (e.get("edk2Order") != null) {
                    String o = e.getString("edk2Order");
                    edk2Orders.put(e.dom(), o.isEmpty() ? List.of() : java.util.Arrays.stream(o.split(",")).map(Integer::valueOf).toList());
                }
            }
            case "EBS_ORDER_MISMATCH" -> {
                if (mismatch == null) mismatch = new Mismatch(e.dom(), (int) e.getLong("notifies"));
            }
            default -> { }
        }
    }

    synchronized Seen seen() {
        return new Seen(java.util.Collections.unmodifiableMap(new TreeMap<>(notifies)),
                java.util.Collections.unmodifiableMap(new TreeMap<>(edk2Orders)), mismatch);
    }

    /** The one line that says why {@code order} does not fit, and what would. */
    static String message(List<Integer> order, Mismatch m) {
        return "--ebs-order " + join(order) + " has " + order.size() + (order.size() == 1 ? " index" : " indices") + ", but dom" + m.dom()
                + "'s firmware has " + m.notifies() + " EBS notify functions at ExitBootServices: give a permutation of "
                + (m.notifies() == 0 ? "nothing (leave --ebs-order out)" : "0.." + (m.notifies() - 1) + " (" + m.notifies() + " indices)");
    }

    static String join(List<Integer> order) {
        return order.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
