package xensim.firmware.ebs;

import java.util.HashMap;
import java.util.Map;
import xensim.firmware.pvblk.XenPvBlkDxe;
import xensim.firmware.uefi.Tpl;
import xensim.firmware.uefi.UefiEvent;
import xensim.firmware.xenbus.XenBusDxe;

/**
 * {@code refcount} — Laszlo Ersek's proposal: AddReference at the end of a successful child
 * Start, RemoveReference(FALSE) in Stop; bus and children each register an EBS notify per
 * controller; a child's notify makes the backend forget its memory, then RemoveReference(TRUE),
 * which resets the xenstore connection when the count reaches 0; the bus's notify does nothing
 * if the count is positive or HandOffToOs was seen, else resets.
 */
public final class Refcount implements EbsStrategy {
    private final Map<XenPvBlkDxe.Device, UefiEvent> childEvents = new HashMap<>();

    @Override
    public String name() {
        return "refcount";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return true;
    }

    @Override
    public void busStarted(XenBusDxe bus) {
        bus.setExitBootEvent(bus.bs().createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, (e, done) -> {
            if (bus.refCount() > 0 || bus.handOffToOs()) done.run();
            else bus.reset(done);
        }, XenBusDxe.NAME));
    }

    @Override
    public void childStarted(XenPvBlkDxe.Device dev) {
        dev.xenBusIo().addReference();
        var bs = dev.xenBusIo().bus().bs();
        childEvents.put(dev, bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK,
                (e, done) -> dev.quiesceForHandoff(() -> dev.xenBusIo().removeReference(true, done)),
                XenPvBlkDxe.NAME + "/" + dev.xenBusIo().deviceId()));
    }

    @Override
    public void childStopping(XenPvBlkDxe.Device dev) {
        UefiEvent e = childEvents.remove(dev);
        if (e != null) dev.xenBusIo().bus().bs().closeEvent(e);
        dev.xenBusIo().removeReference(false, () -> { });
    }
}
