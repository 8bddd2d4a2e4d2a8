package xensim.firmware.boot;

import java.util.function.Consumer;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.EbsOrder;
import xensim.firmware.uefi.EfiStatus;

/**
 * The loader's last step: GetMemoryMap, the loader's own processing of the map, then
 * ExitBootServices with the map's key.
 */
public final class EfiStub {
    private EfiStub() {}

    /** What the loader does with a memory map between GetMemoryMap and ExitBootServices (Linux: priv_func). */
    @FunctionalInterface
    public interface MapProcessing {
        void process(BootServices.MemoryMapSnapshot map);
    }

    public static void exitBootServices(BootServices bs, EbsOrder order, MapProcessing priv, Consumer<EfiStatus> done) {
        attempt(bs, order, priv, 0, done);
    }

    private static void attempt(BootServices bs, EbsOrder order, MapProcessing priv, int attempt, Consumer<EfiStatus> done) {
        BootServices.MemoryMapSnapshot mm = bs.getMemoryMap();
        priv.process(mm);
        bs.exitBootServices(mm.mapKey(), order, st -> {
            if (st == EfiStatus.EFI_INVALID_PARAMETER && attempt < 3) {
                attempt(bs, order, priv, attempt + 1, done);
                return;
            }
            done.accept(st);
        });
    }
}
