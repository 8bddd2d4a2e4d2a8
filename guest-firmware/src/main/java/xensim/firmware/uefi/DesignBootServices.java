package xensim.firmware.uefi;

import java.util.function.Consumer;
import xensim.design.EfiBootServices;
import xensim.design.EfiEvent;
import xensim.design.EfiHandle;
import xensim.design.Status;

/** The boot services as an EBS design sees them ({@link EfiBootServices}): a thin view of {@link BootServices}. */
public final class DesignBootServices implements EfiBootServices {
    private final BootServices bs;

    DesignBootServices(BootServices bs) {
        this.bs = bs;
    }

    /** An EFI_STATUS as the design interface names it. */
    public static Status status(EfiStatus s) {
        return Status.valueOf(s.name().substring("EFI_".length()));
    }

    @Override
    public EfiEvent createEvent(int type, int notifyTpl, Notify notify, String owner) {
        return bs.createEvent(type, notifyTpl, guarded(notify, owner), owner);
    }

    @Override
    public EfiEvent createEventEx(int type, int notifyTpl, Notify notify, String owner, String group) {
        return bs.createEventEx(type, notifyTpl, guarded(notify, owner), owner, group);
    }

    /**
     * The design's notify function, whose {@code done} may be called once: a second call would
     * return from the notify twice (the DXE core would run the next notify twice), so it throws —
     * from the design's own frame, which makes it the design's failure (DESIGN_FAILED). A
     * {@code done} never called leaves ExitBootServices waiting: HANG, judged as any stuck firmware.
     */
    private static UefiEvent.Notify guarded(Notify notify, String owner) {
        if (notify == null) return null;
        return (e, done) -> {
            boolean[] called = new boolean[1];
            notify.run(e, () -> {
                if (called[0]) throw new IllegalStateException("the notify function of " + owner + " called done twice");
                called[0] = true;
                done.run();
            });
        };
    }

    @Override
    public Status setTimer(EfiEvent event, TimerDelay type, long triggerNanos) {
        if (triggerNanos < 0) throw new IllegalArgumentException("SetTimer with a negative trigger time: " + triggerNanos);
        return status(bs.setTimer((UefiEvent) event, BootServices.TimerDelay.valueOf(type.name()), triggerNanos));
    }

    @Override
    public void closeEvent(EfiEvent event) {
        bs.closeEvent((UefiEvent) event);
    }

    @Override
    public void disconnectController(EfiHandle controller, Consumer<Status> done) {
        bs.disconnectController((Handle) controller, null, st -> done.accept(status(st)));
    }

    @Override
    public void stall(long nanos, Runnable then) {
        bs.cpu().stall(nanos, then);
    }

    @Override
    public void later(Runnable then) {
        bs.cpu().run(then);
    }

    @Override
    public boolean inExitBootServicesNotify() {
        return bs.inExitBootServicesNotify();
    }

    @Override
    public long nowNanos() {
        return bs.cpu().now();
    }

    @Override
    public int domid() {
        return bs.domid();
    }

    @Override
    public long allocatePages(int pages) {
        if (pages < 1) throw new IllegalArgumentException("AllocatePages of " + pages + " pages");
        return bs.allocatePages(EfiMemoryType.EfiBootServicesData, pages);
    }

    @Override
    public boolean freePages(long gfn, int pages) {
        if (pages < 1) throw new IllegalArgumentException("FreePages of " + pages + " pages");
        return bs.freePages(gfn, pages) == EfiStatus.EFI_SUCCESS;
    }
}
