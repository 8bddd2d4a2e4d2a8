package xensim.dom0.blkback;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

}
