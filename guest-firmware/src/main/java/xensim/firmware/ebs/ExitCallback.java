package xensim.firmware.ebs;

import java.util.List;
import xensim.design.EbsDesign;
import xensim.design.EfiBootServices;
import xensim.design.PvBlockDevice;
import xensim.design.XenBus;
import xensim.design.XenBusProtocol;

/**
 * {@code exit-callback} — Anthony PERARD's series: each child registers an exit callback with the
 * bus (RegisterExitCallback); the bus's only EBS notify calls them all (each: stop I/O, drain,
 * Closing, poll the backend to Closed, end grant access, no memory services), then resets the
 * xenstore connection and the grant table.
 */
public final class ExitCallback implements EbsDesign {
    @Override
    public String name() {
        return "exit-callback";
    }

    @Override
    public String summary() {
        return "Anthony PERARD's series: the bus's EBS notify calls each child's exit callback (quiesce), then resets";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return true;
    }

    @Override
    public void busStarted(XenBus bus) {
        bus.setExitBootEvent(bus.bootServices().createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_CALLBACK,
                (e, done) -> callAll(bus, bus.children(), 0, () -> bus.reset(done)), XenBus.DRIVER));
    }

    private static void callAll(XenBus bus, List<XenBusProtocol> kids, int i, Runnable then) {
        if (i == kids.size()) {
            then.run();
            return;
        }
        XenBusProtocol.ExitCallback cb = kids.get(i).exitCallback();
        if (cb == null) callAll(bus, kids, i + 1, then);
        else cb.run(() -> bus.bootServices().later(() -> callAll(bus, kids, i + 1, then)));
    }

    @Override
    public void childStarted(PvBlockDevice dev) {
        dev.xenBus().registerExitCallback(dev::quiesceForHandoff);
    }

    @Override
    public void childStopping(PvBlockDevice dev) {
        dev.xenBus().registerExitCallback(null);
    }
}
