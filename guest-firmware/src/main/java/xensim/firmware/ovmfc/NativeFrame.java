package xensim.firmware.ovmfc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import xensim.xen.FrameStorage;

/** A page's 4 KiB in native memory (a direct buffer over the backing's machine view). */
final class NativeFrame implements FrameStorage {
    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    final long slot;
    private final ByteBuffer b;

    NativeFrame(long slot, ByteBuffer b) {
        this.slot = slot;
        this.b = b.order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override public byte getByte(int off) { return b.get(off); }
    @Override public void putByte(int off, byte v) { b.put(off, v); }
    @Override public short getShort(int off) { return (short) SHORT.get(b, off); }
    @Override public void putShort(int off, short v) { SHORT.set(b, off, v); }
    @Override public int getInt(int off) { return (int) INT.get(b, off); }
    @Override public void putInt(int off, int v) { INT.set(b, off, v); }
    @Override public long getLong(int off) { return (long) LONG.get(b, off); }
    @Override public void putLong(int off, long v) { LONG.set(b, off, v); }
    @Override public int getIntAcquire(int off) { return (int) INT.getAcquire(b, off); }
    @Override public void putIntRelease(int off, int v) { INT.setRelease(b, off, v); }
    @Override public boolean compareAndSetInt(int off, int expect, int update) { return INT.compareAndSet(b, off, expect, update); }

    @Override
    public void getBytes(int off, byte[] dst, int dstOff, int len) {
        b.get(off, dst, dstOff, len);
    }

    @Override
    public void putBytes(int off, byte[] src, int srcOff, int len) {
        b.put(off, src, srcOff, len);
    }

    @Override
    public void fill(int off, int len, byte v) {
        Objects.checkFromIndexSize(off, len, PAGE_SIZE);
        for (int i = 0; i < len; i++) b.put(off + i, v);
    }
}
