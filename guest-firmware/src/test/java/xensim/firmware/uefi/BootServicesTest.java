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

    @Test
    void exitBootServicesWithAStaleKeyFailsAndRunsNoNotify() {
        List<String> ran = new ArrayList<>();
        bs.createEvent(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, Tpl.CALLBACK, (e, d) -> { ran.add("x"); d.run(); }, "drv");
        long key = bs.getMemoryMap().mapKey();
        bs.allocatePages(EfiMemoryType.EfiBootServicesData, 1);
        EfiStatus[] st = new EfiStatus[1];
        bs.exitBootServices(key, EbsOrder.SEEDED, s -> st[0] = s);
        cpu.poll();
        assertEquals(EfiStatus.EFI_INVALID_PARAMETER, st[0]);
        assertEquals(List.of(), ran);
        assertFalse(bs.exited());
        assertTrue(bs.timerRunning());
        bs.exitBootServices(bs.getMemoryMap().mapKey(), EbsOrder.SEEDED, s -> st[0] = s);
        cpu.poll();
        assertEquals(EfiStatus.EFI_SUCCESS, st[0]);
        assertEquals(List.of("x"), ran);
        assertTrue(bs.exited());
        assertThrows(IllegalStateException.class, () -> bs.allocatePool(EfiMemoryType.EfiBootServicesData, 8));
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
