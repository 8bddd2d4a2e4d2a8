package xensim.abi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/** A {@link PageBytes} over a plain 4 KiB byte array (little-endian, VarHandle-backed). */
public class ByteArrayPage implements PageBytes {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    protected final byte[] bytes;

    public ByteArrayPage() {
        this(new byte[PAGE_SIZE]);
    }

    public ByteArrayPage(byte[] bytes) {
        if (bytes.length != PAGE_SIZE) throw new IllegalArgumentException("a page is 4096 bytes, not " + bytes.length);
        this.bytes = bytes;
    }

    /** The backing array (the page's own bytes, not a copy). */
    public byte[] array() {
        return bytes;
    }

    @Override public byte getByte(int off) { return bytes[off]; }
    @Override public void putByte(int off, byte v) { bytes[off] = v; }
    @Override public short getShort(int off) { return (short) SHORT.get(bytes, off); }
    @Override public void putShort(int off, short v) { SHORT.set(bytes, off, v); }
    @Override public int getInt(int off) { return (int) INT.get(bytes, off); }
    @Override public void putInt(int off, int v) { INT.set(bytes, off, v); }
    @Override public long getLong(int off) { return (long) LONG.get(bytes, off); }
    @Override public void putLong(int off, long v) { LONG.set(bytes, off, v); }

    @Override
    public int getIntAcquire(int off) {
        checkAligned(off, 4);
        return (int) INT.getAcquire(bytes, off);
    }

    @Override
    public void putIntRelease(int off, int v) {
        checkAligned(off, 4);
        INT.setRelease(bytes, off, v);
    }

    /** Atomic compare-and-set of an aligned 32-bit word (grant entry flags+domid, as Xen's cmpxchg). */
    public boolean compareAndSetInt(int off, int expect, int update) {
        checkAligned(off, 4);
        return INT.compareAndSet(bytes, off, expect, update);
    }

    @Override
    public void getBytes(int off, byte[] dst, int dstOff, int len) {
        System.arraycopy(bytes, off, dst, dstOff, len);
    }

    @Override
    public void putBytes(int off, byte[] src, int srcOff, int len) {
        System.arraycopy(src, srcOff, bytes, off, len);
    }

    @Override
    public void fill(int off, int len, byte v) {
        Objects.checkFromIndexSize(off, len, PAGE_SIZE);
        java.util.Arrays.fill(bytes, off, off + len, v);
    }

    private static void checkAligned(int off, int n) {
        if ((off & (n - 1)) != 0) throw new IllegalArgumentException("unaligned offset " + off);
    }
}
