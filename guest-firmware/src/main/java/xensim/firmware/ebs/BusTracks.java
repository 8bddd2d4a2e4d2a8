package xensim.firmware.ebs;

import java.util.List;
import xensim.design.EbsDesign;
import xensim.design.EfiBootServices;
import xensim.design.XenBus;
import xensim.design.XenBusProtocol;
import xensim.design.XenbusState;

/**
 * {@code bus-tracks} — Andrew Fish's idea: the bus tracks every child's shared allocations
 * (every GrantAccess goes through XENBUS_PROTOCOL); at EBS its notify closes each child device
 * itself (Closing, poll the backend to Closing, Closed, poll to Closed), ends each tracked grant,
 * then resets. Children register nothing.
 */
public final class BusTracks implements EbsDesign {
    @Override
    public String name() {
        return "bus-tracks";
    }

    @Override
    public String summary() {
        return "Andrew Fish's idea: the bus closes each child and ends the grants it tracked, then resets";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return true;
    }

    @Override
    public void busStarted(XenBus bus) {
        bus.setExitBootEvent(bus.bootServices().createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_CALLBACK,
                (e, done) -> closeAll(bus, bus.children(), 0, () -> bus.reset(done)), XenBus.DRIVER));
    }

    private static void closeAll(XenBus bus, List<XenBusProtocol> kids, int i, Runnable then) {
        if (i == kids.size()) {
            then.run();
            return;
        }
        XenBusProtocol io = kids.get(i);
        Runnable next = () -> bus.bootServices().later(() -> closeAll(bus, kids, i + 1, then));
        if (io.trackedRefs().isEmpty()) {
            next.run();
            return;
        }
        io.setState(XenbusState.Closing, e1 -> io.pollBackendState(XenbusState.Closing, ok1 ->
            io.setState(XenbusState.Closed, e2 -> io.pollBackendState(XenbusState.Closed, ok2 -> {
                for (int ref : io.trackedRefs()) io.grantEndAccess(ref);
                next.run();
            }))));
    }
}
