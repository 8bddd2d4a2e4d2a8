package xensim.abi;

/**
 * {@code io/console.h}: {@code struct xencons_interface}, the PV console page.
 *
 * <pre>
 * struct xencons_interface {
 *     char in[1024];                      // 0    (backend → guest)
 *     char out[2048];                     // 1024 (guest → backend)
 *     XENCONS_RING_IDX in_cons, in_prod;  // 3072, 3076
 *     XENCONS_RING_IDX out_cons, out_prod;// 3080, 3084
 * };
 * </pre>
 */
public final class XenconsInterface {
    private XenconsInterface() {}

    public static final int IN = 0;
    public static final int IN_SIZE = 1024;
    public static final int OUT = 1024;
    public static final int OUT_SIZE = 2048;
    public static final int IN_CONS = 3072;
    public static final int IN_PROD = 3076;
    public static final int OUT_CONS = 3080;
    public static final int OUT_PROD = 3084;
    public static final int SIZE = 3088;

    /** MASK_XENCONS_IDX(idx, ring) for the out ring. */
    public static int maskOut(int idx) {
        return idx & (OUT_SIZE - 1);
    }

    /** Guest side: appends bytes to the out ring; returns how many fit. */
    public static int writeOut(PageBytes p, byte[] src, int off, int len) {
        int cons = p.getIntAcquire(OUT_CONS);
        int prod = p.getInt(OUT_PROD);
        int used = prod - cons;
        if (Integer.compareUnsigned(used, OUT_SIZE) > 0) return -1;
        int n = Math.min(OUT_SIZE - used, len);
        for (int i = 0; i < n; i++) p.putByte(OUT + maskOut(prod + i), src[off + i]);
        if (n > 0) p.putIntRelease(OUT_PROD, prod + n);
        return n;
    }

    /** Backend side: takes everything in the out ring; null if the indexes are insane. */
    public static byte[] drainOut(PageBytes p) {
        int cons = p.getInt(OUT_CONS);
        int prod = p.getIntAcquire(OUT_PROD);
        int used = prod - cons;
        if (Integer.compareUnsigned(used, OUT_SIZE) > 0) return null;
        byte[] b = new byte[used];
        for (int i = 0; i < used; i++) b[i] = p.getByte(OUT + maskOut(cons + i));
        p.putIntRelease(OUT_CONS, prod);
        return b;
    }
}
