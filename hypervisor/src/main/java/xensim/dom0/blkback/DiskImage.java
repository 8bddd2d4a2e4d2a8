package xensim.dom0.blkback;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A raw disk image file served by blkback (like qdisk on a raw file). Sector size 512 as blkif's
 * sector_number counts 512-byte units. Reads copy from a read-only memory mapping of the file
 * (the page cache, without a pread system call per segment); writes are positional writes on the
 * {@link FileChannel}, so a full disk is an I/O error for that request rather than a fault in a
 * mapped page. Linux keeps one page cache per file, so a read sees every earlier write. A write
 * returns only after the bytes are in the file (the page cache; {@link #flush()} forces them to
 * stable storage, which is what BLKIF_OP_FLUSH_DISKCACHE asks). {@link #close()} unmaps at once;
 * any access after it is an {@link UncheckedIOException}, never a touch of unmapped memory.
 */
public final class DiskImage implements AutoCloseable {
    public static final int SECTOR_SIZE = 512;

    private final Path path;
    private final FileChannel channel;
    private final long sectors;
    private final boolean readOnly;
    /** The file mapped read-only in chunks of {@link #CHUNK} bytes (a MappedByteBuffer holds at most 2 GiB). */
    private final MappedByteBuffer[] chunks;
    private boolean closed;

    static final long CHUNK = 1L << 30;

    private DiskImage(Path path, FileChannel channel, long sectors, boolean readOnly) throws IOException {
        this.path = path;
        this.channel = channel;
        this.sectors = sectors;
        this.readOnly = readOnly;
        long size = sectors * SECTOR_SIZE;
        this.chunks = new MappedByteBuffer[(int) ((size + CHUNK - 1) / CHUNK)];
        try {
            for (int i = 0; i < chunks.length; i++) {
                chunks[i] = channel.map(FileChannel.MapMode.READ_ONLY, i * CHUNK, Math.min(CHUNK, size - i * CHUNK));
            }
        } catch (IOException e) {
            unmapAll();
            channel.close();
            throw e;
        }
    }

    /** Creates (or truncates) a sparse image of {@code sectors} sectors. */
    public static DiskImage create(Path path, long sectors) throws IOException {
        if (sectors <= 0) throw new IllegalArgumentException("a disk needs at least one sector");
        Files.createDirectories(path.toAbsolutePath().getParent());
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SPARSE);
        // extend sparsely: one byte at the end
        ch.write(ByteBuffer.wrap(new byte[1]), sectors * SECTOR_SIZE - 1);
        return new DiskImage(path, ch, sectors, false);
    }

    /** Opens an existing image; its size must be a whole number of sectors. */
    public static DiskImage open(Path path, boolean readOnly) throws IOException {
        FileChannel ch = readOnly
                ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long size = ch.size();
        if (size == 0 || size % SECTOR_SIZE != 0) {
            ch.close();
            throw new IOException(path + ": size " + size + " is not a positive multiple of " + SECTOR_SIZE);
        }
        return new DiskImage(path, ch, size / SECTOR_SIZE, readOnly);
    }

    public Path path() { return path; }
    public long sectors() { return sectors; }
    public boolean readOnly() { return readOnly; }

    /** Reads {@code len} bytes at byte offset {@code pos} into {@code dst[off..]} (holes read as zeros). */
    public synchronized void read(long pos, byte[] dst, int off, int len) {
        check(pos, len);
        ensureOpen();
        while (len > 0) {
            int c = (int) (pos / CHUNK);
            int at = (int) (pos - c * CHUNK);
            int n = (int) Math.min(len, CHUNK - at);
            chunks[c].get(at, dst, off, n); // absolute: the buffer's position is not used
            pos += n;
            off += n;
            len -= n;
        }
    }

    /** Writes {@code len} bytes from {@code src[off..]} at byte offset {@code pos}. */
    public synchronized void write(long pos, byte[] src, int off, int len) {
        if (readOnly) throw new IllegalStateException(path + " is read-only");
        check(pos, len);
        ensureOpen();
        ByteBuffer b = ByteBuffer.wrap(src, off, len);
        try {
            while (b.hasRemaining()) channel.write(b, pos + (b.position() - off));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** BLKIF_OP_DISCARD: the range reads back as zeros afterwards (Linux discard_zeroes_data). */
    public void discard(long sector, long count) {
        long pos = sector * SECTOR_SIZE;
        long len = count * SECTOR_SIZE;
        check(pos, len);
        byte[] zeros = new byte[(int) Math.min(len, 1 << 16)];
        for (long done = 0; done < len; done += zeros.length) {
            write(pos + done, zeros, 0, (int) Math.min(zeros.length, len - done));
        }
    }

    /** BLKIF_OP_FLUSH_DISKCACHE: force written data to stable storage. */
    public synchronized void flush() {
        ensureOpen();
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void check(long pos, long len) {
        if (pos < 0 || len < 0 || pos + len > sectors * SECTOR_SIZE) {
            throw new IndexOutOfBoundsException("range " + pos + "+" + len + " outside a disk of "
                    + sectors + " sectors");
        }
    }

    private void ensureOpen() {
        if (closed) throw new UncheckedIOException(new java.nio.channels.ClosedChannelException());
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        unmapAll();
        channel.close();
    }

    /** Unmaps now rather than at some later GC (many short runs in one JVM would pile mappings up). */
    private void unmapAll() {
        for (int i = 0; i < chunks.length; i++) {
            if (chunks[i] != null) Unmapper.unmap(chunks[i]);
            chunks[i] = null;
        }
    }

    /** sun.misc.Unsafe#invokeCleaner (module jdk.unsupported), the JDK's one way to unmap a buffer now. */
    private static final class Unmapper {
        private static final sun.misc.Unsafe UNSAFE;

        static {
            sun.misc.Unsafe u = null;
            try {
                java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                u = (sun.misc.Unsafe) f.get(null);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // unavailable: mappings are released by the garbage collector instead
            }
            UNSAFE = u;
        }

        static void unmap(MappedByteBuffer b) {
            if (UNSAFE != null) UNSAFE.invokeCleaner(b);
        }
    }
}
