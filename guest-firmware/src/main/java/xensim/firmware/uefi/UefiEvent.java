package xensim.firmware.uefi;

/**
 * An EFI_EVENT (edk2's IEVENT, MdeModulePkg/Core/Dxe/Event/Event.h): type bits, notify TPL and
 * function, its event group, SignalCount ({@code signaled}), whether it is on a gEventQueue
 * ({@code queued}: NotifyLink in a list), timer state.
 */
public final class UefiEvent implements xensim.design.EfiEvent {
    public static final int EVT_TIMER = 0x80000000;
    public static final int EVT_RUNTIME = 0x40000000;
    public static final int EVT_NOTIFY_WAIT = 0x00000100;
    public static final int EVT_NOTIFY_SIGNAL = 0x00000200;
    public static final int EVT_SIGNAL_EXIT_BOOT_SERVICES = 0x00000201;
    public static final int EVT_SIGNAL_VIRTUAL_ADDRESS_CHANGE = 0x60000202;

    /** gEfiEventExitBootServicesGuid, for CreateEventEx. */
    public static final String EXIT_BOOT_SERVICES_GROUP = "27abf055-b1b8-4c26-8048-748f37baa2df";
    /** gEfiEventBeforeExitBootServicesGuid (MdePkg.dec; EFI_EVENT_GROUP_BEFORE_EXIT_BOOT_SERVICES, UEFI 2.9). */
    public static final String BEFORE_EXIT_BOOT_SERVICES_GROUP = "8be0e274-3970-4b44-80c5-1ab9502f3bfc";
    /** gEventExitBootServicesFailedGuid (MdeModulePkg.dec): signalled by CoreExitBootServices on a stale MapKey. */
    public static final String EXIT_BOOT_SERVICES_FAILED_GROUP = "4f6c5507-232f-4787-b95e-72f862490cb1";

    /**
     * A notify function. It may wait (continuation style) and must call {@code done} exactly once
     * when it returns.
     */
    @FunctionalInterface
    public interface Notify {
        void run(UefiEvent event, Runnable done);
    }

    final int id;
    final int type;
    final int notifyTpl;
    final Notify notify;
    final String owner;
    final String group;
    boolean signaled;
    boolean closed;
    boolean queued;
    long timerGeneration;
    long periodNanos;

    UefiEvent(int id, int type, int notifyTpl, Notify notify, String owner, String group) {
        this.id = id;
        this.type = type;
        this.notifyTpl = notifyTpl;
        this.notify = notify;
        this.owner = owner;
        this.group = group;
    }

    public int id() {
        return id;
    }

    @Override
    public String owner() {
        return owner;
    }

    public int notifyTpl() {
        return notifyTpl;
    }

    public boolean isSignaled() {
        return signaled;
    }

    /** The event group's GUID (CreateEventEx), or null. */
    public String group() {
        return group;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "Event#" + id + "(" + owner + ")";
    }
}
