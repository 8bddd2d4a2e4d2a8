package xensim.firmware.boot;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import xensim.firmware.pvblk.BlockIo;
import xensim.firmware.pvblk.XenPvBlkDxe;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.EbsOrder;
import xensim.firmware.uefi.EfiMemoryType;
import xensim.firmware.uefi.EfiStatus;

/**
 * The boot path (BDS + a loader): connect everything, read the GPT of the first disk through
 * BlockIo (protective MBR, header with CRC32, entries), find the EFI System Partition, read the
 * boot-loader blob and verify its checksum, write a boot record (acknowledged before EBS), leave
 * read-ahead requests in flight on every disk (only an asynchronous driver can: with OVMF's
 * synchronous BlockIo they complete before the loader goes on), then GetMemoryMap +
 * ExitBootServices (retrying with a fresh map key as loaders do). The loader reads into its own
 * buffer, pages it allocated as EfiLoaderData, which OVMF grants to the backend as they are.
 */
public final class BootManager {
    public static final String COMP = "fw.core";

    /** What the boot path achieved, for the handoff. */
    public record Outcome(EfiStatus status, Map<Integer, Map<Long, byte[]>> ackedWrites, int readsInFlightAtEbs) {}

    private final BootServices bs;
    private final java.util.function.Supplier<List<? extends BootDisk>> disks;
    private final RandomGenerator random;
    private final int readAhead;
    private final boolean bootRecord;
    private final EbsOrder ebsOrder;
    private final Map<Integer, Map<Long, byte[]>> acked = new LinkedHashMap<>();
    /** The loader's I/O buffer: one chunk (64 sectors). */
    private BlockIo.Buffer buffer = BlockIo.Buffer.NONE;
    private static final int BUFFER_PAGES = 8;

    public BootManager(BootServices bs, XenPvBlkDxe pvblk, RandomGenerator random, int readAhead, boolean bootRecord,
                       EbsOrder ebsOrder) {
        this(bs, pvblk::devices, random, readAhead, bootRecord, ebsOrder);
    }

    /** A boot manager over any disks (edk2's own XenPvBlkDxe's BlockIo in the real-OVMF mode). */
    public BootManager(BootServices bs, java.util.function.Supplier<List<? extends BootDisk>> disks, RandomGenerator random,
                       int readAhead, boolean bootRecord, EbsOrder ebsOrder) {
        this.bs = bs;
        this.disks = disks;
        this.random = random;
        this.readAhead = readAhead;
        this.bootRecord = bootRecord;
        this.ebsOrder = ebsOrder;
    }

    private void event(String ev, Object... kv) {
        var b = bs.log().event(bs.domid(), COMP, ev);
        for (int i = 0; i + 1 < kv.length; i += 2) b.with((String) kv[i], kv[i + 1]);
        b.emit();
    }

    public void boot(Consumer<Outcome> done) {
        long gfn = bs.allocatePages(EfiMemoryType.EfiLoaderData, BUFFER_PAGES);
        if (gfn >= 0) buffer = new BlockIo.Buffer(gfn, BUFFER_PAGES);
        bs.connectAll(() -> {
            List<? extends BootDisk> disks = this.disks.get();
            event("BDS_CONNECTED", "disks", disks.size());
            if (disks.isEmpty()) {
                exit(0, done);
                return;
            }
            loadFrom(disks.get(0), st -> {
                if (st.isError()) event("BOOT_FAILED", "status", st.name());
                writeBootRecord(disks, 0, () -> readAhead(disks, () -> {
                    int inFlight = 0;
                    for (BootDisk d : disks) inFlight += d.inFlight();
                    exit(inFlight, done);
                }));
            });
        });
    }

    private void loadFrom(BlockIo disk, Consumer<EfiStatus> k) {
        disk.readBlocks(0, 1, buffer, (s0, mbr) -> {
            if (s0.isError()) {
                k.accept(s0);
                return;
            }
            disk.readBlocks(1, 1, buffer, (s1, hdr) -> {
                try {
                    Gpt.checkProtectiveMbr(mbr);
                    Gpt.Header h = Gpt.parseHeader(hdr, disk.lastBlock() + 1);
                    disk.readBlocks(h.partitionEntryLba(), h.entryArrayLbas(), buffer, (s2, entries) -> {
                        try {
                            Gpt.Partition esp = null;
                            for (Gpt.Partition p : Gpt.parseEntries(h, entries)) if (p.typeGuid().equals(Gpt.ESP_TYPE)) esp = p;
                            if (esp == null) throw new Gpt.GptException("no EFI System Partition");
                            Gpt.Partition e = esp;
                            event("GPT_READ", "partitions", Gpt.parseEntries(h, entries).size(), "espLba", e.startingLba());
                            disk.readBlocks(e.startingLba(), 1, buffer, (s3, blobHdr) -> {
                                try {
                                    BootLoaderBlob.Header bh = BootLoaderBlob.parseHeader(blobHdr, e.sizeLbas() * Gpt.LBA_SIZE);
                                    readPayload(disk, e.startingLba() + BootLoaderBlob.HEADER_SECTORS, bh.payloadSectors(), new byte[0], payload -> {
                                        try {
                                            BootLoaderBlob.verify(bh, payload);
                                            event("BOOT_LOADER_LOADED", "bytes", bh.payloadLength(), "crc32", Integer.toHexString(bh.payloadCrc32()));
                                            k.accept(EfiStatus.EFI_SUCCESS);
                                        } catch (Gpt.GptException ex) {
                                            event("BOOT_LOADER_BAD", "detail", ex.getMessage());
                                            k.accept(EfiStatus.EFI_DEVICE_ERROR);
                                        }
                                    });
                                } catch (Gpt.GptException ex) {
                                    event("BOOT_LOADER_BAD", "detail", ex.getMessage());
                                    k.accept(EfiStatus.EFI_NOT_FOUND);
                                }
                            });
                        } catch (Gpt.GptException ex) {
                            event("GPT_BAD", "detail", ex.getMessage());
                            k.accept(EfiStatus.EFI_NOT_FOUND);
                        }
                    });
                } catch (Gpt.GptException ex) {
                    event("GPT_BAD", "detail", ex.getMessage());
                    k.accept(EfiStatus.EFI_NOT_FOUND);
                }
            });
        });
    }

    private static final int CHUNK = 64;

    private void readPayload(BlockIo disk, long lba, long remaining, byte[] sofar, Consumer<byte[]> k) {
        if (remaining <= 0) {
            k.accept(sofar);
            return;
        }
        int n = (int) Math.min(CHUNK, remaining);
        disk.readBlocks(lba, n, buffer, (st, data) -> {
            if (st.isError() || data == null) {
                k.accept(sofar);
                return;
            }
            byte[] all = new byte[sofar.length + data.length];
            System.arraycopy(sofar, 0, all, 0, sofar.length);
            System.arraycopy(data, 0, all, sofar.length, data.length);
            readPayload(disk, lba + n, remaining - n, all, k);
        });
    }

    /** A boot-record sector near the end of each disk; acknowledged before EBS, so it must survive. */
    private void writeBootRecord(List<? extends BootDisk> disks, int i, Runnable then) {
        if (!bootRecord || i == disks.size()) {
            then.run();
            return;
        }
        BootDisk d = disks.get(i);
        long lba = d.lastBlock() - 40 - random.nextInt(8);
        byte[] data = new byte[BlockIo.BLOCK_SIZE];
        random.nextBytes(data);
        d.writeBlocks(lba, data, buffer, st -> {
            if (!st.isError()) {
                acked.computeIfAbsent(d.deviceId(), k -> new HashMap<>()).put(lba, data);
                event("BOOT_RECORD_WRITTEN", "devid", d.deviceId(), "lba", lba);
            }
            writeBootRecord(disks, i + 1, then);
        });
    }

    /** Read-ahead the loader leaves in flight: the race the product exists to test. */
    private void readAhead(List<? extends BootDisk> disks, Runnable then) {
        List<Consumer<Runnable>> issues = new ArrayList<>();
        for (BootDisk d : disks) {
            for (int r = 0; r < readAhead; r++) {
                long lba = 64 + random.nextLong(Math.max(1, d.lastBlock() - 200));
                issues.add(next -> d.submit(false, lba, 8, null, buffer, c -> { }, next));
            }
        }
        issueAll(issues, 0, then);
    }

    private void issueAll(List<Consumer<Runnable>> issues, int i, Runnable then) {
        if (i == issues.size()) {
            then.run();
            return;
        }
        issues.get(i).accept(() -> issueAll(issues, i + 1, then));
    }

    private void exit(int inFlight, Consumer<Outcome> done) {
        EfiStub.exitBootServices(bs, ebsOrder, map -> { }, st -> done.accept(new Outcome(st, acked, inFlight)));
    }
}
