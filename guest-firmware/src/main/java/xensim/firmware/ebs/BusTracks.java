package xensim.firmware.ebs;

import java.util.List;
import xensim.abi.XenbusState;
import xensim.firmware.pvblk.XenPvBlkDxe;
import xensim.firmware.uefi.Tpl;
import xensim.firmware.uefi.UefiEvent;
import xensim.firmware.xenbus.XenBusDxe;
import xensim.firmware.xenbus.XenBusIo;
import xensim.firmware.xenbus.XenbusPoll;

/**
 * {@code bus-tracks} — Andrew Fish's idea: the bus tracks every child's shared allocations
 * (every GrantAccess goes through XENBUS_PROTOCOL); at EBS its notify closes each child device
 * itself (Closing, poll the backend to Closing, Closed, poll to Closed), ends each tracked grant,
 * then resets. Children register nothing.
 */
public final class BusTracks implements EbsStrategy {
    @Override
    public String name() {
        return "bus-tracks";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return true;
    }

    @Override
    public void busStarted(XenBusDxe bus) {
        bus.setExitBootEvent(bus.bs().createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK,
                (e, done) -> closeAll(bus, bus.children(), 0, () -> bus.reset(done)), XenBusDxe.NAME));
    }

    private static void closeAll(XenBusDxe bus, List<XenBusIo> kids, int i, Runnable then) {
        if (i == kids.size()) {
            then.run();
            return;
        }
        XenBusIo io = kids.get(i);
        var bs = bus.bs();
        Runnable next = () -> bs.cpu().run(() -> closeAll(bus, kids, i + 1, then));
        if (io.trackedRefs().isEmpty()) {
            next.run();
            return;
        }
        io.setState(0, XenbusState.Closing, e1 -> XenbusPoll.backendAtLeast(bs, io, XenbusState.Closing, ok1 ->
            io.setState(0, XenbusState.Closed, e2 -> XenbusPoll.backendAtLeast(bs, io, XenbusState.Closed, ok2 -> {
                for (int ref : io.trackedRefs()) io.grantEndAccess(ref);
                next.run();
            }))));
    }

    @Override
    public void childStarted(XenPvBlkDxe.Device dev) {}

    @Override
    public void childStopping(XenPvBlkDxe.Device dev) {}
}
