package xensim.xen;

import java.util.Objects;
import xensim.abi.ByteArrayPage;

/**
 * One 4 KiB machine page: its bytes, its machine frame number, the domain that owns it and a type
 * tag the firmware or OS sets ({@code "Conventional"}, {@code "BootServicesData"}, {@code "OsOwned"},
 * ...). Grant-table frames are Xen's pages ({@link DomId#DOMID_XEN}, type {@code "GrantTable"}).
 *
 * <p>A page object outlives its place in a physmap: a backend's grant mapping keeps referring to it
 * after the guest removed or reused the gfn, exactly as Xen keeps a mapped page pinned.
 */
public final class Page extends ByteArrayPage {
    /** Tag of RAM nobody has tagged yet (EfiConventionalMemory: free). */
    public static final String TYPE_CONVENTIONAL = "Conventional";
    /** Tag of the grant-table frames Xen shares with a guest. */
    public static final String TYPE_GRANT_TABLE = "GrantTable";

    private final long mfn;
    private final int owner;
    private volatile String type;

    Page(long mfn, int owner, String type) {
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

    @Override
    public String toString() {
        return "Page[mfn=0x" + Long.toHexString(mfn) + ", owner=d" + owner + ", type=" + type + "]";
    }
}
