package xensim.abi;

/**
 * Little-endian access to one 4 KiB page of shared memory, as x86 sees it. Ring code
 * ({@code io/ring.h}, the xenstore and console interfaces) is written against this, so the same
 * code runs on a guest's own page and on a backend's grant mapping of it (whose writes the
 * hypervisor observes). The {@code Acquire}/{@code Release} variants are the barriers of
 * {@code xen_rmb}/{@code xen_wmb} around ring indexes.
 *
 * <p>Offsets are byte offsets within the page; out-of-range access throws
 * {@link IndexOutOfBoundsException}.
 */
public interface PageBytes {
    int PAGE_SIZE = 4096;

    byte getByte(int off);

    void putByte(int off, byte v);

    short getShort(int off);

    void putShort(int off, short v);

    int getInt(int off);

    void putInt(int off, int v);

    long getLong(int off);

    void putLong(int off, long v);

    /** Load with acquire semantics (a read of a ring index before reading the slots). */
    int getIntAcquire(int off);

    /** Store with release semantics (publish a ring index after writing the slots). */
    void putIntRelease(int off, int v);

    void getBytes(int off, byte[] dst, int dstOff, int len);

    void putBytes(int off, byte[] src, int srcOff, int len);

    default void fill(int off, int len, byte v) {
        for (int i = 0; i < len; i++) putByte(off + i, v);
    }
}
