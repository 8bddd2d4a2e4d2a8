package xensim.firmware.ebs;

import xensim.firmware.pvblk.XenPvBlkDxe;
import xensim.firmware.uefi.Tpl;
import xensim.firmware.uefi.UefiEvent;
import xensim.firmware.xenbus.XenBusDxe;

/**
 * {@code disconnect} — edk2 today: XenBusDxe's NotifyExitBoot (TPL_CALLBACK, registered in Start)
 * calls DisconnectController on the bus, which runs every child's Stop (XenPvBlockFrontShutdown)
 * and then the bus's own Stop (XenStoreDeinit, XenGrantTableDeinit), memory services and all.
 */
public final class Disconnect implements EbsStrategy {
    @Override
    public String name() {
        return "disconnect";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return false;
    }

    @Override
    public void busStarted(XenBusDxe bus) {
        var bs = bus.bs();
        bus.setExitBootEvent(bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK,
                (e, done) -> bs.disconnectController(bus.controller(), null, st -> done.run()), XenBusDxe.NAME));
    }

    @Override
    public void childStarted(XenPvBlkDxe.Device dev) {}

    @Override
    public void childStopping(XenPvBlkDxe.Device dev) {}
}
