package xensim.dom0.blkback;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A raw disk image file served by blkback, with positional I/O on a {@link FileChannel}
 * (like qdisk on a raw file). Sector size 512 as blkif's sector_number counts 512-byte units.
 * A write returns only after the bytes are in the file (the page cache; {@link #flush()} forces
 * them to stable storage, which is what BLKIF_OP_FLUSH_DISKCACHE asks). Any access after
 * {@link #close()} is an {@link UncheckedIOException}.
 *
 * <p>Reads are positional reads, not a memory mapping: a mapping of a sparse image makes every
 * first touch a page fault with read-ahead that fills the page cache with zero pages; with
 * many guests doing random reads that cost 6x the whole lifecycle (measured with
 * {@code bench lifecycle}).
 */
public final class DiskImage implements AutoCloseable {
    public static final int SECTOR_SIZE = 512;

    private final Path path;
    private final FileChannel channel;
    private final long sectors;
    private final boolean readOnly;
    private boolean closed;

    private DiskImage(Path path, FileChannel channel, long sectors, boolean readOnly) {
        this.path = path;
        this.channel = channel;
        this.sectors = sectors;
        this.readOnly = readOnly;
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

    /** Reads {@code len} bytes at byte offset {@code pos} into {@code dst[off..]}. */
    public synchronized void read(long pos, byte[] dst, int off, int len) {
        check(pos, len);
        ensureOpen();
        ByteBuffer b = ByteBuffer.wrap(dst, off, len);
        try {
            while (b.hasRemaining()) {
                int n = channel.read(b, pos + (b.position() - off));
                if (n < 0) { // sparse tail past the last write: zeros
                    while (b.hasRemaining()) b.put((byte) 0);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
        if (count == 0) return; // nothing to do, wherever it is (blkback accepts it)
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
        closed = true;
        channel.close();
    }
}
