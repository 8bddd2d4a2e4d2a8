package xensim.firmware.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * GUID Partition Table (UEFI spec §5.3), as a boot manager reads it: the protective MBR in LBA 0,
 * the primary header in LBA 1 (signature "EFI PART", header CRC32 over HeaderSize bytes with the
 * CRC field zeroed), the partition entry array (CRC32 in the header). Parsing is split into steps
 * because the firmware reads sectors asynchronously through BlockIo.
 */
public final class Gpt {
    private Gpt() {}

    public static final int LBA_SIZE = 512;
    public static final long SIGNATURE = 0x5452415020494645L; // "EFI PART" little-endian
    public static final int REVISION_1_0 = 0x00010000;
    public static final int HEADER_SIZE = 92;
    public static final int ENTRY_SIZE = 128;
    public static final int NUM_ENTRIES = 128;
    public static final int ENTRY_ARRAY_LBAS = NUM_ENTRIES * ENTRY_SIZE / LBA_SIZE; // 32

    /** EFI System Partition type GUID. */
    public static final UUID ESP_TYPE = UUID.fromString("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
    /** Linux filesystem data type GUID. */
    public static final UUID LINUX_DATA_TYPE = UUID.fromString("0fc63daf-8483-4772-8e79-3d69d8477de4");

    /** A parsed primary header. */
    public record Header(long myLba, long alternateLba, long firstUsableLba, long lastUsableLba, UUID diskGuid,
                         long partitionEntryLba, int numberOfEntries, int sizeOfEntry, int entryArrayCrc32) {
        /** Sectors the entry array spans. */
        public int entryArrayLbas() {
            return (int) (((long) numberOfEntries * sizeOfEntry + LBA_SIZE - 1) / LBA_SIZE);
        }
    }

    /** A used partition entry. */
    public record Partition(int index, UUID typeGuid, UUID uniqueGuid, long startingLba, long endingLba,
                            long attributes, String name) {
        public long sizeLbas() {
            return endingLba - startingLba + 1;
        }
    }

    /** Thrown for a disk without a valid GPT; the message says which check failed. */
    public static final class GptException extends Exception {
        public GptException(String message) {
            super(message);
        }
    }

    /** LBA 0 must be a protective MBR: 0x55AA and a partition of type 0xEE starting at LBA 1. */
    public static void checkProtectiveMbr(byte[] lba0) throws GptException {
        if (lba0.length < LBA_SIZE) throw new GptException("short MBR sector");
        if ((lba0[510] & 0xff) != 0x55 || (lba0[511] & 0xff) != 0xAA) throw new GptException("no MBR signature 0x55AA");
        ByteBuffer b = le(lba0);
        for (int i = 0; i < 4; i++) {
            int e = 446 + 16 * i;
            if ((lba0[e + 4] & 0xff) == 0xEE && b.getInt(e + 8) == 1) return;
        }
        throw new GptException("MBR has no protective (0xEE) partition at LBA 1");
    }

    public static Header parseHeader(byte[] lba1, long diskLbas) throws GptException {
        ByteBuffer b = le(lba1);
        if (b.getLong(0) != SIGNATURE) throw new GptException("bad GPT header signature");
        int headerSize = b.getInt(12);
        if (headerSize < HEADER_SIZE || headerSize > LBA_SIZE) throw new GptException("bad GPT header size " + headerSize);
        int crc = b.getInt(16);
        byte[] copy = java.util.Arrays.copyOf(lba1, headerSize);
        le(copy).putInt(16, 0);
        if (crc32(copy, 0, headerSize) != crc) throw new GptException("GPT header CRC32 mismatch");
        long myLba = b.getLong(24);
        if (myLba != 1) throw new GptException("primary header MyLBA is " + myLba + ", not 1");
        Header h = new Header(myLba, b.getLong(32), b.getLong(40), b.getLong(48), guid(lba1, 56),
                b.getLong(72), b.getInt(80), b.getInt(84), b.getInt(88));
        if (h.sizeOfEntry() < ENTRY_SIZE || h.sizeOfEntry() % 8 != 0) throw new GptException("bad entry size " + h.sizeOfEntry());
        if (h.numberOfEntries() <= 0 || h.numberOfEntries() > 4096) throw new GptException("bad entry count " + h.numberOfEntries());
        if (h.lastUsableLba() >= diskLbas || h.firstUsableLba() > h.lastUsableLba()) throw new GptException("usable range outside the disk");
        if (h.partitionEntryLba() < 2 || h.partitionEntryLba() + h.entryArrayLbas() > diskLbas) throw new GptException("entry array outside the disk");
        return h;
    }

    public static List<Partition> parseEntries(Header h, byte[] entryArray) throws GptException {
        int len = h.numberOfEntries() * h.sizeOfEntry();
        if (entryArray.length < len) throw new GptException("short partition entry array");
        if (crc32(entryArray, 0, len) != h.entryArrayCrc32()) throw new GptException("partition entry array CRC32 mismatch");
        ByteBuffer b = le(entryArray);
        List<Partition> out = new ArrayList<>();
        for (int i = 0; i < h.numberOfEntries(); i++) {
            int o = i * h.sizeOfEntry();
            UUID type = guid(entryArray, o);
            if (type.getMostSignificantBits() == 0 && type.getLeastSignificantBits() == 0) continue;
            long start = b.getLong(o + 32);
            long end = b.getLong(o + 40);
            if (start < h.firstUsableLba() || end > h.lastUsableLba() || end < start) {
                throw new GptException("partition " + (i + 1) + " outside the usable range");
            }
            String name = new String(entryArray, o + 56, 72, StandardCharsets.UTF_16LE);
            int nul = name.indexOf('\0');
            out.add(new Partition(i + 1, type, guid(entryArray, o + 16), start, end, b.getLong(o + 48),
                    nul >= 0 ? name.substring(0, nul) : name));
        }
        return out;
    }

    /** EFI GUID byte order: the first three fields little-endian, the last eight bytes as is. */
    public static UUID guid(byte[] a, int off) {
        ByteBuffer b = le(a);
        long d1 = b.getInt(off) & 0xffffffffL;
        long d2 = b.getShort(off + 4) & 0xffff;
        long d3 = b.getShort(off + 6) & 0xffff;
        long msb = (d1 << 32) | (d2 << 16) | d3;
        long lsb = ByteBuffer.wrap(a, off + 8, 8).order(ByteOrder.BIG_ENDIAN).getLong();
        return new UUID(msb, lsb);
    }

    public static void putGuid(byte[] a, int off, UUID g) {
        ByteBuffer b = le(a);
        long msb = g.getMostSignificantBits();
        b.putInt(off, (int) (msb >>> 32));
        b.putShort(off + 4, (short) (msb >>> 16));
        b.putShort(off + 6, (short) msb);
        ByteBuffer.wrap(a, off + 8, 8).order(ByteOrder.BIG_ENDIAN).putLong(g.getLeastSignificantBits());
    }

    public static int crc32(byte[] a, int off, int len) {
        CRC32 c = new CRC32();
        c.update(a, off, len);
        return (int) c.getValue();
    }

    static ByteBuffer le(byte[] a) {
        return ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
    }
}
