package xensim.firmware.ebs;

import xensim.design.EbsDesign;
import xensim.design.EfiBootServices;
import xensim.design.XenBus;

/**
 * {@code disconnect} — edk2 today: XenBusDxe's NotifyExitBoot (TPL_CALLBACK, registered in Start)
 * calls DisconnectController on the bus, which runs every child's Stop (XenPvBlockFrontShutdown)
 * and then the bus's own Stop (XenStoreDeinit, XenGrantTableDeinit), memory services and all.
 */
public final class Disconnect implements EbsDesign {
    @Override
    public String name() {
        return "disconnect";
    }

    @Override
    public String summary() {
        return "edk2 today: the bus's EBS notify calls DisconnectController (every child's Stop, then XenStoreDeinit, XenGrantTableDeinit)";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return false;
    }

    @Override
    public void busStarted(XenBus bus) {
        EfiBootServices bs = bus.bootServices();
        bus.setExitBootEvent(bs.createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_CALLBACK,
                (e, done) -> bs.disconnectController(bus.controller(), st -> done.run()), XenBus.DRIVER));
    }
}
