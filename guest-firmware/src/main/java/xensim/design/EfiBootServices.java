package xensim.design;

import java.util.function.Consumer;

/**
 * The boot services a design may call (EFI_BOOT_SERVICES, gBS), as edk2's DXE core implements
 * them. What holds inside an ExitBootServices notify function holds here too: the timer is off
 * (timer events never fire; only {@link #stall} waits), and CreateEvent, CloseEvent and
 * DisconnectController allocate or free pool — called from an EBS notify they are ALLOC_IN_EBS.
 * Memory services before ExitBootServices (a BeforeExitBootServices notify, a Start) are fine.
 */
public interface EfiBootServices {
    int TPL_APPLICATION = 4;
    int TPL_CALLBACK = 8;
    int TPL_NOTIFY = 16;
    int TPL_HIGH_LEVEL = 31;

    int EVT_TIMER = 0x80000000;
    int EVT_NOTIFY_SIGNAL = 0x00000200;
    int EVT_SIGNAL_EXIT_BOOT_SERVICES = 0x00000201;

    /** gEfiEventExitBootServicesGuid. */
    String EXIT_BOOT_SERVICES_GROUP = "27abf055-b1b8-4c26-8048-748f37baa2df";
    /** gEfiEventBeforeExitBootServicesGuid: signalled by CoreExitBootServices before the timer stops (edk2 after stable202211 only). */
    String BEFORE_EXIT_BOOT_SERVICES_GROUP = "8be0e274-3970-4b44-80c5-1ab9502f3bfc";

    /** A notify function: it may wait (continuation style) and must call {@code done} exactly once. */
    @FunctionalInterface
    interface Notify {
        void run(EfiEvent event, Runnable done);
    }

    /**
     * CreateEvent. With {@link #EVT_SIGNAL_EXIT_BOOT_SERVICES} the event joins the
     * ExitBootServices group: edk2 runs the group's notify functions highest TPL first, then the
     * latest created first. {@code owner} names it in the log (e.g. "XenPvBlkDxe/768").
     */
    EfiEvent createEvent(int type, int notifyTpl, Notify notify, String owner);

    /** CreateEventEx: an {@link #EVT_NOTIFY_SIGNAL} event in an event group ({@link #BEFORE_EXIT_BOOT_SERVICES_GROUP}, ...). */
    EfiEvent createEventEx(int type, int notifyTpl, Notify notify, String owner, String group);

    /** EFI_TIMER_DELAY, as edk2 names its values. */
    enum TimerDelay { TimerCancel, TimerPeriodic, TimerRelative }

    /**
     * SetTimer on an {@link #EVT_TIMER} event (created with {@code EVT_TIMER | EVT_NOTIFY_SIGNAL} to get
     * a notify): arms it to be signalled {@code triggerNanos} from now (TimerRelative) or every
     * {@code triggerNanos} (TimerPeriodic), or cancels it. Allocates nothing (edk2's CoreSetTimer only
     * relinks the event in the timer list), so it may be called from an ExitBootServices notify — but
     * CoreExitBootServices has turned the timer off by then (gTimer->SetTimerPeriod (gTimer, 0)), and a
     * timer event armed or due after that is never signalled. INVALID_PARAMETER for an event without EVT_TIMER.
     */
    Status setTimer(EfiEvent event, TimerDelay type, long triggerNanos);

    /** CloseEvent (frees pool). */
    void closeEvent(EfiEvent event);

    /** DisconnectController(controller, NULL, NULL): every driver's Stop, children first (allocates and frees). */
    void disconnectController(EfiHandle controller, Consumer<Status> done);

    /** Stall: a busy wait of {@code nanos} of guest time; the host keeps running. Works after ExitBootServices. */
    void stall(long nanos, Runnable then);

    /** Continues with {@code then} after the CPU has unwound (a loop step that must not grow the stack). */
    void later(Runnable then);

    /** Whether ExitBootServices is running its notify functions now (memory services would be ALLOC_IN_EBS). */
    boolean inExitBootServicesNotify();

    /** Guest time in nanoseconds (the vCPU's TSC, virtual in deterministic runs): for budgets, never for decisions a seed should not make. */
    long nowNanos();

    /** The guest's domain id. */
    int domid();

    /**
     * gBS->AllocatePages (AllocateAnyPages) of EfiBootServicesData: the first guest frame, or -1
     * for EFI_OUT_OF_RESOURCES. An ALLOC_CALL like every memory service: in an ExitBootServices
     * notify it is judged ALLOC_IN_EBS; after ExitBootServices the call is the design's failure.
     */
    long allocatePages(int pages);

    /** gBS->FreePages; false when the pages were not allocated (EFI_NOT_FOUND) or services are gone. Judged like allocatePages. */
    boolean freePages(long gfn, int pages);
}
