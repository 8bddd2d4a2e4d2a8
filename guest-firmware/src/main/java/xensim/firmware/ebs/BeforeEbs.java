package xensim.firmware.ebs;

import xensim.design.EbsDesign;
import xensim.design.EfiBootServices;
import xensim.design.XenBus;

/**
 * {@code before-ebs} — the sixth design (DESIGN.md §3): OvmfPkg/XenBusDxe/XenBusDxe.c as it is
 * ({@link Disconnect}: NotifyExitBoot calls DisconnectController, every child's Stop, then
 * XenStoreDeinit and XenGrantTableDeinit, edk2's allocating xenstore client and all), but the
 * event is created with CreateEventEx in the BeforeExitBootServices group
 * (gEfiEventBeforeExitBootServicesGuid, EVT_NOTIFY_SIGNAL, TPL_CALLBACK) instead of
 * EVT_SIGNAL_EXIT_BOOT_SERVICES: CoreExitBootServices runs it before the timer goes off and before
 * MapKey is checked, where memory services are still allowed. Its allocations make the loader's map
 * key stale, so the first ExitBootServices fails (EFI_INVALID_PARAMETER, timer already off) and the
 * loader's one retry (Linux's EFI stub) succeeds; the ExitBootServices group then has no Xen
 * notify. On edk2-stable202211 the group is never signalled: nothing is disconnected.
 */
public final class BeforeEbs implements EbsDesign {
    @Override
    public String name() {
        return "before-ebs";
    }

    @Override
    public String summary() {
        return "disconnect's DisconnectController from the BeforeExitBootServices group (memory services allowed; the loader retries EBS)";
    }

    @Override
    public boolean allocationFreeXenStore() {
        return false;
    }

    @Override
    public void busStarted(XenBus bus) {
        EfiBootServices bs = bus.bootServices();
        bus.setExitBootEvent(bs.createEventEx(EfiBootServices.EVT_NOTIFY_SIGNAL, EfiBootServices.TPL_CALLBACK,
                (e, done) -> bs.disconnectController(bus.controller(), st -> done.run()), XenBus.DRIVER,
                EfiBootServices.BEFORE_EXIT_BOOT_SERVICES_GROUP));
    }
}
