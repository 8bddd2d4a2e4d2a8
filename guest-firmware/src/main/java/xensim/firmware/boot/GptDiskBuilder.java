package xensim.firmware.boot;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Builds the bytes of a GPT disk (protective MBR, primary and backup headers and entry arrays,
 * partitions), e.g. the default scenario's disk: an EFI System Partition holding a boot-loader
 * blob and a Linux data partition. Output goes to a {@link SectorWriter} so it can target a sparse
 * image file without materialising the whole disk.
 */
public final class GptDiskBuilder {

    /** Writes whole sectors at an LBA. */
    @FunctionalInterface
    public interface SectorWriter {
        void write(long lba, byte[] sectors);
    }

    private record Part(UUID type, UUID unique, long start, long end, String name, byte[] content) {}

    private final long diskLbas;
    private final SplittableRandom random;
    private final UUID diskGuid;
    private final List<Part> parts = new ArrayList<>();
    private long nextLba;

    /** @param seed makes the GUIDs reproducible */
    public GptDiskBuilder(long diskLbas, long seed) {
        if (diskLbas < 2 * (2 + Gpt.ENTRY_ARRAY_LBAS) + 8) throw new IllegalArgumentException("disk too small for a GPT");
        this.diskLbas = diskLbas;
        this.random = new SplittableRandom(seed);
        this.diskGuid = randomGuid();
        this.nextLba = alignUp(firstUsable(), 2048 > lastUsable() / 4 ? 8 : 2048);
    }

    public long firstUsable() {
        return 2 + Gpt.ENTRY_ARRAY_LBAS;
    }

    public long lastUsable() {
        return diskLbas - 2 - Gpt.ENTRY_ARRAY_LBAS;
    }

    /** Adds a partition of {@code lbas} sectors; {@code content} (may be null) is written at its start. */
    public GptDiskBuilder partition(UUID type, String name, long lbas, byte[] content) {
        long start = nextLba;
        long end = start + lbas - 1;
        if (end > lastUsable()) throw new IllegalArgumentException("partition " + name + " does not fit");
        if (content != null && content.length > lbas * Gpt.LBA_SIZE) throw new IllegalArgumentException("content larger than partition " + name);
        if (parts.size() == Gpt.NUM_ENTRIES) throw new IllegalArgumentException("too many partitions");
        parts.add(new Part(type, randomGuid(), start, end, name, content));
        nextLba = end + 1;
        return this;
    }

    /** Partition with the rest of the usable space. */
    public GptDiskBuilder partitionRest(UUID type, String name) {
        return partition(type, name, lastUsable() - nextLba + 1, null);
    }

    public void writeTo(SectorWriter out) {
        byte[] entries = new byte[Gpt.NUM_ENTRIES * Gpt.ENTRY_SIZE];
        for (int i = 0; i < parts.size(); i++) {
            Part p = parts.get(i);
            int o = i * Gpt.ENTRY_SIZE;
            Gpt.putGuid(entries, o, p.type());
            Gpt.putGuid(entries, o + 16, p.unique());
            ByteBuffer b = Gpt.le(entries);
            b.putLong(o + 32, p.start());
            b.putLong(o + 40, p.end());
            byte[] name = p.name().getBytes(StandardCharsets.UTF_16LE);
            System.arraycopy(name, 0, entries, o + 56, Math.min(name.length, 72));
        }
        int entriesCrc = Gpt.crc32(entries, 0, entries.length);
        long last = diskLbas - 1;
        out.write(0, protectiveMbr());
        out.write(1, header(1, last, 2, entriesCrc));
        out.write(2, entries);
        out.write(last - Gpt.ENTRY_ARRAY_LBAS, entries);
        out.write(last, header(last, 1, last - Gpt.ENTRY_ARRAY_LBAS, entriesCrc));
        for (Part p : parts) {
            if (p.content() == null) continue;
            byte[] padded = new byte[(p.content().length + Gpt.LBA_SIZE - 1) / Gpt.LBA_SIZE * Gpt.LBA_SIZE];
            System.arraycopy(p.content(), 0, padded, 0, p.content().length);
            out.write(p.start(), padded);
        }
    }

    private byte[] protectiveMbr() {
        byte[] s = new byte[Gpt.LBA_SIZE];
        ByteBuffer b = Gpt.le(s);
        int e = 446;
        s[e + 1] = 0x00; s[e + 2] = 0x02; s[e + 3] = 0x00; // CHS of LBA 1
        s[e + 4] = (byte) 0xEE;
        s[e + 5] = (byte) 0xFF; s[e + 6] = (byte) 0xFF; s[e + 7] = (byte) 0xFF;
        b.putInt(e + 8, 1);
        b.putInt(e + 12, (int) Math.min(diskLbas - 1, 0xFFFFFFFFL));
        s[510] = 0x55;
        s[511] = (byte) 0xAA;
        return s;
    }

    private byte[] header(long my, long alternate, long entryLba, int entriesCrc) {
        byte[] s = new byte[Gpt.LBA_SIZE];
        ByteBuffer b = Gpt.le(s);
        b.putLong(0, Gpt.SIGNATURE);
        b.putInt(8, Gpt.REVISION_1_0);
        b.putInt(12, Gpt.HEADER_SIZE);
        b.putLong(24, my);
        b.putLong(32, alternate);
        b.putLong(40, firstUsable());
        b.putLong(48, lastUsable());
        Gpt.putGuid(s, 56, diskGuid);
        b.putLong(72, entryLba);
        b.putInt(80, Gpt.NUM_ENTRIES);
        b.putInt(84, Gpt.ENTRY_SIZE);
        b.putInt(88, entriesCrc);
        b.putInt(16, Gpt.crc32(s, 0, Gpt.HEADER_SIZE));
        return s;
    }

    private UUID randomGuid() {
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L; // version 4
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }

    private static long alignUp(long v, long a) {
        return (v + a - 1) / a * a;
    }
}
