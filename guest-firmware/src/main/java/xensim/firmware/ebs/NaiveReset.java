package xensim.firmware.ebs;

import xensim.firmware.pvblk.XenPvBlkDxe;
import xensim.firmware.uefi.Tpl;
import xensim.firmware.uefi.UefiEvent;
import xensim.firmware.xenbus.XenBusDxe;

/**
 * {@code naive-reset} — the bus's EBS notify resets the xenstore connection and the grant table
 * at once; the children coordinate nothing and have no EBS event (as for most real hardware).
 * It avoids memory services (allocation-free xenstore client) but not the race.
 */
public final class NaiveReset implements EbsStrategy {
    @Override
    public String name() {
        return "naive-reset";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return true;
    }

    @Override
    public void busStarted(XenBusDxe bus) {
        bus.setExitBootEvent(bus.bs().createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK,
                (e, done) -> bus.reset(done), XenBusDxe.NAME));
    }

    @Override
    public void childStarted(XenPvBlkDxe.Device dev) {}

    @Override
    public void childStopping(XenPvBlkDxe.Device dev) {}
}
