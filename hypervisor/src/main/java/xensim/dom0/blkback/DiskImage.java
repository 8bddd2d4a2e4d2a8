package xensim.dom0.blkback;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;

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
 *
 * <p>Holes cost no syscall: the image keeps a bitmap of its 4 KiB blocks that may hold data
 * ({@link Extents}), learned when it is opened from the file itself ({@code lseek(SEEK_DATA /
 * SEEK_HOLE)}, where the file system answers it; otherwise every block counts as data) and
 * extended by every write. A read that touches only blocks outside it is a hole and is answered
 * with zeros, as the kernel would; any other read is a positional read of the file. Writes always
 * go to the file, so the image stays a plain raw file other tools read. The bitmap assumes the
 * image is blkback's while it is open (as qdisk locks its image): a write by another process
 * meanwhile into a hole would not be seen; instances in this JVM share one bitmap per file.
 *
 * <p>Plugged reads (Linux blkback's {@code blk_start_plug} .. {@code blk_finish_plug} around the
 * requests of one ring wake-up, where the block layer merges back-to-back bios into one): blkback
 * tells the image which byte ranges the READs it consumed in one wake-up cover back to back
 * ({@link #plugRead}); the first of those reads that needs the file reads the whole merged range
 * with one positional read, and the others are copied from it. The merged data is dropped by any
 * write to the file through any open instance in this JVM (a write counter shared with the bitmap,
 * counted before and after the write), so every read returns what its own positional read would
 * have; the same assumption as the bitmap's holds (no other process writes the image meanwhile).
 * The merged range lives in one buffer per thread ({@link #MAX_MERGE} bytes, shared by the images
 * that thread serves): when another image's merge replaces it first, the remaining reads are
 * positional reads of their own again.
 */
public final class DiskImage implements AutoCloseable {
    public static final int SECTOR_SIZE = 512;

    /** The bitmap's granularity: a page, the unit blkif segments come in. */
    static final int BLOCK = 4096;

    private final Path path;
    private final FileChannel channel;
    private final long sectors;
    private final boolean readOnly;
    private final Extents extents;
    /** One page of native memory for positional reads and writes (no temporary direct buffer per call). */
    private final ByteBuffer io = ByteBuffer.allocateDirect(BLOCK);
    private boolean closed;

    /** The longest merged read (Linux's BLK_DEF_MAX_SECTORS is 1280 KiB; 32 pages is what a wake-up of one 32-slot ring reads in 4 KiB requests). */
    public static final int MAX_MERGE = 32 * BLOCK;
    /** Plugged ranges not read yet, oldest first: {@code [start, end)} pairs. */
    private final long[] plugged = new long[2 * 8];
    private int pluggedCount;
    /** A merged read of this image was made (on some thread): reads look for it. */
    private boolean mergedHere;
    /** Positional reads of the file (tests: merging is seen, not assumed). */
    private long fileReads;

    /** The merged range one thread read last: whose it is, what it holds, and the write count it was read at. */
    private static final class Merged {
        final ByteBuffer buf = ByteBuffer.allocateDirect(MAX_MERGE); // made on a thread's first merged read, not before
        DiskImage owner;
        long start;
        long end;
        long writes;
    }

    private static final ThreadLocal<Merged> MERGED = new ThreadLocal<>();

    private DiskImage(Path path, FileChannel channel, long sectors, boolean readOnly, Extents extents) {
        this.path = path;
        this.channel = channel;
        this.sectors = sectors;
        this.readOnly = readOnly;
        this.extents = extents;
    }

    /** Creates (or truncates) a sparse image of {@code sectors} sectors. */
    public static DiskImage create(Path path, long sectors) throws IOException {
        if (sectors <= 0) throw new IllegalArgumentException("a disk needs at least one sector");
        Files.createDirectories(path.toAbsolutePath().getParent());
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SPARSE);
        // extend sparsely: one byte at the end
        ch.write(ByteBuffer.wrap(new byte[1]), sectors * SECTOR_SIZE - 1);
        Extents e = Extents.acquire(path, sectors * SECTOR_SIZE, true);
        e.markWritten(sectors * SECTOR_SIZE - 1, 1);
        return new DiskImage(path, ch, sectors, false, e);
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
        Extents e;
        try {
            e = Extents.acquire(path, size, false);
        } catch (IOException | RuntimeException x) {
            ch.close();
            throw x;
        }
        return new DiskImage(path, ch, size / SECTOR_SIZE, readOnly, e);
    }

    public Path path() { return path; }
    public long sectors() { return sectors; }
    public boolean readOnly() { return readOnly; }

    /** Reads {@code len} bytes at byte offset {@code pos} into {@code dst[off..]}. */
    public synchronized void read(long pos, byte[] dst, int off, int len) {
        check(pos, len);
        ensureOpen();
        if (!extents.mayHoldData(pos, len)) { // a hole: what the file reads as, without asking it
            java.util.Arrays.fill(dst, off, off + len, (byte) 0);
            return;
        }
        try {
            if (pluggedCount > 0 || mergedHere) {
                ByteBuffer merged = mergedFor(pos, len);
                if (merged != null) {
                    merged.get(dst, off, len);
                    return;
                }
            }
            for (int done = 0; done < len; ) {
                int chunk = Math.min(BLOCK, len - done);
                io.clear().limit(chunk);
                readFully(io, pos + done);
                io.flip().get(dst, off + done, chunk);
                done += chunk;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether a read of {@code len} bytes at {@code pos} would read only a hole (zeros, no
     * syscall); the same range and open checks as {@link #read}, so it fails where that would.
     */
    public synchronized boolean isHole(long pos, int len) {
        check(pos, len);
        ensureOpen();
        return !extents.mayHoldData(pos, len);
    }

    /**
     * blk_start_plug .. blk_finish_plug: READs of {@code [pos, pos + len)}, back to back, were
     * consumed in one wake-up; their first read that needs the file reads all of it at once.
     * Ranges longer than {@link #MAX_MERGE} or outside the disk are ignored (each read reads its own).
     */
    public synchronized void plugRead(long pos, long len) {
        if (closed || len <= 0 || len > MAX_MERGE || pos < 0 || pos + len > sectors * SECTOR_SIZE) return;
        if (pluggedCount == plugged.length / 2) { // the oldest is forgotten: its reads read their own
            System.arraycopy(plugged, 2, plugged, 0, plugged.length - 2);
            pluggedCount--;
        }
        plugged[2 * pluggedCount] = pos;
        plugged[2 * pluggedCount + 1] = pos + len;
        pluggedCount++;
    }

    /**
     * The merged data for {@code [pos, pos + len)}, positioned and limited to it: this thread's
     * merged range if it is this image's, holds the range and no write came since; else, if a
     * plugged range holds it, that range read now (one positional read). Null: read it alone.
     */
    private ByteBuffer mergedFor(long pos, int len) throws IOException {
        Merged m = MERGED.get();
        long end = pos + len;
        if (m != null && m.owner == this && m.writes == extents.writes() && pos >= m.start && end <= m.end) {
            return m.buf.limit((int) (end - m.start)).position((int) (pos - m.start));
        }
        for (int i = 0; i < pluggedCount; i++) {
            long ps = plugged[2 * i], pe = plugged[2 * i + 1];
            if (pos < ps || end > pe) continue;
            System.arraycopy(plugged, 2 * i + 2, plugged, 2 * i, 2 * (pluggedCount - i - 1));
            pluggedCount--;
            if (m == null) MERGED.set(m = new Merged());
            m.owner = null;
            mergedHere = true;
            long writes = extents.writes(); // before the read: a write meanwhile leaves it stale, and counts again after
            m.buf.clear().limit((int) (pe - ps));
            readFully(m.buf, ps);
            m.owner = this;
            m.start = ps;
            m.end = pe;
            m.writes = writes;
            return m.buf.limit((int) (end - ps)).position((int) (pos - ps));
        }
        return null;
    }

    /** One positional read of {@code buf}'s remaining bytes at {@code pos} (pread; zeros past the end of the file). */
    private void readFully(ByteBuffer buf, long pos) throws IOException {
        long at = pos - buf.position();
        fileReads++;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, at + buf.position());
            if (n < 0) { // past the end of the file: zeros
                while (buf.hasRemaining()) buf.put((byte) 0);
            }
        }
    }

    /** Positional reads of the file so far (tests). */
    synchronized long fileReads() {
        return fileReads;
    }

    /** Writes {@code len} bytes from {@code src[off..]} at byte offset {@code pos}. */
    public synchronized void write(long pos, byte[] src, int off, int len) {
        if (readOnly) throw new IllegalStateException(path + " is read-only");
        check(pos, len);
        ensureOpen();
        extents.markWritten(pos, len); // before the write: a failed write may have left data
        try {
            for (int done = 0; done < len; ) {
                int chunk = Math.min(BLOCK, len - done);
                io.clear();
                io.put(src, off + done, chunk).flip();
                while (io.hasRemaining()) channel.write(io, pos + done + io.position());
                done += chunk;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            extents.written(); // and after: a merged read that began meanwhile is stale too
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
        if (!closed) extents.release();
        Merged m = MERGED.get();
        if (m != null && m.owner == this) m.owner = null;
        pluggedCount = 0;
        closed = true;
        channel.close();
    }

    /** True if a read of {@code len} bytes at {@code pos} would ask the file (tests). */
    synchronized boolean readsFile(long pos, int len) {
        return extents.mayHoldData(pos, len);
    }

    /**
     * Which {@link #BLOCK}s of one image file may hold data: a bitmap in chunks of 2^18 blocks
     * (1 GiB), a chunk allocated when its first block is marked. Shared by every open
     * {@link DiskImage} of the file in this JVM (keyed by the file's identity), released when the
     * last one closes.
     */
    static final class Extents {
        private static final int CHUNK_BITS = 18;
        private static final Map<Object, Extents> OPEN = new HashMap<>();

        private final Object key;
        private final long[][] chunks;
        private int refs;
        /** Counted before and after every write to the file (merged reads older than the last count are stale). */
        private volatile long writes;

        private Extents(Object key, long size) {
            this.key = key;
            long blocks = (size + BLOCK - 1) / BLOCK;
            this.chunks = new long[(int) ((blocks + (1L << CHUNK_BITS) - 1) >>> CHUNK_BITS)][];
        }

        /**
         * The extents of the file at {@code path}: those of an instance already open, else learned
         * from the file (unless {@code fresh}: a file just created and truncated holds nothing yet).
         */
        static Extents acquire(Path path, long size, boolean fresh) throws IOException {
            Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            synchronized (OPEN) {
                Extents e = key == null ? null : OPEN.get(key);
                if (e == null || fresh) {
                    e = new Extents(key, size);
                    if (!fresh) {
                        long[][] data = SeekData.dataRanges(path, size);
                        if (data == null) e.markWritten(0, size);
                        else for (long[] r : data) e.markWritten(r[0], r[1] - r[0]);
                    }
                    if (key != null) OPEN.put(key, e);
                }
                e.refs++;
                return e;
            }
        }

        void release() {
            synchronized (OPEN) {
                if (--refs == 0 && key != null && OPEN.get(key) == this) OPEN.remove(key);
            }
        }

        long writes() {
            return writes;
        }

        /** A write to the file has ended. */
        synchronized void written() {
            writes++;
        }

        synchronized void markWritten(long pos, long len) {
            writes++;
            if (len <= 0) return;
            for (long b = pos / BLOCK, last = (pos + len - 1) / BLOCK; b <= last; b++) {
                int c = (int) (b >>> CHUNK_BITS);
                if (c >= chunks.length) return;
                long[] chunk = chunks[c];
                if (chunk == null) chunk = chunks[c] = new long[1 << (CHUNK_BITS - 6)];
                int i = (int) (b & ((1 << CHUNK_BITS) - 1));
                chunk[i >>> 6] |= 1L << i;
            }
        }

        synchronized boolean mayHoldData(long pos, long len) {
            if (len <= 0) return false;
            for (long b = pos / BLOCK, last = (pos + len - 1) / BLOCK; b <= last; b++) {
                int c = (int) (b >>> CHUNK_BITS);
                if (c >= chunks.length) return true;
                long[] chunk = chunks[c];
                if (chunk == null) continue;
                int i = (int) (b & ((1 << CHUNK_BITS) - 1));
                if ((chunk[i >>> 6] & (1L << i)) != 0) return true;
            }
            return false;
        }
    }
}
