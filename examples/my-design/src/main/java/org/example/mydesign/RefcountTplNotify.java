package org.example.mydesign;

import java.util.HashMap;
import java.util.Map;
import xensim.design.EbsDesign;
import xensim.design.EfiBootServices;
import xensim.design.EfiEvent;
import xensim.design.PvBlockDevice;
import xensim.design.XenBus;

/**
 * {@code refcount-tpl-notify}: Laszlo Ersek's refcount proposal with the children's EBS notify
 * functions at TPL_NOTIFY, as he suggested on edk2-devel, so edk2 runs every child before the
 * bus's TPL_CALLBACK notify whatever order the events were created in (edk2: highest TPL first).
 * A child's notify quiesces its device (drain, Closing/Closed by polling, end its grants) and
 * drops its reference with HandOffToOs; the last reference resets the bus; the bus's own notify
 * resets only if no child holds a reference and none handed off.
 */
public final class RefcountTplNotify implements EbsDesign {
    private final Map<PvBlockDevice, EfiEvent> childEvents = new HashMap<>();

    @Override
    public String name() {
        return "refcount-tpl-notify";
    }

    @Override
    public String summary() {
        return "refcount with the children's EBS notifies at TPL_NOTIFY: every child quiesces before the bus's notify";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return true; // Anthony PERARD's static-buffer xenstore client, as the other proposals assume
    }

    @Override
    public void busStarted(XenBus bus) {
        bus.setExitBootEvent(bus.bootServices().createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES,
                EfiBootServices.TPL_CALLBACK, (event, done) -> {
                    if (bus.refCount() > 0 || bus.handOffToOs()) done.run();
                    else bus.reset(done);
                }, XenBus.DRIVER));
    }

    @Override
    public void childStarted(PvBlockDevice dev) {
        dev.xenBus().addReference();
        EfiBootServices bs = dev.xenBus().bus().bootServices();
        childEvents.put(dev, bs.createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_NOTIFY,
                (event, done) -> dev.quiesceForHandoff(() -> dev.xenBus().removeReference(true, done)),
                PvBlockDevice.DRIVER + "/" + dev.xenBus().deviceId()));
    }

    @Override
    public void childStopping(PvBlockDevice dev) {
        EfiEvent e = childEvents.remove(dev);
        if (e != null) dev.xenBus().bus().bootServices().closeEvent(e);
        dev.xenBus().removeReference(false, () -> { });
    }
}
