package xensim.design;

import java.util.List;

/**
 * XenBusDxe as a design sees it: the bus's boot services, its controller handle, its children's
 * XENBUS_PROTOCOL instances, the bus-level reset, and the state the 2019 proposals add to the
 * bus (the reference count and HandOffToOs of Laszlo's proposal).
 */
public interface XenBus {
    /** The driver's name (an EBS event's owner, as edk2's log shows it). */
    String DRIVER = "XenBusDxe";

    EfiBootServices bootServices();

    /** The Xen platform PCI device the bus drives (for {@link EfiBootServices#disconnectController}). */
    EfiHandle controller();

    /** The children enumerated so far (device/&lt;type&gt;/&lt;id&gt;), each one's XENBUS_PROTOCOL; the same objects each time. */
    List<XenBusProtocol> children();

    /** Records the design's bus-level EBS event: the bus's Stop closes it (edk2's XenBusDxe Stop does CloseEvent). */
    void setExitBootEvent(EfiEvent event);

    /**
     * The bus-level reset, once (later calls just continue): XenStoreDeinit — the RECONNECTION
     * handshake when xenstored offers it, else OVMF's store-by-store 0xff reset of the ring — then
     * XenGrantTableDeinit. Logged as XENBUS_RESET; the RESET_ORDER invariant judges when it runs.
     */
    void reset(Runnable then);

    boolean resetDone();

    /** refcount: the count AddReference/RemoveReference keep. */
    int refCount();

    /** refcount: whether some RemoveReference(TRUE) was seen. */
    boolean handOffToOs();
}
