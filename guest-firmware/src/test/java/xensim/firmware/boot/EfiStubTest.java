package xensim.firmware.boot;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.Cpu;
import xensim.firmware.uefi.EbsOrder;
import xensim.firmware.uefi.EfiMemoryType;
import xensim.firmware.uefi.EfiStatus;
import xensim.firmware.uefi.MemoryMap;
import xensim.firmware.uefi.Tpl;
import xensim.firmware.uefi.UefiEvent;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;

/**
 * The loader's ExitBootServices as Linux's EFI stub does it (drivers/firmware/efi/libstub,
 * efi_exit_boot_services): GetMemoryMap, priv_func, ExitBootServices; on EFI_INVALID_PARAMETER one
 * more GetMemoryMap, priv_func and ExitBootServices, whose status is final.
 */
class EfiStubTest {
    private EventRecorder rec;
    private Cpu cpu;
    private BootServices bs;

    @BeforeEach
    void setUp() {
        rec = new EventRecorder();
        cpu = new Cpu((delay, token) -> cpu.onAlarm(token));
        MemoryMap map = new MemoryMap(256);
        bs = new BootServices(3, new EventLog(rec), cpu, map, null, (delay, id, gen) -> { }, new Random(7));
    }

    private EfiStatus exit(EfiStub.MapProcessing priv) {
        EfiStatus[] st = {null};
        EfiStub.exitBootServices(bs, EbsOrder.EDK2, priv, s -> st[0] = s);
        cpu.poll();
        return st[0];
    }

    @Test
    void aStaleKeyIsRetriedOnceAndTheSecondStatusIsFinal() {
        int[] maps = {0};
        EfiStatus st = exit(map -> {
            maps[0]++;
            bs.allocatePool(EfiMemoryType.EfiLoaderData, 32); // a loader that (wrongly) allocates after GetMemoryMap
        });
        assertEquals(EfiStatus.EFI_INVALID_PARAMETER, st);
        assertEquals(2, rec.named("EBS_BEGIN").size(), "one retry, not more");
        assertEquals(2, maps[0], "GetMemoryMap + priv_func again before the retry");
        assertEquals(1, rec.named("LOADER_EBS_RETRY").size());
        assertFalse(bs.exited());
    }

    /** A BeforeExitBootServices notify that allocates: the first call fails with the timer already off, the retry succeeds. */
    @Test
    void anAllocationInBeforeExitBootServicesCostsOneRetry() {
        List<String> ran = new ArrayList<>();
        bs.createEventEx(UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.CALLBACK, (e, d) -> {
            ran.add("before");
            bs.allocatePool(EfiMemoryType.EfiBootServicesData, 64);
            d.run();
        }, "early", UefiEvent.BEFORE_EXIT_BOOT_SERVICES_GROUP);
        EfiStatus st = exit(map -> { });
        assertEquals(EfiStatus.EFI_SUCCESS, st);
        assertEquals(List.of("before"), ran);
        List<String> ends = rec.named("EBS_END").stream().map(e -> e.getString("status")).toList();
        assertEquals(List.of("EFI_INVALID_PARAMETER", "EFI_SUCCESS"), ends);
        assertEquals(1, rec.named("LOADER_EBS_RETRY").size());
        assertTrue(bs.exited());
    }

    /** The retry reuses the first map's buffer (32 spare descriptors): a map fragmented by more in between is EFI_BUFFER_TOO_SMALL. */
    @Test
    void aMapThatOutgrewTheStubsBufferFailsTheRetry() {
        bs.createEventEx(UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.CALLBACK, (e, d) -> {
            for (int i = 0; i < 2 * EfiStub.SLACK_SLOTS; i++) {
                bs.allocatePages(i % 2 == 0 ? EfiMemoryType.EfiBootServicesData : EfiMemoryType.EfiLoaderData, 1);
            }
            d.run();
        }, "fragmenter", UefiEvent.BEFORE_EXIT_BOOT_SERVICES_GROUP);
        EfiStatus st = exit(map -> { });
        assertEquals(EfiStatus.EFI_BUFFER_TOO_SMALL, st);
        assertEquals(1, rec.named("EBS_BEGIN").size(), "no second ExitBootServices");
        var retry = rec.named("LOADER_EBS_RETRY").get(0);
        assertTrue(retry.getLong("descriptors") > retry.getLong("buffer"), retry.json());
        assertFalse(bs.exited());
    }
}
