package xensim.firmware.ebs;

import xensim.design.EbsDesign;
import xensim.design.EfiBootServices;
import xensim.design.XenBus;

/**
 * {@code naive-reset} — the bus's EBS notify resets the xenstore connection and the grant table
 * at once; the children coordinate nothing and have no EBS event (as for most real hardware).
 * It avoids memory services (allocation-free xenstore client) but not the race.
 */
public final class NaiveReset implements EbsDesign {
    @Override
    public String name() {
        return "naive-reset";
    }

    @Override
    public String summary() {
        return "the bus's EBS notify resets xenstore and the grant table at once; children do nothing";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return true;
    }

    @Override
    public void busStarted(XenBus bus) {
        bus.setExitBootEvent(bus.bootServices().createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_CALLBACK,
                (e, done) -> bus.reset(done), XenBus.DRIVER));
    }
}
