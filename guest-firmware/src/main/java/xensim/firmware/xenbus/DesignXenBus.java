package xensim.firmware.xenbus;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import xensim.design.EfiBootServices;
import xensim.design.EfiEvent;
import xensim.design.EfiHandle;
import xensim.design.Status;
import xensim.design.XenBus;
import xensim.design.XenBusProtocol;
import xensim.design.XenbusState;
import xensim.firmware.uefi.DesignBootServices;
import xensim.firmware.uefi.UefiEvent;

/** XenBusDxe and its children's XENBUS_PROTOCOL as EBS designs see them ({@link XenBus}, {@link XenBusProtocol}). */
final class DesignXenBus implements XenBus {
    private final XenBusDxe bus;

    DesignXenBus(XenBusDxe bus) {
        this.bus = bus;
    }

    @Override
    public EfiBootServices bootServices() {
        return bus.bs().forDesigns();
    }

    @Override
    public EfiHandle controller() {
        return bus.controller();
    }

    @Override
    public List<XenBusProtocol> children() {
        List<XenBusProtocol> out = new ArrayList<>();
        for (XenBusIo io : bus.children()) out.add(io.forDesigns());
        return List.copyOf(out);
    }

    @Override
    public void setExitBootEvent(EfiEvent event) {
        bus.setExitBootEvent((UefiEvent) event);
    }

    @Override
    public void reset(Runnable then) {
        bus.reset(then);
    }

    @Override
    public boolean resetDone() {
        return bus.resetDone();
    }

    @Override
    public int refCount() {
        return bus.refCount();
    }

    @Override
    public boolean handOffToOs() {
        return bus.handOffToOs();
    }

    /** One child's XENBUS_PROTOCOL. */
    static final class Protocol implements XenBusProtocol {
        private final XenBusIo io;

        Protocol(XenBusIo io) {
            this.io = io;
        }

        @Override
        public String type() {
            return io.type();
        }

        @Override
        public String node() {
            return io.node();
        }

        @Override
        public int deviceId() {
            return io.deviceId();
        }

        @Override
        public String backend() {
            return io.backend();
        }

        @Override
        public int backendId() {
            return io.backendId();
        }

        @Override
        public XenBus bus() {
            return io.bus().forDesigns();
        }

        @Override
        public void setState(XenbusState state, Consumer<String> k) {
            io.setState(0, xensim.abi.XenbusState.valueOf(state.name()), k);
        }

        @Override
        public void pollBackendState(XenbusState atLeast, Consumer<Boolean> k) {
            XenbusPoll.backendAtLeast(io.bus().bs(), io, xensim.abi.XenbusState.valueOf(atLeast.name()), k);
        }

        @Override
        public Status grantEndAccess(int ref) {
            return DesignBootServices.status(io.grantEndAccess(ref));
        }

        @Override
        public List<Integer> trackedRefs() {
            return io.trackedRefs();
        }

        @Override
        public void registerExitCallback(ExitCallback callback) {
            io.registerExitCallback(callback);
        }

        @Override
        public ExitCallback exitCallback() {
            return io.exitCallback();
        }

        @Override
        public void addReference() {
            io.addReference();
        }

        @Override
        public void removeReference(boolean handOffToOs, Runnable then) {
            io.removeReference(handOffToOs, then);
        }

        @Override
        public String toString() {
            return "XENBUS_PROTOCOL(" + io.node() + ")";
        }
    }
}
