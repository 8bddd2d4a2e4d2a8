package xensim.planted;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import xensim.design.EbsDesign;
import xensim.design.EfiBootServices;
import xensim.design.EfiEvent;
import xensim.design.PvBlockDevice;
import xensim.design.XenBus;
import xensim.design.XenBusProtocol;
import xensim.design.XenbusState;
import xensim.firmware.DesignCatalog;

/**
 * Planted bugs: copies of the safe designs ({@code refcount}, {@code exit-callback}) through the
 * same design interface users implement ({@link EbsDesign}), each with one mistake of a class
 * firmware authors make. Test fixtures for schedule exploration and shrinking; {@link #register()}
 * makes them selectable by name ({@code planted-...}) in runs, explore and shrink, never in
 * {@code all}.
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
        DesignCatalog.register(EarlyReset::new);
        DesignCatalog.register(EndInFlight::new);
        DesignCatalog.register(StateTooEarly::new);
        DesignCatalog.register(TimerNotify::new);
        DesignCatalog.register(FreeInEbs::new);
    }

    /** refcount's shape: a bus notify that resets when the count is 0, one notify per child. */
    abstract static class RefcountLike implements EbsDesign {
        private final Map<PvBlockDevice, EfiEvent> childEvents = new HashMap<>();

        @Override
        public boolean allocationFreeXenStore() {
            return true;
        }

        @Override
        public void busStarted(XenBus bus) {
            bus.setExitBootEvent(bus.bootServices().createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_CALLBACK,
                    (e, done) -> {
                        if (bus.refCount() > 0 || bus.handOffToOs()) done.run();
                        else bus.reset(done);
                    }, XenBus.DRIVER));
        }

        /** The child's EBS notify: the safe one quiesces, then RemoveReference(TRUE). */
        abstract void childNotify(PvBlockDevice dev, Runnable done);

        @Override
        public void childStarted(PvBlockDevice dev) {
            dev.xenBus().addReference();
            EfiBootServices bs = dev.xenBus().bus().bootServices();
            childEvents.put(dev, bs.createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_CALLBACK,
                    (e, done) -> childNotify(dev, done), PvBlockDevice.DRIVER + "/" + dev.xenBus().deviceId()));
        }

        @Override
        public void childStopping(PvBlockDevice dev) {
            EfiEvent e = childEvents.remove(dev);
            if (e != null) dev.xenBus().bus().bootServices().closeEvent(e);
            dev.xenBus().removeReference(false, () -> { });
        }
    }

    /** Bug: RemoveReference(TRUE) — which resets the bus at count 0 — before the quiesce. */
    static final class EarlyReset extends RefcountLike {
        @Override
        public String name() {
            return "planted-early-reset";
        }

        @Override
        void childNotify(PvBlockDevice dev, Runnable done) {
            dev.xenBus().removeReference(true, () -> dev.quiesceForHandoff(done));
        }
    }

    /** Bug: the safe quiesce, but a page is freed first (FreePages in an EBS notify). */
    static final class FreeInEbs extends RefcountLike {
        private final Map<PvBlockDevice, Long> scratch = new HashMap<>();

        @Override
        public String name() {
            return "planted-free-in-ebs";
        }

        @Override
        public void childStarted(PvBlockDevice dev) {
            scratch.put(dev, dev.xenBus().bus().bootServices().allocatePages(1));
            super.childStarted(dev);
        }

        @Override
        void childNotify(PvBlockDevice dev, Runnable done) {
            Long gfn = scratch.remove(dev);
            if (gfn != null && gfn >= 0) dev.xenBus().bus().bootServices().freePages(gfn, 1);
            dev.quiesceForHandoff(() -> dev.xenBus().removeReference(true, done));
        }
    }

    /**
     * Bug: the child's notify waits for its in-flight requests on a poll timer of its own (an
     * EVT_TIMER event created at Start, armed periodic in the notify) — but CoreExitBootServices
     * turned the timer off before the notifies ran, so the timer never fires: with nothing in flight
     * the notify goes straight on, with a request in flight ExitBootServices never returns.
     */
    static final class TimerNotify extends RefcountLike {
        /** The poll period (OVMF's XenPvBlkDxe polls its ring at this order of period). */
        static final long POLL_NANOS = 1_000_000;
        private final Map<PvBlockDevice, EfiEvent> pollTimers = new HashMap<>();
        private final Map<PvBlockDevice, Runnable> waiting = new HashMap<>();

        @Override
        public String name() {
            return "planted-timer-notify";
        }

        @Override
        public void childStarted(PvBlockDevice dev) {
            EfiBootServices bs = dev.xenBus().bus().bootServices();
            pollTimers.put(dev, bs.createEvent(EfiBootServices.EVT_TIMER | EfiBootServices.EVT_NOTIFY_SIGNAL, EfiBootServices.TPL_CALLBACK,
                    (e, done) -> {
                        Runnable then = waiting.get(dev);
                        if (then != null && dev.inFlight() == 0) {
                            waiting.remove(dev);
                            bs.setTimer(e, EfiBootServices.TimerDelay.TimerCancel, 0);
                            then.run();
                        }
                        done.run();
                    }, PvBlockDevice.DRIVER + "/" + dev.xenBus().deviceId() + "/poll"));
            super.childStarted(dev);
        }

        @Override
        void childNotify(PvBlockDevice dev, Runnable done) {
            Runnable rest = () -> dev.quiesceForHandoff(() -> dev.xenBus().removeReference(true, done));
            if (dev.inFlight() == 0) {
                rest.run();
                return;
            }
            waiting.put(dev, rest);
            dev.xenBus().bus().bootServices().setTimer(pollTimers.get(dev), EfiBootServices.TimerDelay.TimerPeriodic, POLL_NANOS);
        }

        @Override
        public void childStopping(PvBlockDevice dev) {
            EfiEvent t = pollTimers.remove(dev);
            if (t != null) dev.xenBus().bus().bootServices().closeEvent(t);
            super.childStopping(dev);
        }
    }

    /** exit-callback's shape: the bus notify calls every child's exit callback, then resets. */
    abstract static class ExitCallbackLike implements EbsDesign {
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

        abstract void exit(PvBlockDevice dev, Runnable then);

        @Override
        public void childStarted(PvBlockDevice dev) {
            dev.xenBus().registerExitCallback(then -> exit(dev, then));
        }

        @Override
        public void childStopping(PvBlockDevice dev) {
            dev.xenBus().registerExitCallback(null);
        }

        /** Ends access to every grant the bus tracked for the device, ignoring failures (the bug's part). */
        static void endAll(XenBusProtocol io) {
            for (int ref : List.copyOf(io.trackedRefs())) io.grantEndAccess(ref);
        }
    }

    /** Bug: no drain, no Closing/Closed: end the device's grants (failing while mapped, ignored) at once. */
    static final class EndInFlight extends ExitCallbackLike {
        @Override
        public String name() {
            return "planted-end-in-flight";
        }

        @Override
        void exit(PvBlockDevice dev, Runnable then) {
            endAll(dev.xenBus());
            then.run();
        }
    }

    /** Bug: Closing, Closed — but waits for the backend to reach Closing, not Closed, before ending the grants. */
    static final class StateTooEarly extends ExitCallbackLike {
        @Override
        public String name() {
            return "planted-state-too-early";
        }

        @Override
        void exit(PvBlockDevice dev, Runnable then) {
            XenBusProtocol io = dev.xenBus();
            io.setState(XenbusState.Closing, e1 -> io.pollBackendState(XenbusState.Closing, ok1 ->
                    io.setState(XenbusState.Closed, e2 -> io.pollBackendState(XenbusState.Closing, ok2 -> {
                        endAll(io);
                        then.run();
                    }))));
        }
    }
}
