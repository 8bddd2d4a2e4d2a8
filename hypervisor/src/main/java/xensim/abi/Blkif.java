package xensim.abi;

/**
 * {@code io/blkif.h}: the block-device ring protocol.
 *
 * <pre>
 * struct blkif_request_segment { grant_ref_t gref; uint8_t first_sect, last_sect; };   // 8 bytes
 * struct blkif_request {                  // 112 bytes
 *     uint8_t operation;                  // 0
 *     uint8_t nr_segments;                // 1
 *     blkif_vdev_t handle;                // 2 (uint16_t)
 *     uint64_t id;                        // 8
 *     blkif_sector_t sector_number;       // 16 (512-byte sectors)
 *     struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];   // 24
 * };
 * struct blkif_request_discard { uint8_t operation, flag; blkif_vdev_t handle; uint64_t id;
 *                                blkif_sector_t sector_number; uint64_t nr_sectors; };  // nr_sectors at 24
 * struct blkif_response { uint64_t id; uint8_t operation; int16_t status; };   // 16 bytes: status at 10
 * </pre>
 */
public final class Blkif {
    private Blkif() {}

    public static final int BLKIF_OP_READ = 0;
    public static final int BLKIF_OP_WRITE = 1;
    public static final int BLKIF_OP_WRITE_BARRIER = 2;
    public static final int BLKIF_OP_FLUSH_DISKCACHE = 3;
    public static final int BLKIF_OP_RESERVED_1 = 4;
    public static final int BLKIF_OP_DISCARD = 5;
    public static final int BLKIF_OP_INDIRECT = 6;

    public static final int BLKIF_MAX_SEGMENTS_PER_REQUEST = 11;
    public static final int BLKIF_DISCARD_SECURE = 1;

    public static final int BLKIF_RSP_EOPNOTSUPP = -2;
    public static final int BLKIF_RSP_ERROR = -1;
    public static final int BLKIF_RSP_OKAY = 0;

    public static final int VDISK_CDROM = 0x1;
    public static final int VDISK_REMOVABLE = 0x2;
    public static final int VDISK_READONLY = 0x4;

    public static final int SEGMENT_SIZE = 8;
    public static final int SEG_GREF = 0;
    public static final int SEG_FIRST_SECT = 4;
    public static final int SEG_LAST_SECT = 5;

    public static final int REQUEST_SIZE = 112;
    public static final int REQ_OPERATION = 0;
    public static final int REQ_NR_SEGMENTS = 1;
    public static final int REQ_HANDLE = 2;
    public static final int REQ_ID = 8;
    public static final int REQ_SECTOR_NUMBER = 16;
    public static final int REQ_SEG = 24;
    /** blkif_request_discard: flag replaces nr_segments, nr_sectors follows sector_number. */
    public static final int DISCARD_FLAG = 1;
    public static final int DISCARD_NR_SECTORS = 24;

    public static final int RESPONSE_SIZE = 16;
    public static final int RSP_ID = 0;
    public static final int RSP_OPERATION = 8;
    public static final int RSP_STATUS = 10;

    /** sizeof(union blkif_sring_entry). */
    public static final int ENTRY_SIZE = Math.max(REQUEST_SIZE, RESPONSE_SIZE);
    /** __CONST_RING_SIZE(blkif, 4096). */
    public static final int RING_SIZE = SharedRing.ringSize(ENTRY_SIZE, PageBytes.PAGE_SIZE);

    /** Sectors per 4 KiB page (last_sect is at most 7). */
    public static final int SECTORS_PER_PAGE = PageBytes.PAGE_SIZE / 512;

    /** A request segment: one granted page and the sector range within it. */
    public record Segment(int gref, int firstSect, int lastSect) {}

    /**
     * A request as read out of the ring (RING_COPY_REQUEST: a private copy the frontend cannot
     * change under the backend). For BLKIF_OP_DISCARD, {@code nrSegments} holds the flag and
     * {@code discardSectors} the length.
     */
    public record Request(int operation, int nrSegments, int handle, long id, long sectorNumber,
                          Segment[] segments, long discardSectors) {

        public static Request readWrite(int op, int handle, long id, long sector, Segment... segs) {
            return new Request(op, segs.length, handle, id, sector, segs, 0);
        }

        public static Request discard(int handle, long id, long sector, long nrSectors, boolean secure) {
            return new Request(BLKIF_OP_DISCARD, secure ? BLKIF_DISCARD_SECURE : 0, handle, id, sector,
                    new Segment[0], nrSectors);
        }

        /** A request without data (flush, barrier): nr_segments 0. */
        public static Request noData(int op, int handle, long id) {
            return new Request(op, 0, handle, id, 0, new Segment[0], 0);
        }
    }

    /** A response: id and operation echoed, status BLKIF_RSP_*. */
    public record Response(long id, int operation, int status) {}

    /** Writes {@code r} into the request slot at byte offset {@code at}. */
    public static void writeRequest(PageBytes p, int at, Request r) {
        p.fill(at, REQUEST_SIZE, (byte) 0);
        p.putByte(at + REQ_OPERATION, (byte) r.operation());
        p.putShort(at + REQ_HANDLE, (short) r.handle());
        p.putLong(at + REQ_ID, r.id());
        p.putLong(at + REQ_SECTOR_NUMBER, r.sectorNumber());
        if (r.operation() == BLKIF_OP_DISCARD) {
            p.putByte(at + DISCARD_FLAG, (byte) r.nrSegments());
            p.putLong(at + DISCARD_NR_SECTORS, r.discardSectors());
            return;
        }
        p.putByte(at + REQ_NR_SEGMENTS, (byte) r.nrSegments());
        int n = Math.min(r.segments().length, BLKIF_MAX_SEGMENTS_PER_REQUEST);
        for (int i = 0; i < n; i++) {
            int s = at + REQ_SEG + i * SEGMENT_SIZE;
            p.putInt(s + SEG_GREF, r.segments()[i].gref());
            p.putByte(s + SEG_FIRST_SECT, (byte) r.segments()[i].firstSect());
            p.putByte(s + SEG_LAST_SECT, (byte) r.segments()[i].lastSect());
        }
    }

    /**
     * Copies the request at {@code at} out of shared memory. Never throws on garbage: a segment
     * count above the maximum is kept as read (the backend rejects it) and only the first
     * BLKIF_MAX_SEGMENTS_PER_REQUEST segments are copied.
     */
    public static Request readRequest(PageBytes p, int at) {
        return readRequest(p, at, new byte[REQUEST_SIZE]);
    }

    /** As {@link #readRequest(PageBytes, int)}, copying the slot into the caller's {@code slot} (REQUEST_SIZE bytes). */
    public static Request readRequest(PageBytes p, int at, byte[] slot) {
        // one copy of the whole slot, then parse the copy: as Linux blkback's memcpy of the request
        // (XSA-155), a frontend rewriting the slot meanwhile cannot make two reads of one field differ
        p.getBytes(at, slot, 0, REQUEST_SIZE);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(slot).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int op = b.get(REQ_OPERATION) & 0xff;
        int nr = b.get(REQ_NR_SEGMENTS) & 0xff;
        int handle = b.getShort(REQ_HANDLE) & 0xffff;
        long id = b.getLong(REQ_ID);
        long sector = b.getLong(REQ_SECTOR_NUMBER);
        if (op == BLKIF_OP_DISCARD) {
            return new Request(op, nr, handle, id, sector, new Segment[0], b.getLong(DISCARD_NR_SECTORS));
        }
        int n = Math.min(nr, BLKIF_MAX_SEGMENTS_PER_REQUEST);
        Segment[] segs = new Segment[n];
        for (int i = 0; i < n; i++) {
            int s = REQ_SEG + i * SEGMENT_SIZE;
            segs[i] = new Segment(b.getInt(s + SEG_GREF), b.get(s + SEG_FIRST_SECT) & 0xff, b.get(s + SEG_LAST_SECT) & 0xff);
        }
        return new Request(op, nr, handle, id, sector, segs, 0);
    }

    public static void writeResponse(PageBytes p, int at, Response r) {
        writeResponse(p, at, r.id(), r.operation(), r.status(), new byte[RESPONSE_SIZE]);
    }

    /** As {@link #writeResponse(PageBytes, int, Response)}, building the struct in the caller's {@code b} (RESPONSE_SIZE bytes). */
    public static void writeResponse(PageBytes p, int at, long id, int operation, int status, byte[] b) {
        // the whole struct (padding zeroed) in one store, as a compiler copies a built struct
        java.util.Arrays.fill(b, 0, RESPONSE_SIZE, (byte) 0);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bb.putLong(RSP_ID, id);
        bb.put(RSP_OPERATION, (byte) operation);
        bb.putShort(RSP_STATUS, (short) status);
        p.putBytes(at, b, 0, RESPONSE_SIZE);
    }

    public static Response readResponse(PageBytes p, int at) {
        return new Response(p.getLong(at + RSP_ID), p.getByte(at + RSP_OPERATION) & 0xff, p.getShort(at + RSP_STATUS));
    }

    public static String opName(int op) {
        return switch (op) {
            case BLKIF_OP_READ -> "BLKIF_OP_READ";
            case BLKIF_OP_WRITE -> "BLKIF_OP_WRITE";
            case BLKIF_OP_WRITE_BARRIER -> "BLKIF_OP_WRITE_BARRIER";
            case BLKIF_OP_FLUSH_DISKCACHE -> "BLKIF_OP_FLUSH_DISKCACHE";
            case BLKIF_OP_RESERVED_1 -> "BLKIF_OP_RESERVED_1";
            case BLKIF_OP_DISCARD -> "BLKIF_OP_DISCARD";
            case BLKIF_OP_INDIRECT -> "BLKIF_OP_INDIRECT";
            default -> "BLKIF_OP_" + op;
        };
    }

    public static String statusName(int status) {
        return switch (status) {
            case BLKIF_RSP_OKAY -> "BLKIF_RSP_OKAY";
            case BLKIF_RSP_ERROR -> "BLKIF_RSP_ERROR";
            case BLKIF_RSP_EOPNOTSUPP -> "BLKIF_RSP_EOPNOTSUPP";
            default -> "BLKIF_RSP_" + status;
        };
    }
}
