package xensim.firmware.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GptTest {
    private static final long LBAS = 16384; // 8 MiB

    private static byte[] disk(byte[] blob) {
        byte[] disk = new byte[(int) (LBAS * Gpt.LBA_SIZE)];
        new GptDiskBuilder(LBAS, 3)
                .partition(Gpt.ESP_TYPE, "EFI System", 2048, blob)
                .partitionRest(Gpt.LINUX_DATA_TYPE, "root")
                .writeTo((lba, s) -> System.arraycopy(s, 0, disk, (int) (lba * Gpt.LBA_SIZE), s.length));
        return disk;
    }

    private static byte[] lbas(byte[] disk, long lba, int n) {
        return Arrays.copyOfRange(disk, (int) (lba * Gpt.LBA_SIZE), (int) ((lba + n) * Gpt.LBA_SIZE));
    }

    @Test
    void builtDiskParsesBackWithTheEspAndBlob() throws Exception {
        byte[] payload = new byte[5000];
        new SplittableRandom(1).nextBytes(payload);
        byte[] disk = disk(BootLoaderBlob.encode(payload));

        Gpt.checkProtectiveMbr(lbas(disk, 0, 1));
        Gpt.Header h = Gpt.parseHeader(lbas(disk, 1, 1), LBAS);
        assertEquals(2, h.partitionEntryLba());
        assertEquals(LBAS - 1, h.alternateLba());
        List<Gpt.Partition> parts = Gpt.parseEntries(h, lbas(disk, h.partitionEntryLba(), h.entryArrayLbas()));
        assertEquals(2, parts.size());
        Gpt.Partition esp = parts.get(0);
        assertEquals(Gpt.ESP_TYPE, esp.typeGuid());
        assertEquals("EFI System", esp.name());
        assertEquals(2048, esp.sizeLbas());
        assertEquals(h.lastUsableLba(), parts.get(1).endingLba());

        BootLoaderBlob.Header bh = BootLoaderBlob.parseHeader(lbas(disk, esp.startingLba(), 1), esp.sizeLbas() * 512);
        assertEquals(5000, bh.payloadLength());
        byte[] body = lbas(disk, esp.startingLba() + 1, bh.payloadSectors());
        BootLoaderBlob.verify(bh, body);
        assertArrayEquals(payload, Arrays.copyOf(body, 5000));
    }

    @Test
    void backupHeaderIsConsistent() throws Exception {
        byte[] disk = disk(BootLoaderBlob.encode(new byte[10]));
        byte[] backup = lbas(disk, LBAS - 1, 1);
        // the backup's MyLBA is the last LBA, so parseHeader (primary only) refuses it, but its CRC holds
        byte[] copy = backup.clone();
        Gpt.le(copy).putInt(16, 0);
        assertEquals(Gpt.le(backup).getInt(16), Gpt.crc32(copy, 0, Gpt.HEADER_SIZE));
        assertEquals(LBAS - 1, Gpt.le(backup).getLong(24));
        assertEquals(1, Gpt.le(backup).getLong(32));
    }

    @Test
    void corruptionIsDetected() {
        byte[] disk = disk(BootLoaderBlob.encode(new byte[700]));
        byte[] mbr = lbas(disk, 0, 1);
        mbr[510] = 0;
        assertThrows(Gpt.GptException.class, () -> Gpt.checkProtectiveMbr(mbr));

        byte[] hdr = lbas(disk, 1, 1);
        hdr[60] ^= 1; // disk GUID byte: header CRC no longer matches
        Gpt.GptException e = assertThrows(Gpt.GptException.class, () -> Gpt.parseHeader(hdr, LBAS));
        assertTrue(e.getMessage().contains("CRC32"), e.getMessage());

        Gpt.Header[] h = new Gpt.Header[1];
        assertDoesNotThrow(() -> h[0] = Gpt.parseHeader(lbas(disk, 1, 1), LBAS));
        byte[] entries = lbas(disk, 2, 32);
        entries[40] ^= 1;
        assertThrows(Gpt.GptException.class, () -> Gpt.parseEntries(h[0], entries));

        assertThrows(Gpt.GptException.class, () -> Gpt.parseHeader(lbas(disk, 1, 1), 100), "disk smaller than header says");

        Gpt.Partition esp;
        try {
            esp = Gpt.parseEntries(h[0], lbas(disk, 2, 32)).get(0);
        } catch (Gpt.GptException ex) {
            throw new AssertionError(ex);
        }
        byte[] blobHeader = lbas(disk, esp.startingLba(), 1);
        byte[] body = lbas(disk, esp.startingLba() + 1, 2);
        body[3] ^= 0x40;
        assertThrows(Gpt.GptException.class, () ->
                BootLoaderBlob.verify(BootLoaderBlob.parseHeader(blobHeader, 1 << 20), body));
        assertThrows(Gpt.GptException.class, () -> BootLoaderBlob.parseHeader(new byte[512], 1 << 20));
    }

    /** util-linux's partx (a real GPT reader) sees the same two partitions. */
    @Test
    void utilLinuxPartxReadsOurGpt(@TempDir Path dir) throws IOException, InterruptedException {
        Path partx = Path.of("/usr/bin/partx");
        Assumptions.assumeTrue(Files.isExecutable(partx), "util-linux partx not installed");
        Path img = dir.resolve("disk.img");
        Files.write(img, disk(BootLoaderBlob.encode(new byte[100])));
        Process p = new ProcessBuilder(partx.toString(), "--show", "--output", "NR,START,END,TYPE,NAME",
                "--noheadings", img.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        List<String> lines = out.lines().map(String::trim).toList();
        assertEquals(2, lines.size(), out);
        assertTrue(lines.get(0).matches("1\\s+2048\\s+4095\\s+c12a7328-f81f-11d2-ba4b-00a0c93ec93b\\s+EFI System"), lines.get(0));
        assertTrue(lines.get(1).matches("2\\s+4096\\s+16350\\s+0fc63daf-8483-4772-8e79-3d69d8477de4\\s+root"), lines.get(1));
    }
}
