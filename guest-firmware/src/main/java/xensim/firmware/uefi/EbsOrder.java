package xensim.firmware.uefi;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The order in which ExitBootServices runs the notify functions of the ExitBootServices event
 * group (the {@code --ebs-order} setting). The UEFI specification leaves the order unspecified;
 * real firmware has one:
 * <ul>
 *   <li>{@code edk2} — the order edk2's queues give (MdeModulePkg/Core/Dxe/Event/Event.c:
 *       CoreNotifySignalList walks gEventSignalQueue, where CoreCreateEventInternal inserted each
 *       event at the head, and CoreNotifyEvent appends to gEventQueue[NotifyTpl]; CoreRestoreTpl
 *       dispatches the highest TPL first, each queue from its head): highest TPL first, within a
 *       TPL the latest-created event first. The default.</li>
 *   <li>{@code seeded} — a permutation drawn from the run's seed, TPLs ignored (a superset of what
 *       any firmware does, to explore).</li>
 *   <li>explicit indexes — a permutation of the group's notify functions in the order they were
 *       created (EBS_BEGIN {@code notifies} says how many), e.g. what {@code explore --orders all}
 *       prints for a failing order.</li>
 * </ul>
 */
public record EbsOrder(Kind kind, List<Integer> indexes) {
    public enum Kind { EDK2, SEEDED, EXPLICIT }

    public static final EbsOrder EDK2 = new EbsOrder(Kind.EDK2, null);
    public static final EbsOrder SEEDED = new EbsOrder(Kind.SEEDED, null);

    public EbsOrder {
        if ((kind == Kind.EXPLICIT) != (indexes != null)) throw new IllegalArgumentException("indexes go with an explicit order only");
        if (indexes != null) indexes = List.copyOf(indexes);
    }

    public static EbsOrder explicit(List<Integer> indexes) {
        return new EbsOrder(Kind.EXPLICIT, indexes);
    }

    /** {@code edk2}, {@code seeded} or comma-separated indexes; IllegalArgumentException otherwise. */
    public static EbsOrder parse(String s) {
        String t = s == null ? "" : s.trim();
        if (t.equals("edk2")) return EDK2;
        if (t.equals("seeded")) return SEEDED;
        List<Integer> out = new ArrayList<>();
        for (String part : t.split(",", -1)) {
            try {
                out.add(Integer.parseInt(part.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected edk2, seeded or indexes like 1,0 (got '" + s + "')");
            }
        }
        return explicit(out);
    }

    /** An explicit order that holds each of 0..n-1 once (n its length); edk2 and seeded are always fine. */
    public boolean isPermutation() {
        return kind != Kind.EXPLICIT || BootServices.isPermutation(indexes, indexes.size());
    }

    /** How flags, replay lines and events write it. */
    public String cliName() {
        return switch (kind) {
            case EDK2 -> "edk2";
            case SEEDED -> "seeded";
            case EXPLICIT -> indexes.stream().map(String::valueOf).collect(Collectors.joining(","));
        };
    }

    @Override
    public String toString() {
        return cliName();
    }
}
