package xensim.abi;

import java.lang.invoke.VarHandle;

/**
 * {@code io/ring.h}: a shared request/response ring on one 4 KiB page.
 *
 * <pre>
 * struct __name##_sring {
 *     RING_IDX req_prod, req_event;   // offsets 0, 4
 *     RING_IDX rsp_prod, rsp_event;   // offsets 8, 12
 *     union { ... uint8_t pvt_pad[4]; } pvt;   // 16
 *     uint8_t __pad[44];              // 20
 *     union __name##_sring_entry ring[1];      // 64: entries of max(req, rsp) size
 * };
 * </pre>
 *
 * RING_IDX is an unsigned 32-bit free-running index: Java {@code int} arithmetic wraps exactly as
 * C's {@code uint32_t} does, and differences are compared unsigned. Front and back ends keep
 * private indexes ({@link FrontRing}, {@link BackRing}); the shared ones are read with acquire and
 * published with release (xen_rmb / xen_wmb).
 */
public final class SharedRing {
    private SharedRing() {}

    public static final int REQ_PROD = 0;
    public static final int REQ_EVENT = 4;
    public static final int RSP_PROD = 8;
    public static final int RSP_EVENT = 12;
    public static final int PVT = 16;
    /** offsetof(struct sring, ring). */
    public static final int RING = 64;

    /** {@code __CONST_RING_SIZE}: entries that fit after the header, rounded down to a power of two. */
    public static int ringSize(int entrySize, int pageSize) {
        if (entrySize <= 0) throw new IllegalArgumentException("entry size " + entrySize);
        int n = (pageSize - RING) / entrySize;
        return n <= 0 ? 0 : Integer.highestOneBit(n);
    }

    /** {@code SHARED_RING_INIT}: indexes 0, events 1, header padding zeroed. */
    public static void init(PageBytes p) {
        p.putInt(REQ_PROD, 0);
        p.putInt(RSP_PROD, 0);
        p.putInt(REQ_EVENT, 1);
        p.putInt(RSP_EVENT, 1);
        p.fill(PVT, RING - PVT, (byte) 0);
    }

    /** Unsigned comparison of two RING_IDX differences: {@code (RING_IDX)a < (RING_IDX)b}. */
    static boolean lessUnsigned(int a, int b) {
        return Integer.compareUnsigned(a, b) < 0;
    }

    /** The frontend's view (FRONT_RING_INIT): produces requests, consumes responses. */
    public static final class FrontRing {
        private final PageBytes page;
        private final int entrySize;
        private final int size;
        /** Private producer index of requests not yet pushed. */
        public int reqProdPvt;
        /** Consumer index of responses. */
        public int rspCons;

        public FrontRing(PageBytes page, int entrySize) {
            this.page = page;
            this.entrySize = entrySize;
            this.size = ringSize(entrySize, PageBytes.PAGE_SIZE);
        }

        public PageBytes page() { return page; }

        /** RING_SIZE. */
        public int size() { return size; }

        /** Byte offset of the entry for index {@code idx} (RING_GET_REQUEST/RESPONSE). */
        public int slot(int idx) {
            return RING + (idx & (size - 1)) * entrySize;
        }

        /** RING_FREE_REQUESTS. */
        public int freeRequests() {
            return size - (reqProdPvt - rspCons);
        }

        /** RING_FULL. */
        public boolean full() {
            return freeRequests() == 0;
        }

        /** RING_HAS_UNCONSUMED_RESPONSES (the count). */
        public int unconsumedResponses() {
            return page.getIntAcquire(RSP_PROD) - rspCons;
        }

        /** The shared rsp_prod (acquire). */
        public int sharedRspProd() {
            return page.getIntAcquire(RSP_PROD);
        }

        /**
         * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: publishes req_prod; true if the backend must be kicked.
         * As ring.h, a full barrier (virt_mb) between the store of req_prod and the load of req_event:
         * release and acquire alone let the load pass the store (x86 reorders exactly that), and then
         * a backend arming req_event meanwhile is never kicked and neither side runs again.
         */
        public boolean pushRequestsAndCheckNotify() {
            int old = page.getInt(REQ_PROD);
            int neu = reqProdPvt;
            page.putIntRelease(REQ_PROD, neu);
            VarHandle.fullFence();
            int event = page.getIntAcquire(REQ_EVENT);
            return lessUnsigned(neu - event, neu - old);
        }

        /** RING_FINAL_CHECK_FOR_RESPONSES: arms rsp_event, a full barrier (virt_mb, as ring.h), then re-checks; true if there is work. */
        public boolean finalCheckForResponses() {
            if (unconsumedResponses() != 0) return true;
            page.putIntRelease(RSP_EVENT, rspCons + 1);
            VarHandle.fullFence();
            return unconsumedResponses() != 0;
        }

        /** RING_RESPONSE_PROD_OVERFLOW: an ill-behaved backend claims more responses than possible. */
        public boolean responseProdOverflow(int prod) {
            return Integer.compareUnsigned(prod - rspCons, size) > 0;
        }
    }

    /** The backend's view (BACK_RING_INIT / BACK_RING_ATTACH): consumes requests, produces responses. */
    public static final class BackRing {
        private final PageBytes page;
        private final int entrySize;
        private final int size;
        /** Private producer index of responses not yet pushed. */
        public int rspProdPvt;
        /** Consumer index of requests. */
        public int reqCons;

        public BackRing(PageBytes page, int entrySize) {
            this(page, entrySize, 0);
        }

        /** BACK_RING_ATTACH: resume at index {@code start} (a restarted backend passes the shared rsp_prod). */
        public BackRing(PageBytes page, int entrySize, int start) {
            this.page = page;
            this.entrySize = entrySize;
            this.size = ringSize(entrySize, PageBytes.PAGE_SIZE);
            this.rspProdPvt = start;
            this.reqCons = start;
        }

        public PageBytes page() { return page; }

        public int size() { return size; }

        public int slot(int idx) {
            return RING + (idx & (size - 1)) * entrySize;
        }

        /** The shared req_prod (acquire). */
        public int sharedReqProd() {
            return page.getIntAcquire(REQ_PROD);
        }

        /** XEN_RING_NR_UNCONSUMED_REQUESTS: min(req_prod - req_cons, free response slots). */
        public int unconsumedRequests() {
            int req = sharedReqProd() - reqCons;
            int rsp = size - (reqCons - rspProdPvt);
            return Integer.compareUnsigned(req, rsp) < 0 ? req : rsp;
        }

        /** RING_REQUEST_CONS_OVERFLOW: would consuming index {@code cons} overflow the ring? */
        public boolean requestConsOverflow(int cons) {
            return Integer.compareUnsigned(cons - rspProdPvt, size) >= 0;
        }

        /** RING_REQUEST_PROD_OVERFLOW: an ill-behaved frontend claims more requests than possible. */
        public boolean requestProdOverflow(int prod) {
            return Integer.compareUnsigned(prod - rspProdPvt, size) > 0;
        }

        /** RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: publishes rsp_prod, a full barrier (virt_mb, as ring.h), then reads rsp_event; true if the frontend must be kicked. */
        public boolean pushResponsesAndCheckNotify() {
            int old = page.getInt(RSP_PROD);
            int neu = rspProdPvt;
            page.putIntRelease(RSP_PROD, neu);
            VarHandle.fullFence();
            int event = page.getIntAcquire(RSP_EVENT);
            return lessUnsigned(neu - event, neu - old);
        }

        /** RING_FINAL_CHECK_FOR_REQUESTS: arms req_event, a full barrier (virt_mb, as ring.h), then re-checks; true if there is work. */
        public boolean finalCheckForRequests() {
            if (unconsumedRequests() != 0) return true;
            page.putIntRelease(REQ_EVENT, reqCons + 1);
            VarHandle.fullFence();
            return unconsumedRequests() != 0;
        }
    }
}
