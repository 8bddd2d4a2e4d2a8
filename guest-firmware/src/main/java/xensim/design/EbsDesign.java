package xensim.design;

/**
 * One ExitBootServices design: which EBS notify functions the bus and its children register, what
 * they do, and which xenstore client the design assumes. The six built-in designs implement it
 * exactly as a user's design does, and are found the same way: {@link java.util.ServiceLoader}
 * reads {@code META-INF/services/xensim.design.EbsDesign} (the firmware's own jar, or a jar given
 * with {@code --design-jar}).
 *
 * <p>Life cycle: the simulator makes one instance per guest (a public no-argument constructor),
 * so a design may keep per-guest state in fields. It is called on the guest's one firmware CPU
 * only: never from another thread, never two calls at once. Every method and every function a
 * design hands to the firmware (notify functions, exit callbacks, continuations) runs in
 * continuation style: it must not block, and a function given a {@code done}/{@code then} must
 * call it exactly once when it is finished. A design may use only this package's views: no wall
 * clock, no threads, no sleeping, no randomness of its own (the run must replay from its seed).
 * An exception thrown by a design is bad input: the run stops and the command exits 2 naming the
 * design's jar and class.
 */
public interface EbsDesign {

    /** The name users select with {@code --strategy} (lower case, digits and '-'; unique among all designs). */
    String name();

    /** One line saying what the design does at ExitBootServices (shown by {@code --help} and the report). */
    default String summary() {
        return "";
    }

    /**
     * Whether the design needs (and assumes) a xenstore client that never allocates (static
     * buffers, as Anthony PERARD's series reworked it); false runs edk2's current allocating
     * client, whose every request calls AllocatePool/FreePool — inside an EBS notify that is
     * ALLOC_IN_EBS.
     */
    boolean allocationFreeXenStore();

    /**
     * XenBusDxe's Start has set up the bus (grant table, xenstore connection) and is about to
     * enumerate its children: the place to create the bus's EBS event
     * ({@link XenBus#setExitBootEvent}).
     */
    void busStarted(XenBus bus);

    /** XenPvBlkDxe's Start succeeded for a device (its ring is connected to the backend). */
    default void childStarted(PvBlockDevice device) {}

    /** XenPvBlkDxe's Stop is about to shut the device down (DisconnectController before EBS, or a design's own). */
    default void childStopping(PvBlockDevice device) {}
}
