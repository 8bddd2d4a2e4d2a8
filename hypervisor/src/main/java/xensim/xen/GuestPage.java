package xensim.xen;

import java.util.Arrays;
import java.util.Objects;
import xensim.abi.PageBytes;

/**
 * One gfn of a guest's memory as its CPU sees it (see {@link GuestMemory#page(long)}): every access
 * goes through the physmap, so after the guest removes or replaces the page at this gfn the view
 * follows (unlike a backend's {@link GrantMapping}, which keeps the page it mapped). Reads of
 * untouched RAM and of holes return zeros; the first write to RAM allocates the page; writes to a
 * hole are dropped. No events: this is plain memory access.
 */
public final class GuestPage implements PageBytes {
    private record Resolved(Page page, long generation) {}

    private final GuestMemory memory;
    private final long gfn;
    private volatile Resolved resolved;

    GuestPage(GuestMemory memory, long gfn) {
        this.memory = memory;
        this.gfn = gfn;
    }

    public long gfn() {
        return gfn;
    }

    public GuestMemory memory() {
        return memory;
    }

    /** The page currently behind this gfn, or null (untouched RAM or a hole). */
    public Page backing() {
        return forRead();
    }

    private Page forRead() {
        long g = memory.generation();
        Resolved r = resolved;
        if (r != null && r.generation == g) return r.page;
        Page p = memory.lookup(gfn);
        if (p != null) resolved = new Resolved(p, g);
        return p;
    }

    private Page forWrite() {
        Page p = forRead();
        if (p != null) return p;
        long g = memory.generation();
        p = memory.populateOnWrite(gfn);
        if (p != null) resolved = new Resolved(p, g);
        return p;
    }

    private static void check(int off, int len) {
        Objects.checkFromIndexSize(off, len, PAGE_SIZE);
    }

    private Page dropped(int off, int len) {
        check(off, len);
        memory.droppedWrite();
        return null;
    }

    @Override
    public byte getByte(int off) {
        Page p = forRead();
        if (p == null) { check(off, 1); return 0; }
        return p.getByte(off);
    }

    @Override
    public void putByte(int off, byte v) {
        Page p = forWrite();
        if (p == null) { dropped(off, 1); return; }
        p.putByte(off, v);
    }

    @Override
    public short getShort(int off) {
        Page p = forRead();
        if (p == null) { check(off, 2); return 0; }
        return p.getShort(off);
    }

    @Override
    public void putShort(int off, short v) {
        Page p = forWrite();
        if (p == null) { dropped(off, 2); return; }
        p.putShort(off, v);
    }

    @Override
    public int getInt(int off) {
        Page p = forRead();
        if (p == null) { check(off, 4); return 0; }
        return p.getInt(off);
    }

    @Override
    public void putInt(int off, int v) {
        Page p = forWrite();
        if (p == null) { dropped(off, 4); return; }
        p.putInt(off, v);
    }

    @Override
    public long getLong(int off) {
        Page p = forRead();
        if (p == null) { check(off, 8); return 0; }
        return p.getLong(off);
    }

    @Override
    public void putLong(int off, long v) {
        Page p = forWrite();
        if (p == null) { dropped(off, 8); return; }
        p.putLong(off, v);
    }

    @Override
    public int getIntAcquire(int off) {
        Page p = forRead();
        if (p == null) { check(off, 4); return 0; }
        return p.getIntAcquire(off);
    }

    @Override
    public void putIntRelease(int off, int v) {
        Page p = forWrite();
        if (p == null) { dropped(off, 4); return; }
        p.putIntRelease(off, v);
    }

    /**
     * Atomic compare-and-set of an aligned 32-bit word ({@code lock cmpxchg}). On a hole the read
     * sees 0 and the write is dropped: it "succeeds" iff {@code expect == 0}.
     */
    public boolean compareAndSetInt(int off, int expect, int update) {
        Page p = forWrite();
        if (p == null) { dropped(off, 4); return expect == 0; }
        return p.compareAndSetInt(off, expect, update);
    }

    @Override
    public void getBytes(int off, byte[] dst, int dstOff, int len) {
        Page p = forRead();
        if (p == null) {
            check(off, len);
            Objects.checkFromIndexSize(dstOff, len, dst.length);
            Arrays.fill(dst, dstOff, dstOff + len, (byte) 0);
            return;
        }
        p.getBytes(off, dst, dstOff, len);
    }

    @Override
    public void putBytes(int off, byte[] src, int srcOff, int len) {
        Page p = forWrite();
        if (p == null) { dropped(off, len); return; }
        p.putBytes(off, src, srcOff, len);
    }

    @Override
    public void fill(int off, int len, byte v) {
        Page p = forWrite();
        if (p == null) { dropped(off, len); return; }
        p.fill(off, len, v);
    }

    @Override
    public String toString() {
        return "GuestPage[d" + memory.domid() + " gfn=0x" + Long.toHexString(gfn) + "]";
    }
}
