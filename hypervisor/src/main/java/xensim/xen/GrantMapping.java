package xensim.xen;

import xensim.abi.PageBytes;
import xensim.platform.EventLog;

/**
 * A backend's mapping of one granted page (the result of GNTTABOP_map_grant_ref), used as the
 * backend's view of the frontend's ring or data page.
 *
 * <p>It refers to the page the grant entry named <em>at map time</em>: Xen pins that page, so if the
 * granting guest later removes or reuses the gfn, writes through this mapping still land in the
 * same page. Every write call (not every byte) emits one FOREIGN_WRITE event (dom = the granting
 * domain; mapper, ref, gfn, off, len, handle, mfn and the page's current type tag), which is how
 * the checker sees DMA into memory the guest's OS owns. Reads emit nothing.
 *
 * <p>After GNTTABOP_unmap_grant_ref (or the mapper's destruction) every access throws
 * {@link GrantMappingFault} and the page is not touched; a write through a read-only mapping throws
 * the same. Thread-safe: writes, bulk reads and invalidation are serialised on the mapping; a
 * scalar read is optimistic (as {@link java.util.concurrent.locks.StampedLock}'s): it reads, then
 * checks the mapping was still valid after the read, so it either happened wholly before the unmap
 * or throws — without a monitor per ring-index read.
 */
public final class GrantMapping implements PageBytes {
    private final int granter;
    private final int mapper;
    private final int ref;
    private final int handle;
    private final long gfn;
    private final boolean readonly;
    private final Page page;
    private final EventLog log;
    private volatile boolean valid = true;

    GrantMapping(int granter, int mapper, int ref, int handle, long gfn, boolean readonly, Page page, EventLog log) {
        this.granter = granter;
        this.mapper = mapper;
        this.ref = ref;
        this.handle = handle;
        this.gfn = gfn;
        this.readonly = readonly;
        this.page = page;
        this.log = log;
    }

    /** The granting domain. */
    public int granter() { return granter; }
    /** The domain that mapped the grant. */
    public int mapper() { return mapper; }
    public int ref() { return ref; }
    /** The grant handle (unmap with it). */
    public int handle() { return handle; }
    /** The gfn the entry named at map time. */
    public long gfn() { return gfn; }
    public boolean readonly() { return readonly; }
    /** Machine frame of the pinned page. */
    public long mfn() { return page.mfn(); }

    /** False once unmapped. */
    public boolean isValid() {
        return valid;
    }

    synchronized void invalidate() {
        valid = false;
    }

    /** The pinned page (the hypervisor's and tests' view; backends use the PageBytes methods). */
    Page page() {
        return page;
    }

    private void checkRead() {
        if (!valid) throw new GrantMappingFault(this + ": access after unmap");
    }

    /** After an optimistic read: the mapping must still have been valid once the value was read. */
    private void validateRead() {
        java.lang.invoke.VarHandle.loadLoadFence();
        checkRead();
    }

    private void checkWrite() {
        if (!valid) throw new GrantMappingFault(this + ": write after unmap");
        if (readonly) throw new GrantMappingFault(this + ": write through a read-only mapping");
    }

    private void written(int off, int len) {
        if (log == null) return;
        log.event(granter, Hypervisor.COMP, "FOREIGN_WRITE")
                .with("mapper", mapper).with("ref", ref).with("gfn", gfn).with("off", off).with("len", len)
                .with("handle", handle).with("mfn", page.mfn()).with("type", page.type())
                .emit();
    }

    @Override
    public byte getByte(int off) {
        checkRead();
        byte v = page.getByte(off);
        validateRead();
        return v;
    }

    @Override
    public synchronized void putByte(int off, byte v) {
        checkWrite();
        page.putByte(off, v);
        written(off, 1);
    }

    @Override
    public short getShort(int off) {
        checkRead();
        short v = page.getShort(off);
        validateRead();
        return v;
    }

    @Override
    public synchronized void putShort(int off, short v) {
        checkWrite();
        page.putShort(off, v);
        written(off, 2);
    }

    @Override
    public int getInt(int off) {
        checkRead();
        int v = page.getInt(off);
        validateRead();
        return v;
    }

    @Override
    public synchronized void putInt(int off, int v) {
        checkWrite();
        page.putInt(off, v);
        written(off, 4);
    }

    @Override
    public long getLong(int off) {
        checkRead();
        long v = page.getLong(off);
        validateRead();
        return v;
    }

    @Override
    public synchronized void putLong(int off, long v) {
        checkWrite();
        page.putLong(off, v);
        written(off, 8);
    }

    @Override
    public int getIntAcquire(int off) {
        checkRead();
        int v = page.getIntAcquire(off);
        validateRead();
        return v;
    }

    @Override
    public synchronized void putIntRelease(int off, int v) {
        checkWrite();
        page.putIntRelease(off, v);
        written(off, 4);
    }

    @Override
    public synchronized void getBytes(int off, byte[] dst, int dstOff, int len) {
        checkRead();
        page.getBytes(off, dst, dstOff, len);
    }

    @Override
    public synchronized void putBytes(int off, byte[] src, int srcOff, int len) {
        checkWrite();
        page.putBytes(off, src, srcOff, len);
        written(off, len);
    }

    @Override
    public synchronized void fill(int off, int len, byte v) {
        checkWrite();
        page.fill(off, len, v);
        written(off, len);
    }

    @Override
    public String toString() {
        return "GrantMapping[d" + mapper + " maps d" + granter + " ref " + ref + " (gfn 0x" + Long.toHexString(gfn)
                + ", handle " + handle + (readonly ? ", ro" : "") + ")]";
    }
}
