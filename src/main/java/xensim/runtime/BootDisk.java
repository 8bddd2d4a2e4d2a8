package xensim.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import xensim.firmware.boot.BootLoaderBlob;
import xensim.firmware.boot.Gpt;
import xensim.firmware.boot.GptDiskBuilder;

/**
 * Makes a guest's raw disk image: a sparse file with a GPT, an EFI System Partition holding a
 * checksummed boot-loader blob, and a Linux data partition for the rest.
 */
public final class BootDisk {
    private BootDisk() {}

    public static final int BLOB_BYTES = 24 * 1024;

    public static void create(Path path, long sectors, long seed) {
        byte[] payload = new byte[BLOB_BYTES];
        new SplittableRandom(seed).nextBytes(payload);
        byte[] blob = BootLoaderBlob.encode(payload);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SPARSE)) {
            ch.write(ByteBuffer.wrap(new byte[1]), sectors * Gpt.LBA_SIZE - 1);
            new GptDiskBuilder(sectors, seed)
                    .partition(Gpt.ESP_TYPE, "EFI system partition", 2048, blob)
                    .partitionRest(Gpt.LINUX_DATA_TYPE, "root")
                    .writeTo((lba, data) -> {
                        try {
                            ch.write(ByteBuffer.wrap(data), lba * Gpt.LBA_SIZE);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create disk image " + path, e);
        }
    }
}
