package xensim.firmware.ebs;

import xensim.firmware.pvblk.XenPvBlkDxe;
import xensim.firmware.xenbus.XenBusDxe;

/**
 * One ExitBootServices design (DESIGN.md §3). A design acts only through boot services and
 * XENBUS_PROTOCOL members: it decides which EBS notify functions exist (bus, children), what
 * they do, and whether the xenstore client it needs is allocation-free.
 */
public interface EbsStrategy {

    /** The name users select with {@code --strategy}. */
    String name();

    /** Whether the design needs (and assumes) an xenstore client that never allocates. */
    boolean allocationFreeXenStore();

    /** XenBusDxe's Start has set up the bus (grant table, xenstore), before enumerating children. */
    void busStarted(XenBusDxe bus);

    /** XenPvBlkDxe's Start succeeded for a device. */
    void childStarted(XenPvBlkDxe.Device dev);

    /** XenPvBlkDxe's Stop is about to shut a device down. */
    void childStopping(XenPvBlkDxe.Device dev);
}
