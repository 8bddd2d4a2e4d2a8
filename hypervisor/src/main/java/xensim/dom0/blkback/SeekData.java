package xensim.dom0.blkback;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a sparse file holds data: Linux's {@code lseek(fd, off, SEEK_DATA)} and
 * {@code lseek(fd, off, SEEK_HOLE)} (lseek(2); the JDK has no call for them), through JNA. A file
 * system without hole support answers the whole file as data, which is what callers assume when
 * this gives up.
 */
final class SeekData {
    private SeekData() {}

    private static final int O_RDONLY = 0;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int ENXIO = 6;

    /** The few libc calls used. */
    interface LibC extends Library {
        int open(String path, int flags);

        long lseek(int fd, long offset, int whence);

        int close(int fd);
    }

    private static final LibC LIBC = load();

    private static LibC load() {
        if (!Platform.isLinux()) return null;
        try {
            return Native.load("c", LibC.class);
        } catch (Throwable e) { // no JNA native support here: every block counts as data
            return null;
        }
    }

    /**
     * The data ranges {@code [start, end)} of the file at {@code path} of {@code size} bytes, in
     * order; null when the system cannot tell (the caller then treats the whole file as data).
     */
    static long[][] dataRanges(Path path, long size) {
        if (LIBC == null) return null;
        int fd = LIBC.open(path.toString(), O_RDONLY);
        if (fd < 0) return null;
        try {
            List<long[]> ranges = new ArrayList<>();
            long off = 0;
            while (off < size) {
                long data = LIBC.lseek(fd, off, SEEK_DATA);
                if (data < 0) {
                    if (Native.getLastError() == ENXIO) break; // no data after off
                    return null;
                }
                long hole = LIBC.lseek(fd, data, SEEK_HOLE);
                if (hole < 0) return null;
                if (hole <= data) return null; // not what lseek(2) promises: do not trust it
                ranges.add(new long[] {data, Math.min(hole, size)});
                off = hole;
            }
            return ranges.toArray(new long[0][]);
        } finally {
            LIBC.close(fd);
        }
    }
}
