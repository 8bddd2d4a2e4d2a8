package xensim.planted;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import xensim.abi.XenbusState;
import xensim.firmware.ebs.EbsStrategy;
import xensim.firmware.ebs.Strategies;
import xensim.firmware.pvblk.XenPvBlkDxe;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.EfiMemoryType;
import xensim.firmware.uefi.Tpl;
import xensim.firmware.uefi.UefiEvent;
import xensim.firmware.xenbus.XenBusDxe;
import xensim.firmware.xenbus.XenBusIo;
import xensim.firmware.xenbus.XenbusPoll;

/**
 * Planted bugs: copies of the safe designs ({@code refcount}, {@code exit-callback}) through the
 * same {@link EbsStrategy} interface, each with one mistake of a class firmware authors make. Test
 * fixtures for schedule exploration and shrinking; {@link #register()} makes them selectable by
 * name ({@code planted-...}) in runs, explore and shrink.
 */
public final class PlantedDesigns {
    private PlantedDesigns() {}

    /** The planted designs by name, with the bug class each plants. */
    public static final Map<String, String> BUGS = new java.util.LinkedHashMap<>();

    static {
        BUGS.put("planted-early-reset", "a child resets the bus before its backend forgot its ring");
        BUGS.put("planted-end-in-flight", "ending grant access while a request is in flight, ignoring the failure");
        BUGS.put("planted-state-too-early", "waiting for a state one step too early (Closing for Closed)");
        BUGS.put("planted-timer-notify", "a notify that relies on a timer after the timer stopped");
        BUGS.put("planted-free-in-ebs", "freeing memory during EBS");
    }

    public static void register() {
        Strategies.register("planted-early-reset", EarlyReset::new);
        Strategies.register("planted-end-in-flight", EndInFlight::new);
        Strategies.register("planted-state-too-early", StateTooEarly::new);
        Strategies.register("planted-timer-notify", TimerNotify::new);
        Strategies.register("planted-free-in-ebs", FreeInEbs::new);
    }

    /** refcount's shape: a bus notify that resets when the count is 0, one notify per child. */
    abstract static class RefcountLike implements EbsStrategy {
        private final Map<XenPvBlkDxe.Device, UefiEvent> childEvents = new HashMap<>();

        @Override
        public boolean allocationFreeXenStore() {
            return true;
        }

        @Override
        public void busStarted(XenBusDxe bus) {
            bus.setExitBootEvent(bus.bs().createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, (e, done) -> {
                if (bus.refCount() > 0 || bus.handOffToOs()) done.run();
                else bus.reset(done);
            }, XenBusDxe.NAME));
        }

        /** The child's EBS notify: the safe one quiesces, then RemoveReference(TRUE). */
        abstract void childNotify(XenPvBlkDxe.Device dev, Runnable done);

        @Override
        public void childStarted(XenPvBlkDxe.Device dev) {
            dev.xenBusIo().addReference();
            BootServices bs = dev.xenBusIo().bus().bs();
            childEvents.put(dev, bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK,
                    (e, done) -> childNotify(dev, done), XenPvBlkDxe.NAME + "/" + dev.xenBusIo().deviceId()));
        }

        @Override
        public void childStopping(XenPvBlkDxe.Device dev) {
            UefiEvent e = childEvents.remove(dev);
            if (e != null) dev.xenBusIo().bus().bs().closeEvent(e);
            dev.xenBusIo().removeReference(false, () -> { });
        }
    }

    /** Bug: RemoveReference(TRUE) — which resets the bus at count 0 — before the quiesce. */
    static final class EarlyReset extends RefcountLike {
        @Override
        public String name() {
            return "planted-early-reset";
        }

        @Override
        void childNotify(XenPvBlkDxe.Device dev, Runnable done) {
            dev.xenBusIo().removeReference(true, () -> dev.quiesceForHandoff(done));
        }
    }

    /** Bug: the safe quiesce, but a page is freed first (FreePages in an EBS notify). */
    static final class FreeInEbs extends RefcountLike {
        private final Map<XenPvBlkDxe.Device, Long> scratch = new HashMap<>();

        @Override
        public String name() {
            return "planted-free-in-ebs";
        }

        @Override
        public void childStarted(XenPvBlkDxe.Device dev) {
            scratch.put(dev, dev.xenBusIo().bus().bs().allocatePages(EfiMemoryType.EfiBootServicesData, 1));
            super.childStarted(dev);
        }

        @Override
        void childNotify(XenPvBlkDxe.Device dev, Runnable done) {
            Long gfn = scratch.remove(dev);
            if (gfn != null && gfn >= 0) dev.xenBusIo().bus().bs().freePages(gfn, 1);
            dev.quiesceForHandoff(() -> dev.xenBusIo().removeReference(true, done));
        }
    }

    /**
     * Bug: waits for the in-flight requests to complete as its poll timer would see them — but
     * CoreExitBootServices stopped the timer; with nothing in flight it passes, with a request in
     * flight the notify never returns.
     */
    static final class TimerNotify extends RefcountLike {
        @Override
        public String name() {
            return "planted-timer-notify";
        }

        @Override
        void childNotify(XenPvBlkDxe.Device dev, Runnable done) {
            BootServices bs = dev.xenBusIo().bus().bs();
            bs.cpu().waitUntil("planted: completions from the poll timer", () -> dev.inFlight() == 0 || bs.timerRunning(),
                    () -> dev.quiesceForHandoff(() -> dev.xenBusIo().removeReference(true, done)));
        }
    }

    /** exit-callback's shape: the bus notify calls every child's exit callback, then resets. */
    abstract static class ExitCallbackLike implements EbsStrategy {
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

        abstract void exit(XenPvBlkDxe.Device dev, Runnable then);

        @Override
        public void childStarted(XenPvBlkDxe.Device dev) {
            dev.xenBusIo().registerExitCallback(then -> exit(dev, then));
        }

        @Override
        public void childStopping(XenPvBlkDxe.Device dev) {
            dev.xenBusIo().registerExitCallback(null);
        }
    }

    /** Bug: no drain, no Closing/Closed: end the ring's grant (failing while mapped, ignored), close the port. */
    static final class EndInFlight extends ExitCallbackLike {
        @Override
        public String name() {
            return "planted-end-in-flight";
        }

        @Override
        void exit(XenPvBlkDxe.Device dev, Runnable then) {
            XenBusIo io = dev.xenBusIo();
            if (dev.ringRef() >= 0) io.grantEndAccess(dev.ringRef()); // the failure is ignored
            if (dev.port() >= 0) io.eventChannelClose(dev.port(), then); else then.run();
        }
    }

    /** Bug: drain, Closing, Closed — but waits for the backend to reach Closing, not Closed, before ending the grant. */
    static final class StateTooEarly extends ExitCallbackLike {
        @Override
        public String name() {
            return "planted-state-too-early";
        }

        @Override
        void exit(XenPvBlkDxe.Device dev, Runnable then) {
            XenBusIo io = dev.xenBusIo();
            BootServices bs = io.bus().bs();
            dev.sync(() -> io.setState(0, XenbusState.Closing, e1 -> XenbusPoll.backendAtLeast(bs, io, XenbusState.Closing, ok1 ->
                    io.setState(0, XenbusState.Closed, e2 -> XenbusPoll.backendAtLeast(bs, io, XenbusState.Closing, ok2 -> {
                        if (dev.ringRef() >= 0) io.grantEndAccess(dev.ringRef());
                        if (dev.port() >= 0) io.eventChannelClose(dev.port(), then); else then.run();
                    })))));
        }
    }
}
