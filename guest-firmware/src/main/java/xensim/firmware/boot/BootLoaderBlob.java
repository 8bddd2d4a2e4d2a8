package xensim.firmware.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The boot-loader the boot manager loads from the EFI System Partition. A real ESP holds a FAT
 * file system with {@code \EFI\BOOT\BOOTX64.EFI}; the simulation keeps the part that matters to
 * the handoff (several sectors read through BlockIo, then verified) and skips FAT: the blob sits
 * at the start of the ESP as a header sector ({@code "XSIMBOOT"}, payload length, CRC32 of the
 * payload) followed by the payload.
 */
public final class BootLoaderBlob {
    private BootLoaderBlob() {}

    public static final long MAGIC = 0x544f4f424d495358L; // "XSIMBOOT" little-endian
    public static final int HEADER_SECTORS = 1;

    public record Header(int payloadLength, int payloadCrc32) {
        public int payloadSectors() {
            return (payloadLength + Gpt.LBA_SIZE - 1) / Gpt.LBA_SIZE;
        }
    }

    /** Header sector followed by the payload, padded to whole sectors. */
    public static byte[] encode(byte[] payload) {
        int sectors = HEADER_SECTORS + (payload.length + Gpt.LBA_SIZE - 1) / Gpt.LBA_SIZE;
        byte[] out = new byte[sectors * Gpt.LBA_SIZE];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, MAGIC);
        b.putInt(8, payload.length);
        b.putInt(12, Gpt.crc32(payload, 0, payload.length));
        System.arraycopy(payload, 0, out, Gpt.LBA_SIZE, payload.length);
        return out;
    }

    public static Header parseHeader(byte[] sector, long maxPayloadBytes) throws Gpt.GptException {
        ByteBuffer b = ByteBuffer.wrap(sector).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(0) != MAGIC) throw new Gpt.GptException("no boot loader on the EFI System Partition");
        int len = b.getInt(8);
        if (len <= 0 || len > maxPayloadBytes) throw new Gpt.GptException("boot loader length " + len + " out of range");
        return new Header(len, b.getInt(12));
    }

    public static void verify(Header h, byte[] payloadSectors) throws Gpt.GptException {
        if (payloadSectors.length < h.payloadLength()) throw new Gpt.GptException("short boot loader read");
        if (Gpt.crc32(payloadSectors, 0, h.payloadLength()) != h.payloadCrc32()) {
            throw new Gpt.GptException("boot loader checksum mismatch");
        }
    }
}
