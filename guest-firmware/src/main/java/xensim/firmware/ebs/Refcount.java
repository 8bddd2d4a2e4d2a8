package xensim.firmware.ebs;

import java.util.HashMap;
import java.util.Map;
import xensim.design.EbsDesign;
import xensim.design.EfiBootServices;
import xensim.design.EfiEvent;
import xensim.design.PvBlockDevice;
import xensim.design.XenBus;

/**
 * {@code refcount} — Laszlo Ersek's proposal: AddReference at the end of a successful child
 * Start, RemoveReference(FALSE) in Stop; bus and children each register an EBS notify per
 * controller; a child's notify makes the backend forget its memory, then RemoveReference(TRUE),
 * which resets the xenstore connection when the count reaches 0; the bus's notify does nothing
 * if the count is positive or HandOffToOs was seen, else resets.
 */
public final class Refcount implements EbsDesign {
    private final Map<PvBlockDevice, EfiEvent> childEvents = new HashMap<>();

    @Override
    public String name() {
        return "refcount";
    }

    @Override
    public String summary() {
        return "Laszlo Ersek's proposal: an EBS notify per child quiesces it and drops a reference; the last one resets the bus";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return true;
    }

    @Override
    public void busStarted(XenBus bus) {
        bus.setExitBootEvent(bus.bootServices().createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_CALLBACK, (e, done) -> {
            if (bus.refCount() > 0 || bus.handOffToOs()) done.run();
            else bus.reset(done);
        }, XenBus.DRIVER));
    }

    @Override
    public void childStarted(PvBlockDevice dev) {
        dev.xenBus().addReference();
        EfiBootServices bs = dev.xenBus().bus().bootServices();
        childEvents.put(dev, bs.createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_CALLBACK,
                (e, done) -> dev.quiesceForHandoff(() -> dev.xenBus().removeReference(true, done)),
                PvBlockDevice.DRIVER + "/" + dev.xenBus().deviceId()));
    }

    @Override
    public void childStopping(PvBlockDevice dev) {
        EfiEvent e = childEvents.remove(dev);
        if (e != null) dev.xenBus().bus().bootServices().closeEvent(e);
        dev.xenBus().removeReference(false, () -> { });
    }
}
