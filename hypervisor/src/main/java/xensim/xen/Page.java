package xensim.xen;

import java.util.Objects;
import xensim.abi.PageBytes;

/**
 * One 4 KiB machine page: its bytes, its machine frame number, the domain that owns it and a type
 * tag the firmware or OS sets ({@code "Conventional"}, {@code "BootServicesData"}, {@code "OsOwned"},
 * ...). Grant-table frames are Xen's pages ({@link DomId#DOMID_XEN}, type {@code "GrantTable"}).
 *
 * <p>A page object outlives its place in a physmap: a backend's grant mapping keeps referring to it
 * after the guest removed or reused the gfn, exactly as Xen keeps a mapped page pinned.
 */
public final class Page implements PageBytes {
    /** Tag of RAM nobody has tagged yet (EfiConventionalMemory: free). */
    public static final String TYPE_CONVENTIONAL = "Conventional";
    /** Tag of the grant-table frames Xen shares with a guest. */
    public static final String TYPE_GRANT_TABLE = "GrantTable";

    private final long mfn;
    private final int owner;
    private volatile String type;
    private final FrameStorage bytes;

    Page(long mfn, int owner, String type) {
        this(mfn, owner, type, new FrameStorage.Heap());
    }

    /** A page whose bytes live in {@code bytes} (native memory in the real-OVMF mode). */
    Page(long mfn, int owner, String type, FrameStorage bytes) {
        this.bytes = java.util.Objects.requireNonNull(bytes, "bytes");
        this.mfn = mfn;
        this.owner = owner;
        this.type = Objects.requireNonNull(type, "type");
    }

    /** Machine frame number: unique per hypervisor, never reused. */
    public long mfn() {
        return mfn;
    }

    /** Owning domain id ({@link DomId#DOMID_XEN} for grant-table frames). */
    public int owner() {
        return owner;
    }

    public String type() {
        return type;
    }

    public void setType(String type) {
        this.type = Objects.requireNonNull(type, "type");
    }

    /** Where the bytes live. */
    public FrameStorage storage() {
        return bytes;
    }

    @Override public byte getByte(int off) { return bytes.getByte(off); }
    @Override public void putByte(int off, byte v) { bytes.putByte(off, v); }
    @Override public short getShort(int off) { return bytes.getShort(off); }
    @Override public void putShort(int off, short v) { bytes.putShort(off, v); }
    @Override public int getInt(int off) { return bytes.getInt(off); }
    @Override public void putInt(int off, int v) { bytes.putInt(off, v); }
    @Override public long getLong(int off) { return bytes.getLong(off); }
    @Override public void putLong(int off, long v) { bytes.putLong(off, v); }
    @Override public int getIntAcquire(int off) { return bytes.getIntAcquire(off); }
    @Override public void putIntRelease(int off, int v) { bytes.putIntRelease(off, v); }
    @Override public void getBytes(int off, byte[] dst, int dstOff, int len) { bytes.getBytes(off, dst, dstOff, len); }
    @Override public void putBytes(int off, byte[] src, int srcOff, int len) { bytes.putBytes(off, src, srcOff, len); }
    @Override public void fill(int off, int len, byte v) { bytes.fill(off, len, v); }

    /** Atomic compare-and-set of an aligned 32-bit word (grant entry flags+domid, as Xen's cmpxchg). */
    public boolean compareAndSetInt(int off, int expect, int update) {
        return bytes.compareAndSetInt(off, expect, update);
    }

    @Override
    public String toString() {
        return "Page[mfn=0x" + Long.toHexString(mfn) + ", owner=d" + owner + ", type=" + type + "]";
    }
}
