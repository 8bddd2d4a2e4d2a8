package xensim.abi;

/**
 * Byte-stream access to the two rings of a {@code struct xenstore_domain_interface} page
 * ({@code io/xs_wire.h}): {@code req[1024]} at 0 (guest produces, xenstored consumes) and
 * {@code rsp[1024]} at 1024 (xenstored produces, guest consumes), with free-running 32-bit indexes
 * and {@code MASK_XENSTORE_IDX}. Both ends use the same logic mirrored, as Linux's xenbus_comms.c
 * and xenstored's domain.c do: check the indexes are sane ({@code prod - cons <= RING_SIZE}), copy
 * the contiguous chunk, barrier, publish the index.
 */
public final class XenstoreRing {
    private XenstoreRing() {}

    public static final int REQ = 0;
    public static final int RSP = 1024;
    public static final int REQ_CONS = 2048;
    public static final int REQ_PROD = 2052;
    public static final int RSP_CONS = 2056;
    public static final int RSP_PROD = 2060;
    public static final int SERVER_FEATURES = 2064;
    public static final int CONNECTION = 2068;
    public static final int ERROR = 2072;
    /** sizeof(struct xenstore_domain_interface). */
    public static final int SIZE = 2076;

    /** Returned when the indexes are insane (the peer corrupted them): XENSTORE_ERROR_RINGIDX. */
    public static final int BAD_INDEXES = -1;

    /** Guest side: appends up to {@code len} bytes to the request ring; returns bytes written. */
    public static int writeRequest(PageBytes p, byte[] src, int off, int len) {
        return write(p, REQ, REQ_CONS, REQ_PROD, src, off, len);
    }

    /** Server side: takes up to {@code len} bytes from the request ring; returns bytes read. */
    public static int readRequest(PageBytes p, byte[] dst, int off, int len) {
        return read(p, REQ, REQ_CONS, REQ_PROD, dst, off, len);
    }

    /** Server side: appends up to {@code len} bytes to the response ring; returns bytes written. */
    public static int writeResponse(PageBytes p, byte[] src, int off, int len) {
        return write(p, RSP, RSP_CONS, RSP_PROD, src, off, len);
    }

    /** Guest side: takes up to {@code len} bytes from the response ring; returns bytes read. */
    public static int readResponse(PageBytes p, byte[] dst, int off, int len) {
        return read(p, RSP, RSP_CONS, RSP_PROD, dst, off, len);
    }

    /** Bytes waiting in the request ring (or {@link #BAD_INDEXES}). */
    public static int requestBytesAvailable(PageBytes p) {
        return used(p.getIntAcquire(REQ_CONS), p.getIntAcquire(REQ_PROD));
    }

    /** Bytes waiting in the response ring (or {@link #BAD_INDEXES}). */
    public static int responseBytesAvailable(PageBytes p) {
        return used(p.getIntAcquire(RSP_CONS), p.getIntAcquire(RSP_PROD));
    }

    /** True when both rings are empty: nothing in flight in either direction. */
    public static boolean quiescent(PageBytes p) {
        return p.getIntAcquire(REQ_CONS) == p.getIntAcquire(REQ_PROD)
                && p.getIntAcquire(RSP_CONS) == p.getIntAcquire(RSP_PROD);
    }

    private static int used(int cons, int prod) {
        int n = prod - cons; // unsigned 32-bit distance, correct across the wrap
        return Integer.compareUnsigned(n, XsWire.XENSTORE_RING_SIZE) > 0 ? BAD_INDEXES : n;
    }

    private static int write(PageBytes p, int ring, int consOff, int prodOff, byte[] src, int off, int len) {
        int cons = p.getIntAcquire(consOff);
        int prod = p.getInt(prodOff);
        int used = used(cons, prod);
        if (used == BAD_INDEXES) return BAD_INDEXES;
        int space = XsWire.XENSTORE_RING_SIZE - used;
        int n = Math.min(space, len);
        int done = 0;
        while (done < n) {
            int at = XsWire.maskIdx(prod + done);
            int chunk = Math.min(n - done, XsWire.XENSTORE_RING_SIZE - at);
            p.putBytes(ring + at, src, off + done, chunk);
            done += chunk;
        }
        if (n > 0) p.putIntRelease(prodOff, prod + n); // xen_wmb(); intf->prod += n
        return n;
    }

    private static int read(PageBytes p, int ring, int consOff, int prodOff, byte[] dst, int off, int len) {
        int cons = p.getInt(consOff);
        int prod = p.getIntAcquire(prodOff); // xen_rmb() after reading prod
        int used = used(cons, prod);
        if (used == BAD_INDEXES) return BAD_INDEXES;
        int n = Math.min(used, len);
        int done = 0;
        while (done < n) {
            int at = XsWire.maskIdx(cons + done);
            int chunk = Math.min(n - done, XsWire.XENSTORE_RING_SIZE - at);
            p.getBytes(ring + at, dst, off + done, chunk);
            done += chunk;
        }
        if (n > 0) p.putIntRelease(consOff, cons + n); // xen_mb(); intf->cons += n
        return n;
    }
}
