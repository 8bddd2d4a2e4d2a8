package xensim.firmware.uefi;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import xensim.platform.EventLog;
import xensim.xen.GuestMemory;

/**
 * The DXE core's boot services, as far as the Xen drivers and the ExitBootServices question need
 * them: TPLs and events (notify dispatch by TPL on RestoreTPL, timers, WaitForEvent only at
 * TPL_APPLICATION), memory services over a {@link MemoryMap} with a changing map key, the handle
 * and protocol database, the driver model (ConnectController / DisconnectController with driver
 * binding Start/Stop), and ExitBootServices in edk2's order. Every memory service call is an
 * ALLOC_CALL event; those made while EBS notify functions run are what ALLOC_IN_EBS catches.
 *
 * <p>Pure and single-threaded: the firmware actor owns it, timers come in through
 * {@link #onTimer(int, long)} and waits go through the {@link Cpu}.
 */
public final class BootServices {

    public static final String COMP = "fw.core";
    public static final long POOL_PAGE = 4096;

    /** Schedules a timer tick for an event (the platform's timer interrupt). */
    public interface TimerSource {
        void schedule(long delayNanos, int eventId, long generation);
    }

    /** GetMemoryMap's result. */
    public record MemoryMapSnapshot(List<MemoryMap.Descriptor> descriptors, long mapKey) {}

    public enum TimerDelay { TimerCancel, TimerPeriodic, TimerRelative }

    private final int dom;
    private final EventLog log;
    private final Cpu cpu;
    private final MemoryMap map;
    private final GuestMemory memory;
    private final TimerSource timers;
    private final RandomGenerator random;
    private final Edk2Version edk2;

    private int tpl = Tpl.APPLICATION;
    private int nextEventId = 1;
    /** Every open event, in creation order (the order explicit EBS notify indexes refer to). */
    private final Map<Integer, UefiEvent> events = new LinkedHashMap<>();
    /** gEventSignalQueue: every EVT_NOTIFY_SIGNAL event; CoreCreateEventInternal inserts at the head (index 0). */
    private final LinkedList<UefiEvent> signalQueue = new LinkedList<>();
    /** gEventQueue[Tpl]: notifies queued by CoreNotifyEvent (appended at the tail), dispatched from the head. */
    private final TreeMap<Integer, ArrayDeque<UefiEvent>> eventQueue = new TreeMap<>();
    private boolean timerRunning = true;
    private boolean inEbsNotify;
    private boolean exited;
    /** DxeMain.c mExitBootServicesCalled: BeforeExitBootServices is signalled on the first call only (HEAD). */
    private boolean exitBootServicesCalled;
    private int ebsCalls;
    /** While one of the ExitBootServices groups is dispatched: its GUID, the events' name prefix and the next index. */
    private String loggedGroup;
    private String loggedPrefix;
    private List<UefiEvent> loggedMembers = List.of();
    private int loggedIndex;

    private int nextHandleId = 1;
    private final List<Handle> handles = new ArrayList<>();
    private final List<DriverBinding> drivers = new ArrayList<>();

    private record PoolBlock(long address, long size, long pageGfn, EfiMemoryType type) {}

    private final Map<Long, PoolBlock> pool = new HashMap<>();
    private final Map<Long, long[]> poolPages = new HashMap<>(); // page gfn -> {bytes used, live blocks}
    private final Map<EfiMemoryType, Long> poolCurrent = new HashMap<>();

    public BootServices(int dom, EventLog log, Cpu cpu, MemoryMap map, GuestMemory memory, TimerSource timers,
                        RandomGenerator random) {
        this(dom, log, cpu, map, memory, timers, random, Edk2Version.HEAD);
    }

    public BootServices(int dom, EventLog log, Cpu cpu, MemoryMap map, GuestMemory memory, TimerSource timers,
                        RandomGenerator random, Edk2Version edk2) {
        this.edk2 = edk2;
        this.dom = dom;
        this.log = log;
        this.cpu = cpu;
        this.map = map;
        this.memory = memory;
        this.timers = timers;
        this.random = random;
    }

    private DesignBootServices designView;

    /** These boot services as EBS designs see them (one view per instance). */
    public xensim.design.EfiBootServices forDesigns() {
        if (designView == null) designView = new DesignBootServices(this);
        return designView;
    }

    public int domid() {
        return dom;
    }

    public Cpu cpu() {
        return cpu;
    }

    public EventLog log() {
        return log;
    }

    public GuestMemory memory() {
        return memory;
    }

    public MemoryMap memoryMap() {
        return map;
    }

    public boolean exited() {
        return exited;
    }

    public boolean inExitBootServicesNotify() {
        return inEbsNotify;
    }

    public boolean timerRunning() {
        return timerRunning;
    }

    private void requireBootServices(String service) {
        if (exited) throw new IllegalStateException(service + " after ExitBootServices succeeded");
    }

    // --- TPL -----------------------------------------------------------------------------------

    public int currentTpl() {
        return tpl;
    }

    /** RaiseTPL: returns the old TPL; lowering through RaiseTPL is a firmware bug (edk2 ASSERTs). */
    public int raiseTpl(int newTpl) {
        if (newTpl < tpl) throw new IllegalStateException("RaiseTPL(" + Tpl.name(newTpl) + ") below " + Tpl.name(tpl));
        int old = tpl;
        tpl = newTpl;
        return old;
    }

    /**
     * RestoreTPL (Tpl.c CoreRestoreTpl): dispatches every pending notify above {@code oldTpl},
     * highest TPL first, then continues.
     */
    public void restoreTpl(int oldTpl, Runnable then) {
        if (oldTpl > tpl) throw new IllegalStateException("RestoreTPL(" + Tpl.name(oldTpl) + ") above " + Tpl.name(tpl));
        dispatchAbove(oldTpl, () -> {
            tpl = oldTpl;
            then.run();
        });
    }

    /** Synchronous RestoreTPL for callers that know no notify can wait (tests, simple sections). */
    public void restoreTpl(int oldTpl) {
        restoreTpl(oldTpl, () -> { });
    }

    private int highestPendingTpl() {
        for (Map.Entry<Integer, ArrayDeque<UefiEvent>> q : eventQueue.descendingMap().entrySet()) {
            if (!q.getValue().isEmpty()) return q.getKey();
        }
        return -1;
    }

    /**
     * CoreRestoreTpl's loop with CoreDispatchEventNotifies: while a notify is queued above
     * {@code floor}, raise to the highest pending TPL (HighBitSet64 (gEventPending)) and run the
     * event at the head of gEventQueue[that TPL], clearing a signal event's SignalCount first. A
     * notify may wait (continuation style); the next one starts when it returns. (edk2 would run a
     * higher-TPL notify signalled from inside a lower one at once, nested; here it runs when that
     * one returns — no event of the model is signalled so.)
     */
    private void dispatchAbove(int floor, Runnable then) {
        int pending = highestPendingTpl();
        if (pending <= floor) {
            then.run();
            return;
        }
        UefiEvent next = eventQueue.get(pending).pollFirst();
        next.queued = false;
        if ((next.type & UefiEvent.EVT_NOTIFY_SIGNAL) != 0) next.signaled = false; // Event->SignalCount = 0
        tpl = pending;
        String prefix = loggedGroup != null && loggedGroup.equals(next.group) ? loggedPrefix : null;
        int index = prefix == null ? -1 : loggedIndex++;
        if (prefix != null) notifyEvent(prefix + "_NOTIFY_BEGIN", next, index, loggedMembers.indexOf(next));
        next.notify.run(next, () -> cpu.run(() -> {
            if (prefix != null) notifyEvent(prefix + "_NOTIFY_END", next, index, loggedMembers.indexOf(next));
            dispatchAbove(floor, then);
        }));
    }

    private void notifyEvent(String ev, UefiEvent e, int index, int registered) {
        log.event(dom, COMP, ev).with("driver", e.owner).with("index", index).with("registered", registered)
                .with("tpl", Tpl.name(e.notifyTpl)).emit();
    }

    // --- events --------------------------------------------------------------------------------

    public UefiEvent createEvent(int type, int notifyTpl, UefiEvent.Notify notify, String owner) {
        return createEventEx(type, notifyTpl, notify, owner, null);
    }

    /**
     * CreateEventEx (Event.c CoreCreateEventEx / CoreCreateEventInternal): an
     * EVT_SIGNAL_EXIT_BOOT_SERVICES event joins gEfiEventExitBootServicesGuid and an event created in
     * that group becomes EVT_SIGNAL_EXIT_BOOT_SERVICES (that type with a group is
     * EFI_INVALID_PARAMETER); a notify event needs a function and a TPL above APPLICATION and below
     * HIGH_LEVEL; an EVT_NOTIFY_SIGNAL event is inserted at the head of gEventSignalQueue. edk2
     * allocates the event from pool (an ALLOC_CALL).
     */
    public UefiEvent createEventEx(int type, int notifyTpl, UefiEvent.Notify notify, String owner, String group) {
        requireBootServices("CreateEvent");
        allocCall("CreateEvent", EfiMemoryType.EfiBootServicesData, "size", 64);
        if (group != null) {
            if (type == UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES || type == UefiEvent.EVT_SIGNAL_VIRTUAL_ADDRESS_CHANGE) {
                throw new IllegalArgumentException("EFI_INVALID_PARAMETER: an event group with type " + Integer.toHexString(type));
            }
            if (group.equals(UefiEvent.EXIT_BOOT_SERVICES_GROUP)) type = UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES;
        } else if (type == UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES) {
            group = UefiEvent.EXIT_BOOT_SERVICES_GROUP;
        }
        if ((type & (UefiEvent.EVT_NOTIFY_SIGNAL | UefiEvent.EVT_NOTIFY_WAIT)) != 0) {
            if (notify == null || notifyTpl <= Tpl.APPLICATION || notifyTpl >= Tpl.HIGH_LEVEL) {
                throw new IllegalArgumentException("EFI_INVALID_PARAMETER: notify event needs a function and a TPL above APPLICATION, below HIGH_LEVEL");
            }
        }
        UefiEvent e = new UefiEvent(nextEventId++, type, notifyTpl, notify, owner, group);
        events.put(e.id, e);
        if ((type & UefiEvent.EVT_NOTIFY_SIGNAL) != 0) signalQueue.addFirst(e); // InsertHeadList (&gEventSignalQueue, ...)
        return e;
    }

    /** CloseEvent (CoreCloseEvent): off the notify queue and the signal queue, freed (an ALLOC_CALL). */
    public void closeEvent(UefiEvent e) {
        requireBootServices("CloseEvent");
        allocCall("CloseEvent", EfiMemoryType.EfiBootServicesData, "size", 64);
        e.closed = true;
        e.timerGeneration++;
        events.remove(e.id);
        signalQueue.remove(e);
        if (e.queued) eventQueue.get(e.notifyTpl).remove(e);
        e.queued = false;
    }

    /**
     * SignalEvent (CoreSignalEvent): if SignalCount is 0, set it; a notify-signal event of a group
     * queues every member of the group (CoreNotifySignalList), any other one itself (CoreNotifyEvent);
     * the queued notifies run now if they are above the current TPL.
     */
    public void signalEvent(UefiEvent e) {
        if (e.closed) return;
        if (!e.signaled) {
            e.signaled = true;
            if ((e.type & UefiEvent.EVT_NOTIFY_SIGNAL) != 0) {
                if (e.group != null) notifySignalList(e.group);
                else queueNotify(e);
            }
        }
        if (highestPendingTpl() > tpl) {
            int at = tpl;
            dispatchAbove(at, () -> tpl = at);
        }
    }

    /** CoreNotifyEvent: off whatever queue it is on, appended to gEventQueue[NotifyTpl]. */
    private void queueNotify(UefiEvent e) {
        if (e.queued) eventQueue.get(e.notifyTpl).remove(e);
        eventQueue.computeIfAbsent(e.notifyTpl, k -> new ArrayDeque<>()).addLast(e);
        e.queued = true;
    }

    /** CoreNotifySignalList: walks gEventSignalQueue from its head, queueing every member of {@code group}. */
    private void notifySignalList(String group) {
        for (UefiEvent e : signalQueue) if (group.equals(e.group)) queueNotify(e);
    }

    /** The open notify-signal events of {@code group}, in creation order. */
    private List<UefiEvent> groupMembers(String group) {
        List<UefiEvent> out = new ArrayList<>();
        for (UefiEvent e : events.values()) {
            if (group.equals(e.group) && (e.type & UefiEvent.EVT_NOTIFY_SIGNAL) != 0 && !e.closed) out.add(e);
        }
        return out;
    }

    /**
     * The order in which CoreNotifySignalList and CoreRestoreTpl would run {@code group}'s members
     * now, as indexes into {@link #groupMembers}: highest TPL first, then in gEventSignalQueue order
     * (the latest created first).
     */
    private List<Integer> edk2Order(String group) {
        List<UefiEvent> members = groupMembers(group);
        List<UefiEvent> walk = new ArrayList<>();
        for (UefiEvent e : signalQueue) if (group.equals(e.group)) walk.add(e);
        walk.sort(Comparator.comparingInt((UefiEvent e) -> e.notifyTpl).reversed()); // stable: queue order within a TPL
        List<Integer> out = new ArrayList<>();
        for (UefiEvent e : walk) out.add(members.indexOf(e));
        return out;
    }

    /** CheckEvent: EFI_SUCCESS (and clears) if signalled; a notify-wait event's function runs first. */
    public EfiStatus checkEvent(UefiEvent e) {
        if ((e.type & UefiEvent.EVT_NOTIFY_SIGNAL) != 0) return EfiStatus.EFI_INVALID_PARAMETER;
        if (!e.signaled && (e.type & UefiEvent.EVT_NOTIFY_WAIT) != 0) {
            e.notify.run(e, () -> { }); // a wait-notify only tests hardware and signals; it does not wait
        }
        if (e.signaled) {
            e.signaled = false;
            return EfiStatus.EFI_SUCCESS;
        }
        return EfiStatus.EFI_NOT_READY;
    }

    /**
     * WaitForEvent: only at TPL_APPLICATION (else EFI_UNSUPPORTED at once, as edk2); spins until
     * one event is signalled. A timer event after the timer stopped never signals.
     */
    public void waitForEvent(List<UefiEvent> list, BiConsumer<EfiStatus, Integer> k) {
        requireBootServices("WaitForEvent");
        if (tpl != Tpl.APPLICATION) {
            k.accept(EfiStatus.EFI_UNSUPPORTED, -1);
            return;
        }
        int[] which = {-1};
        cpu.waitUntil("WaitForEvent " + list, () -> {
            for (int i = 0; i < list.size(); i++) {
                if (checkEvent(list.get(i)) == EfiStatus.EFI_SUCCESS) {
                    which[0] = i;
                    return true;
                }
            }
            return false;
        }, () -> k.accept(EfiStatus.EFI_SUCCESS, which[0]));
    }

    /** SetTimer on an EVT_TIMER event. */
    public EfiStatus setTimer(UefiEvent e, TimerDelay kind, long nanos) {
        if ((e.type & UefiEvent.EVT_TIMER) == 0) return EfiStatus.EFI_INVALID_PARAMETER;
        e.timerGeneration++;
        e.periodNanos = kind == TimerDelay.TimerPeriodic ? Math.max(1, nanos) : 0;
        if (kind != TimerDelay.TimerCancel) timers.schedule(nanos, e.id, e.timerGeneration);
        return EfiStatus.EFI_SUCCESS;
    }

    /** The platform timer fired for an event; nothing happens once the timer is stopped (EBS). */
    public void onTimer(int eventId, long generation) {
        if (!timerRunning) return;
        UefiEvent e = events.get(eventId);
        if (e == null || e.closed || e.timerGeneration != generation) return;
        if (e.periodNanos > 0) timers.schedule(e.periodNanos, e.id, e.timerGeneration);
        signalEvent(e);
        cpu.poll();
    }

    // --- memory services -------------------------------------------------------------------------

    private void allocCall(String service, EfiMemoryType type, String unit, long amount) {
        log.event(dom, COMP, "ALLOC_CALL").with("service", service).with("type", type.name()).with(unit, amount)
                .with("tpl", Tpl.name(tpl)).with("inEbs", inEbsNotify).emit();
    }

    /** AllocatePages(AllocateAnyPages): the first gfn, or -1 for EFI_OUT_OF_RESOURCES. */
    public long allocatePages(EfiMemoryType type, long count) {
        requireBootServices("AllocatePages");
        allocCall("AllocatePages", type, "pages", count);
        long gfn = map.allocatePages(type, count);
        if (gfn >= 0) {
            if (memory != null) memory.setType(gfn, count, type.name());
            log.event(dom, COMP, "PAGE_ALLOC").with("gfn", gfn).with("count", count).with("type", type.name()).emit();
        }
        return gfn;
    }

    public EfiStatus freePages(long gfn, long count) {
        requireBootServices("FreePages");
        EfiMemoryType type = gfn >= 0 && gfn < map.pages() ? map.typeOf(gfn) : EfiMemoryType.EfiReservedMemoryType;
        allocCall("FreePages", type, "pages", count);
        if (!map.freePages(gfn, count)) return EfiStatus.EFI_NOT_FOUND;
        if (memory != null) memory.setType(gfn, count, EfiMemoryType.EfiConventionalMemory.name());
        log.event(dom, COMP, "PAGE_FREE").with("gfn", gfn).with("count", count).with("type", type.name()).emit();
        return EfiStatus.EFI_SUCCESS;
    }

    /** AllocatePool: an address (gfn * 4096 + offset) or -1. Pool pages come from AllocatePages. */
    public long allocatePool(EfiMemoryType type, long size) {
        requireBootServices("AllocatePool");
        allocCall("AllocatePool", type, "size", size);
        map.touch();
        long need = Math.max(8, (size + 7) & ~7L);
        if (need > POOL_PAGE) {
            long pages = (need + POOL_PAGE - 1) / POOL_PAGE;
            long gfn = map.allocatePages(type, pages);
            if (gfn < 0) return -1;
            if (memory != null) memory.setType(gfn, pages, type.name());
            long addr = gfn * POOL_PAGE;
            pool.put(addr, new PoolBlock(addr, pages * POOL_PAGE, -gfn - 1, type));
            return addr;
        }
        Long page = poolCurrent.get(type);
        if (page == null || poolPages.get(page)[0] + need > POOL_PAGE) {
            long gfn = map.allocatePages(type, 1);
            if (gfn < 0) return -1;
            if (memory != null) memory.setType(gfn, 1, type.name());
            log.event(dom, COMP, "PAGE_ALLOC").with("gfn", gfn).with("count", 1).with("type", type.name()).emit();
            page = gfn;
            poolCurrent.put(type, gfn);
            poolPages.put(gfn, new long[] {0, 0});
        }
        long[] use = poolPages.get(page);
        long addr = page * POOL_PAGE + use[0];
        use[0] += need;
        use[1]++;
        pool.put(addr, new PoolBlock(addr, need, page, type));
        return addr;
    }

    public EfiStatus freePool(long address) {
        requireBootServices("FreePool");
        PoolBlock b = pool.remove(address);
        allocCall("FreePool", b == null ? EfiMemoryType.EfiBootServicesData : b.type(), "size", b == null ? 0 : b.size());
        map.touch();
        if (b == null) return EfiStatus.EFI_INVALID_PARAMETER;
        if (b.pageGfn() < 0) {
            long gfn = -b.pageGfn() - 1;
            long pages = b.size() / POOL_PAGE;
            map.freePages(gfn, pages);
            if (memory != null) memory.setType(gfn, pages, EfiMemoryType.EfiConventionalMemory.name());
            return EfiStatus.EFI_SUCCESS;
        }
        long[] use = poolPages.get(b.pageGfn());
        if (--use[1] == 0 && !Long.valueOf(b.pageGfn()).equals(poolCurrent.get(b.type()))) {
            poolPages.remove(b.pageGfn());
            map.freePages(b.pageGfn(), 1);
            if (memory != null) memory.setType(b.pageGfn(), 1, EfiMemoryType.EfiConventionalMemory.name());
            log.event(dom, COMP, "PAGE_FREE").with("gfn", b.pageGfn()).with("count", 1).with("type", b.type().name()).emit();
        }
        return EfiStatus.EFI_SUCCESS;
    }

    /** GetMemoryMap: the descriptors and the current key. */
    public MemoryMapSnapshot getMemoryMap() {
        requireBootServices("GetMemoryMap");
        return new MemoryMapSnapshot(map.descriptors(), map.mapKey());
    }

    // --- handles and protocols -----------------------------------------------------------------

    /** InstallProtocolInterface on {@code handle}, or on a new handle if null. */
    public Handle installProtocolInterface(Handle handle, String name, String guid, Object iface) {
        requireBootServices("InstallProtocolInterface");
        Handle h = handle;
        if (h == null) {
            h = new Handle(nextHandleId++, name);
            handles.add(h);
        }
        if (h.protocols.containsKey(guid)) throw new IllegalStateException("EFI_INVALID_PARAMETER: " + guid + " already on " + h);
        h.protocols.put(guid, iface);
        return h;
    }

    /**
     * UninstallProtocolInterface: first disconnects every driver that opened it BY_DRIVER (edk2
     * CoreDisconnectControllersUsingProtocolInterface, which calls OpenProtocolInformation and so
     * allocates), then removes it; EFI_ACCESS_DENIED if a driver refused to stop.
     */
    public void uninstallProtocolInterface(Handle h, String guid, Consumer<EfiStatus> done) {
        requireBootServices("UninstallProtocolInterface");
        if (!h.protocols.containsKey(guid)) {
            done.accept(EfiStatus.EFI_NOT_FOUND);
            return;
        }
        List<Handle.OpenInfo> infos = openProtocolInformation(h, guid);
        List<String> agents = new ArrayList<>();
        for (Handle.OpenInfo i : infos) if ((i.attributes() & Handle.BY_DRIVER) != 0 && !agents.contains(i.agent())) agents.add(i.agent());
        disconnectAgents(h, agents, 0, st -> {
            if (st.isError()) {
                done.accept(EfiStatus.EFI_ACCESS_DENIED);
                return;
            }
            h.protocols.remove(guid);
            h.opens.removeIf(o -> o.protocol().equals(guid));
            done.accept(EfiStatus.EFI_SUCCESS);
        });
    }

    private void disconnectAgents(Handle h, List<String> agents, int i, Consumer<EfiStatus> done) {
        if (i == agents.size()) {
            done.accept(EfiStatus.EFI_SUCCESS);
            return;
        }
        disconnectController(h, driver(agents.get(i)), st -> {
            if (st.isError()) done.accept(st); else disconnectAgents(h, agents, i + 1, done);
        });
    }

    /** OpenProtocol with edk2's BY_DRIVER exclusivity: a second driver gets EFI_ACCESS_DENIED. */
    public EfiStatus openProtocol(Handle h, String guid, String agent, Handle controller, int attributes) {
        requireBootServices("OpenProtocol");
        if (!h.protocols.containsKey(guid)) return EfiStatus.EFI_UNSUPPORTED;
        if ((attributes & Handle.BY_DRIVER) != 0) {
            for (Handle.OpenInfo o : h.opens) {
                if (o.protocol().equals(guid) && (o.attributes() & Handle.BY_DRIVER) != 0) {
                    return o.agent().equals(agent) ? EfiStatus.EFI_ALREADY_STARTED : EfiStatus.EFI_ACCESS_DENIED;
                }
            }
        }
        if ((attributes & (Handle.BY_DRIVER | Handle.BY_CHILD_CONTROLLER)) != 0) {
            h.opens.add(new Handle.OpenInfo(guid, agent, controller, attributes));
        }
        return EfiStatus.EFI_SUCCESS;
    }

    public EfiStatus closeProtocol(Handle h, String guid, String agent, Handle controller) {
        requireBootServices("CloseProtocol");
        boolean removed = h.opens.removeIf(o -> o.protocol().equals(guid) && o.agent().equals(agent) && o.controller() == controller);
        return removed ? EfiStatus.EFI_SUCCESS : EfiStatus.EFI_NOT_FOUND;
    }

    /** OpenProtocolInformation: allocates its result buffer from pool (an ALLOC_CALL), as edk2 does. */
    public List<Handle.OpenInfo> openProtocolInformation(Handle h, String guid) {
        requireBootServices("OpenProtocolInformation");
        allocCall("OpenProtocolInformation", EfiMemoryType.EfiBootServicesData, "size", 24L * Math.max(1, h.opens.size()));
        map.touch();
        List<Handle.OpenInfo> out = new ArrayList<>();
        for (Handle.OpenInfo o : h.opens) if (o.protocol().equals(guid)) out.add(o);
        return out;
    }

    public List<Handle> locateHandles(String guid) {
        List<Handle> out = new ArrayList<>();
        for (Handle h : handles) if (h.protocols.containsKey(guid)) out.add(h);
        return out;
    }

    public List<Handle> handles() {
        return List.copyOf(handles);
    }

    // --- driver model --------------------------------------------------------------------------

    public void registerDriver(DriverBinding d) {
        drivers.add(d);
    }

    private DriverBinding driver(String name) {
        for (DriverBinding d : drivers) if (d.name().equals(name)) return d;
        throw new IllegalStateException("no driver " + name);
    }

    private boolean managedBy(Handle h, DriverBinding d) {
        for (Handle.OpenInfo o : h.opens) {
            if (o.agent().equals(d.name()) && o.controller() == h && (o.attributes() & Handle.BY_DRIVER) != 0) return true;
        }
        return false;
    }

    /** ConnectController: each supporting driver's Start, in registration order. */
    public void connectController(Handle h, Consumer<EfiStatus> done) {
        requireBootServices("ConnectController");
        connectFrom(h, 0, false, done);
    }

    private void connectFrom(Handle h, int i, boolean any, Consumer<EfiStatus> done) {
        if (i == drivers.size()) {
            done.accept(any ? EfiStatus.EFI_SUCCESS : EfiStatus.EFI_NOT_FOUND);
            return;
        }
        DriverBinding d = drivers.get(i);
        if (managedBy(h, d) || !d.supported(this, h)) {
            connectFrom(h, i + 1, any, done);
            return;
        }
        d.start(this, h, st -> cpu.run(() -> connectFrom(h, i + 1, any || !st.isError(), done)));
    }

    /** BDS "connect all": connects every handle until a pass creates no new handle. */
    public void connectAll(Runnable done) {
        connectPass(new ArrayList<>(handles), 0, handles.size(), done);
    }

    private void connectPass(List<Handle> pass, int i, int sizeAtStart, Runnable done) {
        if (i == pass.size()) {
            if (handles.size() > sizeAtStart) connectPass(new ArrayList<>(handles), 0, handles.size(), done);
            else done.run();
            return;
        }
        connectController(pass.get(i), st -> connectPass(pass, i + 1, sizeAtStart, done));
    }

    /**
     * DisconnectController(controller, driver or null for all): the driver's children (handles it
     * opened the controller's protocols for BY_CHILD_CONTROLLER) are stopped first by the driver's
     * Stop with children, then Stop with none.
     */
    public void disconnectController(Handle h, DriverBinding only, Consumer<EfiStatus> done) {
        requireBootServices("DisconnectController");
        List<DriverBinding> managing = new ArrayList<>();
        for (DriverBinding d : drivers) if ((only == null || only == d) && managedBy(h, d)) managing.add(d);
        disconnectDrivers(h, managing, 0, done);
    }

    private void disconnectDrivers(Handle h, List<DriverBinding> ds, int i, Consumer<EfiStatus> done) {
        if (i == ds.size()) {
            done.accept(EfiStatus.EFI_SUCCESS);
            return;
        }
        DriverBinding d = ds.get(i);
        // children: the controller's protocols opened BY_CHILD_CONTROLLER by this driver, for a child handle
        List<Handle> children = new ArrayList<>();
        for (Handle.OpenInfo o : h.opens) {
            if (o.agent().equals(d.name()) && o.controller() != h && (o.attributes() & Handle.BY_CHILD_CONTROLLER) != 0
                    && !children.contains(o.controller())) children.add(o.controller());
        }
        Consumer<EfiStatus> stopSelf = st -> {
            if (st.isError()) {
                done.accept(st);
                return;
            }
            d.stop(this, h, List.of(), st2 -> cpu.run(() -> {
                if (st2.isError()) done.accept(st2); else disconnectDrivers(h, ds, i + 1, done);
            }));
        };
        if (children.isEmpty()) stopSelf.accept(EfiStatus.EFI_SUCCESS);
        else d.stop(this, h, children, st -> cpu.run(() -> stopSelf.accept(st)));
    }

    /** Removes a child handle that has no protocols left (edk2 frees it on the last uninstall). */
    public void forgetHandle(Handle h) {
        if (h.protocols.isEmpty()) handles.remove(h);
    }

    // --- ExitBootServices ----------------------------------------------------------------------

    /**
     * The notify functions of the ExitBootServices group (EVT_SIGNAL_EXIT_BOOT_SERVICES events and
     * CreateEventEx with gEfiEventExitBootServicesGuid), in creation order: what an explicit order's
     * indexes refer to.
     */
    public List<UefiEvent> exitBootServicesEvents() {
        return groupMembers(UefiEvent.EXIT_BOOT_SERVICES_GROUP);
    }

    /** The edk2 release whose CoreExitBootServices this is. */
    public Edk2Version edk2() {
        return edk2;
    }

    /**
     * ExitBootServices(MapKey) as MdeModulePkg/Core/Dxe/DxeMain/DxeMain.c CoreExitBootServices
     * does it:
     * <ol>
     *   <li>HEAD only, on the first call only (mExitBootServicesCalled): CoreNotifySignalList
     *       (&amp;gEfiEventBeforeExitBootServicesGuid) — its notifies run with the timer on and memory
     *       services allowed (BEFORE_EBS_NOTIFY_BEGIN/END, not EBS notifies);</li>
     *   <li>gTimer-&gt;SetTimerPeriod (gTimer, 0): the timer is off from here on, whatever happens;</li>
     *   <li>CoreTerminateMemoryMap (MapKey): a key other than the current one (a Before notify that
     *       allocated makes the caller's key stale) signals gEventExitBootServicesFailedGuid and
     *       returns EFI_INVALID_PARAMETER, the timer still off;</li>
     *   <li>CoreNotifySignalList (&amp;gEfiEventExitBootServicesGuid): the EBS notifies run
     *       (EBS_NOTIFY_BEGIN/END; memory services now are ALLOC_IN_EBS), in the order {@code order}
     *       says: edk2's own (highest TPL first, the latest created first, through the real queues),
     *       one drawn from the seed, or an explicit permutation of {@link #exitBootServicesEvents()}'s
     *       indexes, TPLs ignored;</li>
     *   <li>boot services are gone.</li>
     * </ol>
     * Each group signal is an EBS_GROUP_SIGNAL event. EBS_BEGIN says how many EBS notify functions
     * there are (what an explicit order must permute) and edk2's order of them; an explicit order
     * that does not permute them when the group is signalled is the harness's mistake, not the
     * guest's: EBS_ORDER_MISMATCH, and the firmware parks (the caller reports the order as bad input).
     */
    public void exitBootServices(long mapKey, EbsOrder order, Consumer<EfiStatus> done) {
        requireBootServices("ExitBootServices");
        ebsCalls++;
        List<UefiEvent> list = exitBootServicesEvents();
        log.event(dom, COMP, "EBS_BEGIN").with("mapKey", mapKey).with("notifies", list.size())
                .with("edk2Order", join(edk2Order(UefiEvent.EXIT_BOOT_SERVICES_GROUP))).with("order", order.cliName())
                .with("edk2", edk2.cliName()).with("call", ebsCalls).with("tpl", Tpl.name(tpl)).emit();
        Runnable terminate = () -> {
            timerRunning = false; // gTimer->SetTimerPeriod (gTimer, 0)
            log.event(dom, COMP, "TIMER_PERIOD").with("period", 0).with("by", "CoreExitBootServices").emit();
            if (mapKey != map.mapKey()) { // CoreTerminateMemoryMap
                long expected = map.mapKey();
                signalGroup(UefiEvent.EXIT_BOOT_SERVICES_FAILED_GROUP, "ExitBootServicesFailed", "EBS_FAILED", () -> {
                    log.event(dom, COMP, "EBS_END").with("status", EfiStatus.EFI_INVALID_PARAMETER.name())
                            .with("expectedMapKey", expected).emit();
                    done.accept(EfiStatus.EFI_INVALID_PARAMETER);
                });
                return;
            }
            runExitBootServicesGroup(order, () -> {
                inEbsNotify = false;
                exited = true;
                log.event(dom, COMP, "EBS_END").with("status", EfiStatus.EFI_SUCCESS.name()).emit();
                done.accept(EfiStatus.EFI_SUCCESS);
            });
        };
        if (edk2.hasBeforeExitBootServices() && !exitBootServicesCalled) {
            signalGroup(UefiEvent.BEFORE_EXIT_BOOT_SERVICES_GROUP, "BeforeExitBootServices", "BEFORE_EBS", () -> {
                exitBootServicesCalled = true;
                terminate.run();
            });
        } else {
            terminate.run();
        }
    }

    /** CoreNotifySignalList of {@code group} at the caller's TPL; its notifies are logged as {@code prefix}_NOTIFY_BEGIN/END. */
    private void signalGroup(String group, String name, String prefix, Runnable then) {
        List<UefiEvent> members = groupMembers(group);
        log.event(dom, COMP, "EBS_GROUP_SIGNAL").with("group", name).with("notifies", members.size())
                .with("edk2Order", join(edk2Order(group))).emit();
        loggedGroup = group;
        loggedPrefix = prefix;
        loggedMembers = members;
        loggedIndex = 0;
        notifySignalList(group);
        int at = tpl;
        dispatchAbove(at, () -> {
            tpl = at;
            loggedGroup = null;
            loggedMembers = List.of();
            then.run();
        });
    }

    private void runExitBootServicesGroup(EbsOrder order, Runnable then) {
        if (order.kind() == EbsOrder.Kind.EDK2) {
            inEbsNotify = true;
            signalGroup(UefiEvent.EXIT_BOOT_SERVICES_GROUP, "ExitBootServices", "EBS", then);
            return;
        }
        List<UefiEvent> list = exitBootServicesEvents();
        log.event(dom, COMP, "EBS_GROUP_SIGNAL").with("group", "ExitBootServices").with("notifies", list.size())
                .with("edk2Order", join(edk2Order(UefiEvent.EXIT_BOOT_SERVICES_GROUP))).with("order", order.cliName()).emit();
        List<UefiEvent> ordered = new ArrayList<>();
        if (order.kind() == EbsOrder.Kind.EXPLICIT) {
            List<Integer> explicitOrder = order.indexes();
            if (!isPermutation(explicitOrder, list.size())) {
                log.event(dom, COMP, "EBS_ORDER_MISMATCH").with("order", join(explicitOrder)).with("notifies", list.size()).emit();
                park("the explicit EBS notify order " + join(explicitOrder) + " does not permute the " + list.size() + " notify functions");
                return;
            }
            for (int i : explicitOrder) ordered.add(list.get(i));
        } else {
            ordered.addAll(list);
            for (int i = ordered.size() - 1; i > 0; i--) { // Fisher-Yates from the seed
                int j = random.nextInt(i + 1);
                UefiEvent t = ordered.get(i);
                ordered.set(i, ordered.get(j));
                ordered.set(j, t);
            }
        }
        inEbsNotify = true;
        runEbsNotify(ordered, list, 0, then);
    }

    /** Whether {@code order} holds each of 0..n-1 exactly once. */
    static boolean isPermutation(List<Integer> order, int n) {
        if (order.size() != n) return false;
        boolean[] seen = new boolean[n];
        for (Integer i : order) {
            if (i == null || i < 0 || i >= n || seen[i]) return false;
            seen[i] = true;
        }
        return true;
    }

    private static String join(List<Integer> order) {
        StringBuilder sb = new StringBuilder();
        for (Integer i : order) sb.append(sb.length() == 0 ? "" : ",").append(i);
        return sb.toString();
    }

    /** The harness's order: one notify at a time at its TPL (edk2's queues bypassed). */
    private void runEbsNotify(List<UefiEvent> ordered, List<UefiEvent> registered, int i, Runnable then) {
        if (i == ordered.size()) {
            then.run();
            return;
        }
        UefiEvent e = ordered.get(i);
        if (e.closed) { // an earlier notify closed it (e.g. a Stop that unregistered its EBS event)
            runEbsNotify(ordered, registered, i + 1, then);
            return;
        }
        int old = tpl;
        tpl = Math.max(tpl, e.notifyTpl);
        notifyEvent("EBS_NOTIFY_BEGIN", e, i, registered.indexOf(e));
        e.notify.run(e, () -> cpu.run(() -> {
            notifyEvent("EBS_NOTIFY_END", e, i, registered.indexOf(e));
            tpl = old;
            runEbsNotify(ordered, registered, i + 1, then);
        }));
    }

    /** Parks the CPU for good (e.g. a wait on a timer event after the timer stopped); FW_PARKED. */
    public void park(String reason) {
        log.event(dom, COMP, "FW_PARKED").with("reason", reason).emit();
        cpu.waitUntil("parked: " + reason, () -> false, () -> { });
    }
}
