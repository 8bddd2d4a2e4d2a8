package xensim.firmware.ebs;

import java.util.List;
import xensim.firmware.pvblk.XenPvBlkDxe;
import xensim.firmware.uefi.Tpl;
import xensim.firmware.uefi.UefiEvent;
import xensim.firmware.xenbus.XenBusDxe;
import xensim.firmware.xenbus.XenBusIo;

/**
 * {@code exit-callback} — Anthony PERARD's series: each child registers an exit callback with the
 * bus (RegisterExitCallback); the bus's only EBS notify calls them all (each: stop I/O, drain,
 * Closing, poll the backend to Closed, end grant access, no memory services), then resets the
 * xenstore connection and the grant table.
 */
public final class ExitCallback implements EbsStrategy {
    @Override
    public String name() {
        return "exit-callback";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return true;
    }

    @Override
    public void busStarted(XenBusDxe bus) {
        bus.setExitBootEvent(bus.bs().createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK,
                (e, done) -> callAll(bus, bus.children(), 0, () -> bus.reset(done)), XenBusDxe.NAME));
    }

    private static void callAll(XenBusDxe bus, List<XenBusIo> kids, int i, Runnable then) {
        if (i == kids.size()) {
            then.run();
            return;
        }
        XenBusIo.ExitCallback cb = kids.get(i).exitCallback();
        if (cb == null) callAll(bus, kids, i + 1, then);
        else cb.run(() -> bus.bs().cpu().run(() -> callAll(bus, kids, i + 1, then)));
    }

    @Override
    public void childStarted(XenPvBlkDxe.Device dev) {
        dev.xenBusIo().registerExitCallback(dev::quiesceForHandoff);
    }

    @Override
    public void childStopping(XenPvBlkDxe.Device dev) {
        dev.xenBusIo().registerExitCallback(null);
    }
}
