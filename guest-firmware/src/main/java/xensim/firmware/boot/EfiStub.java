package xensim.firmware.boot;

import java.util.function.Consumer;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.EbsOrder;
import xensim.firmware.uefi.EfiStatus;

/**
 * The loader's last step, as Linux's EFI stub does it (drivers/firmware/efi/libstub,
 * efi_exit_boot_services): GetMemoryMap, the loader's own processing of the map (priv_func), then
 * ExitBootServices with the map's key; on EFI_INVALID_PARAMETER ("the memory map changed between
 * efi_get_memory_map() and exit_boot_services()... The spec implies one retry should be
 * sufficent, which is confirmed against the EDK2 implementation") once more GetMemoryMap,
 * priv_func and ExitBootServices, whose status is final (the stub then fails the boot). The retry
 * is a LOADER_EBS_RETRY event. "We cannot alloc" after a failed ExitBootServices, so the retry's
 * GetMemoryMap reuses the first map's buffer, which efi_get_memory_map (libstub/mem.c) sized with
 * {@link #SLACK_SLOTS} spare descriptors: a map that grew by more (frees and allocations in a
 * BeforeExitBootServices notify fragment it) is EFI_BUFFER_TOO_SMALL, and the boot fails.
 *
 * <p>GRUB (grub_efi_finish_boot_services) differs: it loops for as long as ExitBootServices says
 * EFI_INVALID_PARAMETER, freeing and re-allocating its map buffer each time ("Trying to terminate
 * EFI services again"). Not modelled: the stub's one retry is the stricter of the two.
 */
public final class EfiStub {
    private EfiStub() {}

    public static final String COMP = "fw.core";

    /** EFI_MMAP_NR_SLACK_SLOTS: 32 since Linux commit 66d182770fbf (2025, "Bump up EFI_MMAP_NR_SLACK_SLOTS to 32"); 8 before. */
    public static final int SLACK_SLOTS = 32;

    /** What the loader does with a memory map between GetMemoryMap and ExitBootServices (Linux: priv_func). */
    @FunctionalInterface
    public interface MapProcessing {
        void process(BootServices.MemoryMapSnapshot map);
    }

    public static void exitBootServices(BootServices bs, EbsOrder order, MapProcessing priv, Consumer<EfiStatus> done) {
        BootServices.MemoryMapSnapshot mm = bs.getMemoryMap();
        priv.process(mm);
        bs.exitBootServices(mm.mapKey(), order, st -> {
            if (st != EfiStatus.EFI_INVALID_PARAMETER) {
                done.accept(st);
                return;
            }
            // ExitBootServices was called: only GetMemoryMap (into the same buffer) and ExitBootServices from here
            BootServices.MemoryMapSnapshot again = bs.getMemoryMap();
            int buffer = mm.descriptors().size() + SLACK_SLOTS;
            bs.log().event(bs.domid(), COMP, "LOADER_EBS_RETRY").with("status", st.name()).with("staleMapKey", mm.mapKey())
                    .with("mapKey", again.mapKey()).with("descriptors", again.descriptors().size()).with("buffer", buffer).emit();
            if (again.descriptors().size() > buffer) {
                done.accept(EfiStatus.EFI_BUFFER_TOO_SMALL);
                return;
            }
            priv.process(again);
            bs.exitBootServices(again.mapKey(), order, done);
        });
    }
}
