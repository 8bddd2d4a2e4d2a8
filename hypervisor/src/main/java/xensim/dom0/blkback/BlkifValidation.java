package xensim.dom0.blkback;

import xensim.abi.Blkif;

/**
 * blkback's checks on a request copied out of the ring (xen-blkback's dispatch_rw_block_io and
 * friends): an unknown operation gets BLKIF_RSP_EOPNOTSUPP; a bad segment count, a sector range
 * inside a page that is empty or past the page, or an access beyond the disk gets
 * BLKIF_RSP_ERROR. Grant problems are found when mapping.
 */
public final class BlkifValidation {
    private BlkifValidation() {}

    /** BLKIF_RSP_OKAY if the request may proceed to mapping, else the status to answer with. */
    public static int check(Blkif.Request r, long diskSectors, boolean readOnly) {
        switch (r.operation()) {
            case Blkif.BLKIF_OP_READ, Blkif.BLKIF_OP_WRITE -> {
                if (r.operation() == Blkif.BLKIF_OP_WRITE && readOnly) return Blkif.BLKIF_RSP_ERROR;
                if (r.nrSegments() == 0 || r.nrSegments() > Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST) return Blkif.BLKIF_RSP_ERROR;
                long sectors = 0;
                for (Blkif.Segment s : r.segments()) {
                    if (s.firstSect() > s.lastSect() || s.lastSect() >= Blkif.SECTORS_PER_PAGE) return Blkif.BLKIF_RSP_ERROR;
                    sectors += s.lastSect() - s.firstSect() + 1;
                }
                if (r.sectorNumber() < 0 || r.sectorNumber() + sectors > diskSectors) return Blkif.BLKIF_RSP_ERROR;
                return Blkif.BLKIF_RSP_OKAY;
            }
            case Blkif.BLKIF_OP_FLUSH_DISKCACHE -> {
                return Blkif.BLKIF_RSP_OKAY;
            }
            case Blkif.BLKIF_OP_DISCARD -> {
                if (readOnly) return Blkif.BLKIF_RSP_ERROR;
                long n = r.discardSectors();
                if (r.sectorNumber() < 0 || n < 0 || r.sectorNumber() + n > diskSectors || r.sectorNumber() + n < 0) {
                    return Blkif.BLKIF_RSP_ERROR;
                }
                return Blkif.BLKIF_RSP_OKAY;
            }
            default -> {
                return Blkif.BLKIF_RSP_EOPNOTSUPP;
            }
        }
    }

    /** Number of 512-byte sectors a read/write request moves. */
    public static long sectors(Blkif.Request r) {
        long n = 0;
        for (Blkif.Segment s : r.segments()) n += s.lastSect() - s.firstSect() + 1;
        return n;
    }
}
