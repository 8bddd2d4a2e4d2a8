package xensim.dom0.blkback;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskImageTest {

    @Test
    void writeThenReadBackAcrossReopen(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("d.img");
        byte[] data = new byte[4096];
        new SplittableRandom(1).nextBytes(data);
        try (DiskImage d = DiskImage.create(f, 2048)) {
            assertEquals(2048 * 512L, Files.size(f));
            d.write(8 * 512L, data, 0, data.length);
            d.flush();
        }
        try (DiskImage d = DiskImage.open(f, true)) {
            byte[] back = new byte[4096];
            d.read(8 * 512L, back, 0, back.length);
            assertArrayEquals(data, back);
            byte[] untouched = new byte[512];
            d.read(0, untouched, 0, 512);
            assertArrayEquals(new byte[512], untouched, "never-written sectors read as zeros");
        }
    }

    @Test
    void discardZeroesTheRange(@TempDir Path dir) throws IOException {
        try (DiskImage d = DiskImage.create(dir.resolve("d.img"), 64)) {
            byte[] ones = new byte[1024];
            java.util.Arrays.fill(ones, (byte) 1);
            d.write(0, ones, 0, ones.length);
            d.discard(1, 1);
            byte[] back = new byte[1024];
            d.read(0, back, 0, back.length);
            for (int i = 0; i < 1024; i++) assertEquals(i >= 512 ? 0 : 1, back[i], "byte " + i);
        }
    }

    @Test
    void outOfRangeAndBadImagesAreRefused(@TempDir Path dir) throws IOException {
        try (DiskImage d = DiskImage.create(dir.resolve("d.img"), 8)) {
            assertThrows(IndexOutOfBoundsException.class, () -> d.read(8 * 512L - 1, new byte[2], 0, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> d.write(-1, new byte[1], 0, 1));
        }
        Path odd = dir.resolve("odd.img");
        Files.write(odd, new byte[513]);
        assertThrows(IOException.class, () -> DiskImage.open(odd, false));
        try (DiskImage ro = DiskImage.open(dir.resolve("d.img"), true)) {
            assertThrows(IllegalStateException.class, () -> ro.write(0, new byte[1], 0, 1));
        }
    }

    /** A read sees every earlier write; nothing works after close. */
    @Test
    void readsSeeWritesAtOnceAndNothingAfterClose(@TempDir Path dir) throws IOException {
        DiskImage d = DiskImage.create(dir.resolve("d.img"), 64);
        SplittableRandom r = new SplittableRandom(7);
        byte[] shadow = new byte[64 * 512];
        for (int i = 0; i < 200; i++) {
            int sector = r.nextInt(60);
            int n = 512 * (1 + r.nextInt(4));
            byte[] data = new byte[n];
            r.nextBytes(data);
            d.write(sector * 512L, data, 0, n);
            System.arraycopy(data, 0, shadow, sector * 512, n);
            byte[] all = new byte[shadow.length];
            d.read(0, all, 0, all.length);
            assertArrayEquals(shadow, all, "after write " + i);
        }
        d.close();
        d.close(); // idempotent
        assertThrows(java.io.UncheckedIOException.class, () -> d.read(0, new byte[512], 0, 512));
        assertThrows(java.io.UncheckedIOException.class, () -> d.write(0, new byte[512], 0, 512));
    }


    @Test
    void aNeverWrittenBlockIsAHoleAndAWriteMakesItData(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("d.img");
        byte[] data = new byte[4096];
        new SplittableRandom(2).nextBytes(data);
        try (DiskImage d = DiskImage.create(f, 2048)) {
            assertFalse(d.readsFile(16 * 512L, 4096), "a block never written is a hole");
            byte[] back = new byte[4096];
            java.util.Arrays.fill(back, (byte) 7);
            d.read(16 * 512L, back, 0, back.length);
            assertArrayEquals(new byte[4096], back, "a hole reads as zeros");
            d.write(16 * 512L + 100, data, 0, 1000); // part of block 2
            assertTrue(d.readsFile(16 * 512L, 4096));
            assertTrue(d.readsFile(15 * 512L, 1024), "a read touching the block asks the file");
            assertFalse(d.readsFile(24 * 512L, 4096), "the next block is still a hole");
            d.read(16 * 512L, back, 0, back.length);
            byte[] want = new byte[4096];
            System.arraycopy(data, 0, want, 100, 1000);
            assertArrayEquals(want, back);
        }
        // the file itself holds the data: another reader (not DiskImage) sees it
        byte[] raw = Files.readAllBytes(f);
        assertEquals(2048 * 512, raw.length);
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 0, 1000), java.util.Arrays.copyOfRange(raw, 16 * 512 + 100, 16 * 512 + 1100));
    }

    @Test
    void dataWrittenByAnotherToolBeforeOpenIsReadFromTheFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("d.img");
        byte[] data = new byte[8192];
        new SplittableRandom(3).nextBytes(data);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), 64L * 1024 * 1024 - 1); // 64 MiB, sparse
            ch.write(java.nio.ByteBuffer.wrap(data), 40L * 1024 * 1024); // data in the middle
        }
        long[][] ranges = SeekData.dataRanges(f, Files.size(f));
        try (DiskImage d = DiskImage.open(f, true)) {
            byte[] back = new byte[8192];
            d.read(40L * 1024 * 1024, back, 0, back.length);
            assertArrayEquals(data, back, "data another tool wrote is read back");
            byte[] hole = new byte[4096];
            d.read(1024 * 1024, hole, 0, hole.length);
            assertArrayEquals(new byte[4096], hole);
            if (ranges != null && ranges.length > 0 && ranges[0][0] > 0) { // the file system reports holes
                assertFalse(d.readsFile(1024 * 1024, 4096), "a hole the file system reports costs no read");
                assertTrue(d.readsFile(40L * 1024 * 1024, 8192));
            } else {
                assertTrue(d.readsFile(1024 * 1024, 4096), "without hole reports every block counts as data");
            }
        }
    }

    @Test
    void twoOpenImagesOfOneFileShareWhatIsWritten(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("d.img");
        DiskImage.create(f, 2048).close();
        byte[] data = new byte[512];
        new SplittableRandom(4).nextBytes(data);
        try (DiskImage a = DiskImage.open(f, true); DiskImage b = DiskImage.open(f, false)) {
            byte[] back = new byte[512];
            a.read(100 * 512L, back, 0, 512); // a hole, as a sees it
            b.write(100 * 512L, data, 0, 512);
            a.read(100 * 512L, back, 0, 512);
            assertArrayEquals(data, back, "a sees b's write into what was a hole");
        }
    }

    @Test
    void pluggedReadsAreOneReadOfTheFileAndReturnWhatEachWouldHave(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("d.img");
        byte[] data = new byte[8 * 4096];
        new SplittableRandom(5).nextBytes(data);
        try (DiskImage d = DiskImage.create(f, 2048)) {
            d.write(64 * 512L, data, 0, data.length);
            d.plugRead(64 * 512L, data.length);
            long before = d.fileReads();
            byte[] back = new byte[4096];
            for (int i = 0; i < 8; i++) {
                d.read(64 * 512L + i * 4096L, back, 0, 4096);
                assertArrayEquals(java.util.Arrays.copyOfRange(data, i * 4096, (i + 1) * 4096), back, "block " + i);
            }
            assertEquals(1, d.fileReads() - before, "eight plugged reads, one read of the file");
            // a write drops the merged data: the next read sees the write
            byte[] fresh = new byte[4096];
            java.util.Arrays.fill(fresh, (byte) 0x5A);
            d.write(64 * 512L + 4096, fresh, 0, 4096);
            d.read(64 * 512L + 4096, back, 0, 4096);
            assertArrayEquals(fresh, back, "a write after the merged read is seen");
            assertEquals(2, d.fileReads() - before);
            // a read nobody plugged reads alone
            d.read(200 * 512L, back, 0, 512);
            assertArrayEquals(new byte[512], java.util.Arrays.copyOf(back, 512));
        }
    }

    @Test
    void aWriteThroughAnotherInstanceDropsTheMergedRead(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("d.img");
        byte[] data = new byte[4 * 4096];
        new SplittableRandom(6).nextBytes(data);
        try (DiskImage w = DiskImage.create(f, 2048)) {
            w.write(0, data, 0, data.length);
        }
        try (DiskImage a = DiskImage.open(f, true); DiskImage b = DiskImage.open(f, false)) {
            a.plugRead(0, data.length);
            byte[] back = new byte[4096];
            a.read(0, back, 0, 4096);
            assertArrayEquals(java.util.Arrays.copyOf(data, 4096), back);
            byte[] other = new byte[4096];
            java.util.Arrays.fill(other, (byte) 3);
            b.write(2 * 4096, other, 0, 4096);
            a.read(2 * 4096, back, 0, 4096);
            assertArrayEquals(other, back, "b's write after a's merged read");
            a.read(3 * 4096, back, 0, 4096);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 3 * 4096, 4 * 4096), back);
        }
    }

    @Test
    void anotherImagesMergeOnTheSameThreadLeavesReadsCorrect(@TempDir Path dir) throws IOException {
        byte[] da = new byte[4 * 4096];
        byte[] db = new byte[4 * 4096];
        new SplittableRandom(7).nextBytes(da);
        new SplittableRandom(8).nextBytes(db);
        try (DiskImage a = DiskImage.create(dir.resolve("a.img"), 2048); DiskImage b = DiskImage.create(dir.resolve("b.img"), 2048)) {
            a.write(0, da, 0, da.length);
            b.write(0, db, 0, db.length);
            a.plugRead(0, da.length);
            b.plugRead(0, db.length);
            byte[] back = new byte[4096];
            a.read(0, back, 0, 4096);
            b.read(0, back, 0, 4096); // replaces a's merged range on this thread
            assertArrayEquals(java.util.Arrays.copyOf(db, 4096), back);
            long before = a.fileReads();
            for (int i = 1; i < 4; i++) {
                a.read(i * 4096L, back, 0, 4096);
                assertArrayEquals(java.util.Arrays.copyOfRange(da, i * 4096, (i + 1) * 4096), back, "a's block " + i);
            }
            assertEquals(3, a.fileReads() - before, "a's remaining reads read alone");
        }
    }
}
