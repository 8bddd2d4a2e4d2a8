package xensim.firmware.uefi;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import xensim.platform.Event;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;

/** The event model without actors: a manual clock drives Stall alarms and timer ticks. */
class BootServicesTest {
    private EventRecorder rec;
    private Cpu cpu;
    private BootServices bs;
    private final TreeMap<Long, List<Runnable>> due = new TreeMap<>();
    private long now;

    @BeforeEach
    void setUp() {
        rec = new EventRecorder();
        EventLog log = new EventLog(rec);
        cpu = new Cpu((delay, token) -> at(delay, () -> cpu.onAlarm(token)));
        MemoryMap map = new MemoryMap(256);
        map.setType(254, 2, EfiMemoryType.EfiReservedMemoryType);
        bs = new BootServices(3, log, cpu, map, null, (delay, id, gen) -> at(delay, () -> bs.onTimer(id, gen)), new Random(7));
    }

    private void at(long delay, Runnable r) {
        due.computeIfAbsent(now + delay, k -> new ArrayList<>()).add(r);
    }

    /** Advances the manual clock until nothing is due (or a bound). */
    private void runClock(long until) {
        while (!due.isEmpty() && due.firstKey() <= until) {
            var e = due.pollFirstEntry();
            now = e.getKey();
            e.getValue().forEach(Runnable::run);
        }
    }

    @Test
    void notifiesRunOnRestoreTplHighestFirstAndNotBelowCurrentTpl() {
        List<String> order = new ArrayList<>();
        UefiEvent cb = bs.createEvent(UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.CALLBACK, (e, d) -> { order.add("callback"); d.run(); }, "a");
        UefiEvent nt = bs.createEvent(UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.NOTIFY, (e, d) -> { order.add("notify"); d.run(); }, "b");
        int old = bs.raiseTpl(Tpl.HIGH_LEVEL);
        bs.signalEvent(cb);
        bs.signalEvent(nt);
        assertEquals(List.of(), order, "nothing runs while the TPL is HIGH_LEVEL");
        bs.restoreTpl(old);
        cpu.poll();
        assertEquals(List.of("notify", "callback"), order);
        assertEquals(Tpl.APPLICATION, bs.currentTpl());

        order.clear();
        int old2 = bs.raiseTpl(Tpl.NOTIFY);
        bs.signalEvent(cb);
        assertEquals(List.of(), order, "a CALLBACK notify waits while at NOTIFY");
        bs.restoreTpl(old2);
        cpu.poll();
        assertEquals(List.of("callback"), order);
        assertThrows(IllegalStateException.class, () -> {
            bs.raiseTpl(Tpl.NOTIFY);
            bs.raiseTpl(Tpl.CALLBACK);
        });
    }

    /**
     * DxeMain.c CoreExitBootServices: the timer goes off (gTimer->SetTimerPeriod (gTimer, 0)) before
     * CoreTerminateMemoryMap checks MapKey; a stale key signals gEventExitBootServicesFailedGuid and
     * returns EFI_INVALID_PARAMETER with the timer still off; nothing turns it back on.
     */
    @Test
    void aStaleKeyLeavesTheTimerOffSignalsTheFailedGroupAndRunsNoExitBootServicesNotify() {
        List<String> ran = new ArrayList<>();
        bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, (e, d) -> { ran.add("ebs"); d.run(); }, "drv");
        bs.createEventEx(UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.CALLBACK, (e, d) -> {
            ran.add("failed, timer " + (bs.timerRunning() ? "on" : "off"));
            d.run();
        }, "watcher", UefiEvent.EXIT_BOOT_SERVICES_FAILED_GROUP);
        UefiEvent tick = bs.createEvent(UefiEvent.EVT_TIMER, 0, null, "tick");
        bs.setTimer(tick, BootServices.TimerDelay.TimerPeriodic, 1_000);
        long key = bs.getMemoryMap().mapKey();
        bs.allocatePages(EfiMemoryType.EfiBootServicesData, 1);
        EfiStatus[] st = new EfiStatus[1];
        bs.exitBootServices(key, EbsOrder.EDK2, s -> st[0] = s);
        cpu.poll();
        assertEquals(EfiStatus.EFI_INVALID_PARAMETER, st[0]);
        assertEquals(List.of("failed, timer off"), ran, "the failed group ran, after the timer went off; no EBS notify ran");
        assertFalse(bs.exited());
        assertFalse(bs.timerRunning(), "the timer stays off after a failed ExitBootServices");
        runClock(10_000);
        assertFalse(tick.isSignaled(), "a periodic timer never fires again");
        List<String> seq = rec.events().stream().map(Event::ev)
                .filter(e -> e.equals("TIMER_PERIOD") || e.startsWith("EBS_")).toList();
        assertEquals(List.of("EBS_BEGIN", "EBS_GROUP_SIGNAL", "TIMER_PERIOD", "EBS_GROUP_SIGNAL", "EBS_FAILED_NOTIFY_BEGIN", "EBS_FAILED_NOTIFY_END",
                "EBS_END"), seq);
        assertEquals(List.of("BeforeExitBootServices", "ExitBootServicesFailed"),
                rec.named("EBS_GROUP_SIGNAL").stream().map(e -> e.getString("group")).toList());
        assertEquals(0L, rec.named("TIMER_PERIOD").get(0).getLong("period"));

        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.EDK2, s -> st[0] = s);
        cpu.poll();
        assertEquals(EfiStatus.EFI_SUCCESS, st[0]);
        assertEquals(List.of("failed, timer off", "ebs"), ran);
        assertTrue(bs.exited());
        assertThrows(IllegalStateException.class, () -> bs.allocatePool(EfiMemoryType.EfiBootServicesData, 8));
    }

    /**
     * HEAD: the BeforeExitBootServices group runs first, on the first call only, while the timer
     * still runs and memory services are still allowed (its allocation is no ALLOC_IN_EBS: no
     * EBS_NOTIFY_BEGIN is open); that allocation moves the map key, so the caller's key is stale.
     */
    @Test
    void beforeExitBootServicesRunsFirstOnTheFirstCallOnlyWithTheTimerOn() {
        List<String> ran = new ArrayList<>();
        bs.createEventEx(UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.CALLBACK, (e, d) -> {
            ran.add("before, timer " + (bs.timerRunning() ? "on" : "off"));
            bs.allocatePool(EfiMemoryType.EfiBootServicesData, 64);
            d.run();
        }, "early", UefiEvent.BEFORE_EXIT_BOOT_SERVICES_GROUP);
        bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, (e, d) -> { ran.add("ebs"); d.run(); }, "drv");
        EfiStatus[] st = new EfiStatus[1];
        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.EDK2, s -> st[0] = s);
        cpu.poll();
        assertEquals(List.of("before, timer on"), ran);
        assertEquals(EfiStatus.EFI_INVALID_PARAMETER, st[0], "the notify's own allocation made the caller's key stale");
        assertFalse(bs.timerRunning());
        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.EDK2, s -> st[0] = s);
        cpu.poll();
        assertEquals(EfiStatus.EFI_SUCCESS, st[0]);
        assertEquals(List.of("before, timer on", "ebs"), ran, "BeforeExitBootServices is not signalled again");
        Event alloc = rec.named("ALLOC_CALL").stream().filter(a -> "AllocatePool".equals(a.getString("service"))).findFirst().orElseThrow();
        assertEquals(false, alloc.get("inEbs"));
        List<String> all = rec.events().stream().map(Event::ev).toList();
        List<String> seq = all.subList(all.indexOf("EBS_BEGIN"), all.size()).stream()
                .filter(e -> e.equals("ALLOC_CALL") || e.equals("TIMER_PERIOD") || e.startsWith("EBS_") || e.startsWith("BEFORE_EBS_")).toList();
        assertEquals(List.of("EBS_BEGIN", "EBS_GROUP_SIGNAL", "BEFORE_EBS_NOTIFY_BEGIN", "ALLOC_CALL", "BEFORE_EBS_NOTIFY_END", "TIMER_PERIOD",
                "EBS_GROUP_SIGNAL", "EBS_END",
                "EBS_BEGIN", "TIMER_PERIOD", "EBS_GROUP_SIGNAL", "EBS_NOTIFY_BEGIN", "EBS_NOTIFY_END", "EBS_END"), seq);
    }

    /** edk2-stable202211 (Debian's edk2) has no BeforeExitBootServices: an event in that group is never notified. */
    @Test
    void edk2Stable202211HasNoBeforeExitBootServices() {
        MemoryMap map = new MemoryMap(256);
        bs = new BootServices(3, new EventLog(rec), cpu, map, null, (delay, id, gen) -> at(delay, () -> bs.onTimer(id, gen)), new Random(7),
                Edk2Version.STABLE_202211);
        List<String> ran = new ArrayList<>();
        bs.createEventEx(UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.CALLBACK, (e, d) -> { ran.add("before"); d.run(); }, "early",
                UefiEvent.BEFORE_EXIT_BOOT_SERVICES_GROUP);
        bs.createEventEx(UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.CALLBACK, (e, d) -> { ran.add("failed"); d.run(); }, "watcher",
                UefiEvent.EXIT_BOOT_SERVICES_FAILED_GROUP);
        bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, (e, d) -> { ran.add("ebs"); d.run(); }, "drv");
        EfiStatus[] st = new EfiStatus[1];
        long key = bs.getMemoryMap().mapKey();
        bs.allocatePages(EfiMemoryType.EfiBootServicesData, 1);
        bs.exitBootServices(key, EbsOrder.EDK2, s -> st[0] = s);
        cpu.poll();
        assertEquals(EfiStatus.EFI_INVALID_PARAMETER, st[0]);
        assertEquals(List.of("failed"), ran, "2022.11 too turns the timer off first and signals the failed group");
        assertFalse(bs.timerRunning());
        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.EDK2, s -> st[0] = s);
        cpu.poll();
        assertEquals(EfiStatus.EFI_SUCCESS, st[0]);
        assertEquals(List.of("failed", "ebs"), ran, "the BeforeExitBootServices notify never ran");
        assertEquals(List.of(), rec.named("BEFORE_EBS_NOTIFY_BEGIN"));
        assertEquals("2022.11", rec.named("EBS_BEGIN").get(0).getString("edk2"));
    }

    /**
     * edk2's order for a known set of ExitBootServices notifies, derived from
     * MdeModulePkg/Core/Dxe/Event/Event.c:
     * <ol>
     *   <li>CoreCreateEventInternal puts every EVT_NOTIFY_SIGNAL event at the <em>head</em> of
     *       gEventSignalQueue ({@code InsertHeadList (&gEventSignalQueue, &IEvent->SignalLink)}), and
     *       gives an EVT_SIGNAL_EXIT_BOOT_SERVICES event the group gEfiEventExitBootServicesGuid (a
     *       CreateEventEx with that group is the same). Created a, b, c, d, e, the queue reads e d c b a.</li>
     *   <li>CoreNotifySignalList walks gEventSignalQueue from its head (ForwardLink) and calls
     *       CoreNotifyEvent on each member of the group, which appends it to its TPL's queue
     *       ({@code InsertTailList (&gEventQueue[Event->NotifyTpl], ...)}): gEventQueue[TPL_NOTIFY] =
     *       e b, gEventQueue[TPL_CALLBACK] = d c a.</li>
     *   <li>Releasing the event lock restores the caller's TPL (TPL_APPLICATION): CoreRestoreTpl
     *       dispatches the highest pending TPL first (HighBitSet64 (gEventPending)), and
     *       CoreDispatchEventNotifies takes each queue from its head: e b d c a.</li>
     * </ol>
     * So: highest TPL first, then the latest created first. As indexes in creation order
     * (what {@code --ebs-order} takes): 4,1,3,2,0.
     */
    @Test
    void edk2RunsTheHighestTplFirstThenTheLatestCreatedFirst() {
        List<String> ran = new ArrayList<>();
        UefiEvent.Notify n = (e, d) -> {
            ran.add(e.owner() + "@" + Tpl.name(bs.currentTpl()));
            d.run();
        };
        bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, n, "a");
        bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.NOTIFY, n, "b");
        bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, n, "c");
        bs.createEventEx(UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.CALLBACK, n, "d", UefiEvent.EXIT_BOOT_SERVICES_GROUP);
        bs.createEvent(UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.CALLBACK, n, "not-a-member");
        bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.NOTIFY, n, "e");
        EfiStatus[] st = new EfiStatus[1];
        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.EDK2, s -> st[0] = s);
        cpu.poll();
        assertEquals(EfiStatus.EFI_SUCCESS, st[0]);
        assertEquals(List.of("e@TPL_NOTIFY", "b@TPL_NOTIFY", "d@TPL_CALLBACK", "c@TPL_CALLBACK", "a@TPL_CALLBACK"), ran);
        Event begin = rec.named("EBS_BEGIN").get(0);
        assertEquals(5L, begin.getLong("notifies"));
        assertEquals("4,1,3,2,0", begin.getString("edk2Order"), "edk2's order as indexes in creation order");
        assertEquals(List.of(4L, 1L, 3L, 2L, 0L), rec.named("EBS_NOTIFY_BEGIN").stream().map(e -> e.getLong("registered")).toList());
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), rec.named("EBS_NOTIFY_BEGIN").stream().map(e -> e.getLong("index")).toList());
        assertEquals(Tpl.APPLICATION, bs.currentTpl());
    }

    /** The same events with that order given explicitly run the same way (a replay of edk2's order). */
    @Test
    void edk2sOrderGivenExplicitlyRunsTheSame() {
        List<String> ran = new ArrayList<>();
        UefiEvent.Notify n = (e, d) -> {
            ran.add(e.owner());
            d.run();
        };
        for (String name : List.of("a", "b", "c")) bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, n, name);
        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.parse("2,1,0"), s -> { });
        cpu.poll();
        assertEquals(List.of("c", "b", "a"), ran);
        assertEquals("2,1,0", rec.named("EBS_BEGIN").get(0).getString("edk2Order"));
    }

    @Test
    void allocationWhileEbsNotifiesRunIsFlaggedAndNotBefore() {
        bs.allocatePool(EfiMemoryType.EfiBootServicesData, 16);
        bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, (e, d) -> {
            bs.allocatePool(EfiMemoryType.EfiBootServicesData, 32);
            d.run();
        }, "greedy");
        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.SEEDED, s -> { });
        cpu.poll();
        List<Event> calls = rec.named("ALLOC_CALL");
        assertFalse((Boolean) calls.get(0).get("inEbs"));
        Event inEbs = calls.stream().filter(c -> Boolean.TRUE.equals(c.get("inEbs"))).findFirst().orElseThrow();
        assertEquals("AllocatePool", inEbs.getString("service"));
        assertEquals("TPL_CALLBACK", inEbs.getString("tpl"));
        List<String> seq = rec.events().stream().map(Event::ev).filter(e -> e.startsWith("EBS_") || e.equals("ALLOC_CALL")).toList();
        int begin = seq.indexOf("EBS_NOTIFY_BEGIN");
        assertEquals("ALLOC_CALL", seq.get(begin + 1));
        assertEquals("EBS_NOTIFY_END", seq.get(begin + 2));
    }

    @Test
    void timerEventsFireBeforeEbsAndNeverAfter() {
        UefiEvent t = bs.createEvent(UefiEvent.EVT_TIMER, 0, null, "t");
        bs.setTimer(t, BootServices.TimerDelay.TimerRelative, 1_000);
        boolean[] woke = {false};
        bs.waitForEvent(List.of(t), (st, idx) -> woke[0] = st == EfiStatus.EFI_SUCCESS && idx == 0);
        assertFalse(woke[0]);
        runClock(2_000);
        assertTrue(woke[0], "the timer signalled and WaitForEvent returned");

        UefiEvent t2 = bs.createEvent(UefiEvent.EVT_TIMER, 0, null, "t2");
        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.SEEDED, s -> { });
        cpu.poll();
        bs.setTimer(t2, BootServices.TimerDelay.TimerRelative, 1_000);
        boolean[] signalled = {false};
        cpu.waitUntil("t2", () -> t2.isSignaled(), () -> signalled[0] = true);
        runClock(10_000_000);
        assertFalse(signalled[0], "after EBS the timer is stopped: the wait never ends");
        assertEquals("t2", cpu.waitingFor());
    }

    @Test
    void waitForEventAboveApplicationIsUnsupportedAndStallStillWorksInEbs() {
        EfiStatus[] st = new EfiStatus[1];
        boolean[] stalled = {false};
        bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, (e, d) -> {
            bs.waitForEvent(List.of(bs.createEvent(UefiEvent.EVT_TIMER, 0, null, "w")), (s, i) -> st[0] = s);
            cpu.stall(5_000, () -> {
                stalled[0] = true;
                d.run();
            });
        }, "poller");
        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.SEEDED, s -> { });
        cpu.poll();
        assertEquals(EfiStatus.EFI_UNSUPPORTED, st[0]);
        assertFalse(stalled[0]);
        runClock(10_000);
        assertTrue(stalled[0]);
        assertTrue(bs.exited());
    }

    @Test
    void ebsNotifyOrderComesFromTheSeedOrIsGivenExplicitly() {
        for (int n = 0; n < 3; n++) {
            int id = n;
            bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, (e, d) -> d.run(), "d" + id);
        }
        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.explicit(List.of(2, 0, 1)), s -> { });
        cpu.poll();
        List<String> drivers = rec.named("EBS_NOTIFY_BEGIN").stream().map(e -> e.getString("driver")).toList();
        assertEquals(List.of("d2", "d0", "d1"), drivers);
    }

    /** An explicit order that does not permute the notify functions is the harness's mistake: said so, no notify runs, no throw. */
    @Test
    void anExplicitOrderOfTheWrongLengthIsReportedAndParksInsteadOfThrowing() {
        for (List<Integer> bad : List.of(List.of(1, 0), List.of(0, 1, 2, 3), List.of(0, 0, 1), List.of(0, 1, 3))) {
            setUp();
            for (int n = 0; n < 3; n++) bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, (e, d) -> d.run(), "d" + n);
            EfiStatus[] st = {null};
            bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.explicit(bad), s -> st[0] = s);
            cpu.poll();
            assertEquals(3, rec.named("EBS_BEGIN").get(0).getLong("notifies"), "EBS_BEGIN says how many an order must permute");
            Event m = rec.named("EBS_ORDER_MISMATCH").get(0);
            assertEquals(3, m.getLong("notifies"));
            assertEquals(String.join(",", bad.stream().map(String::valueOf).toList()), m.getString("order"));
            assertEquals(1, rec.named("FW_PARKED").size(), bad.toString());
            assertEquals(List.of(), rec.named("EBS_NOTIFY_BEGIN"), "no notify runs in an order nobody asked for");
            assertNull(st[0], "ExitBootServices does not return");
            assertFalse(bs.exited());
        }
    }

    @Test
    void memoryMapKeyChangesOnEveryAllocationAndFreePagesChecksOwnership() {
        long k0 = bs.getMemoryMap().mapKey();
        long gfn = bs.allocatePages(EfiMemoryType.EfiBootServicesData, 2);
        assertEquals(252, gfn, "top-down, below the reserved pages");
        long k1 = bs.getMemoryMap().mapKey();
        assertNotEquals(k0, k1);
        long addr = bs.allocatePool(EfiMemoryType.EfiBootServicesData, 100);
        assertNotEquals(k1, bs.getMemoryMap().mapKey());
        assertEquals(EfiStatus.EFI_SUCCESS, bs.freePool(addr));
        assertEquals(EfiStatus.EFI_INVALID_PARAMETER, bs.freePool(addr));
        assertEquals(EfiStatus.EFI_NOT_FOUND, bs.freePages(254, 1), "reserved pages are not the caller's");
        assertEquals(EfiStatus.EFI_SUCCESS, bs.freePages(gfn, 2));
        assertEquals(EfiStatus.EFI_NOT_FOUND, bs.freePages(gfn, 2), "double free");
        assertEquals(EfiMemoryType.EfiConventionalMemory, bs.memoryMap().typeOf(gfn));
    }

    @Test
    void driverModelStartsAndStopsChildrenFirst() {
        List<String> calls = new ArrayList<>();
        Handle ctrl = bs.installProtocolInterface(null, "ctrl", "bus-io", new Object());
        DriverBinding bus = new DriverBinding() {
            public String name() { return "Bus"; }
            public boolean supported(BootServices b, Handle h) { return h.has("bus-io"); }
            public void start(BootServices b, Handle h, java.util.function.Consumer<EfiStatus> done) {
                b.openProtocol(h, "bus-io", "Bus", h, Handle.BY_DRIVER);
                Handle child = b.installProtocolInterface(null, "child", "dev-io", new Object());
                b.openProtocol(h, "bus-io", "Bus", child, Handle.BY_CHILD_CONTROLLER);
                calls.add("bus.start");
                done.accept(EfiStatus.EFI_SUCCESS);
            }
            public void stop(BootServices b, Handle h, List<Handle> children, java.util.function.Consumer<EfiStatus> done) {
                calls.add("bus.stop(" + children.size() + ")");
                if (children.isEmpty()) {
                    done.accept(EfiStatus.EFI_SUCCESS);
                    return;
                }
                Handle c = children.get(0);
                b.closeProtocol(h, "bus-io", "Bus", c);
                b.uninstallProtocolInterface(c, "dev-io", done);
            }
        };
        DriverBinding dev = new DriverBinding() {
            public String name() { return "Dev"; }
            public boolean supported(BootServices b, Handle h) { return h.has("dev-io"); }
            public void start(BootServices b, Handle h, java.util.function.Consumer<EfiStatus> done) {
                b.openProtocol(h, "dev-io", "Dev", h, Handle.BY_DRIVER);
                calls.add("dev.start");
                done.accept(EfiStatus.EFI_SUCCESS);
            }
            public void stop(BootServices b, Handle h, List<Handle> children, java.util.function.Consumer<EfiStatus> done) {
                calls.add("dev.stop");
                b.closeProtocol(h, "dev-io", "Dev", h);
                cpu.stall(100, () -> done.accept(EfiStatus.EFI_SUCCESS));
            }
        };
        bs.registerDriver(bus);
        bs.registerDriver(dev);
        boolean[] connected = {false};
        bs.connectAll(() -> connected[0] = true);
        cpu.poll();
        assertTrue(connected[0]);
        assertEquals(List.of("bus.start", "dev.start"), calls);
        EfiStatus[] st = new EfiStatus[1];
        bs.disconnectController(ctrl, null, s -> st[0] = s);
        cpu.poll();
        runClock(1_000);
        assertEquals(EfiStatus.EFI_SUCCESS, st[0]);
        assertEquals(List.of("bus.start", "dev.start", "bus.stop(1)", "dev.stop", "bus.stop(0)"), calls);
        assertTrue(rec.named("ALLOC_CALL").stream().anyMatch(e -> "OpenProtocolInformation".equals(e.getString("service"))),
                "uninstalling an opened protocol asks OpenProtocolInformation, which allocates");
    }
}
