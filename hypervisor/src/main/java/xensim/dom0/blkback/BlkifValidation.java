package xensim.dom0.blkback;

import xensim.abi.Blkif;

/**
 * blkback's checks on a request copied out of the ring (xen-blkback's dispatch_rw_block_io and
 * friends): an unknown operation gets BLKIF_RSP_EOPNOTSUPP; a bad segment count, a sector range
 * inside a page that is empty or past the page, an access beyond the disk (sector numbers are
 * unsigned: a range that wraps past 2^64 is beyond it too), or a write, flush or discard of a
 * read-only disk gets BLKIF_RSP_ERROR, as xen_vbd_translate refuses them. A discard of no sectors
 * is done anywhere. Grant problems are found when mapping.
 */
public final class BlkifValidation {
    private BlkifValidation() {}

    /** BLKIF_RSP_OKAY if the request may proceed to mapping, else the status to answer with. */
    public static int check(Blkif.Request r, long diskSectors, boolean readOnly) {
        switch (r.operation()) {
            case Blkif.BLKIF_OP_READ, Blkif.BLKIF_OP_WRITE -> {
                if (r.nrSegments() == 0 || r.nrSegments() > Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST) return Blkif.BLKIF_RSP_ERROR;
                long sectors = 0;
                for (Blkif.Segment s : r.segments()) {
                    if (s.firstSect() > s.lastSect() || s.lastSect() >= Blkif.SECTORS_PER_PAGE) return Blkif.BLKIF_RSP_ERROR;
                    sectors += s.lastSect() - s.firstSect() + 1;
                }
                if (r.operation() == Blkif.BLKIF_OP_WRITE && readOnly) return Blkif.BLKIF_RSP_ERROR;
                if (!onDisk(r.sectorNumber(), sectors, diskSectors)) return Blkif.BLKIF_RSP_ERROR;
                return Blkif.BLKIF_RSP_OKAY;
            }
            case Blkif.BLKIF_OP_FLUSH_DISKCACHE -> {
                if (r.nrSegments() > Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST || readOnly) return Blkif.BLKIF_RSP_ERROR;
                return Blkif.BLKIF_RSP_OKAY;
            }
            case Blkif.BLKIF_OP_DISCARD -> {
                if (readOnly) return Blkif.BLKIF_RSP_ERROR;
                long n = r.discardSectors();
                if (n != 0 && !onDisk(r.sectorNumber(), n, diskSectors)) return Blkif.BLKIF_RSP_ERROR;
                return Blkif.BLKIF_RSP_OKAY;
            }
            default -> {
                return Blkif.BLKIF_RSP_EOPNOTSUPP;
            }
        }
    }

    /**
     * {@code [sector, sector + n)} on a disk of {@code diskSectors}, with blkif_sector_t's unsigned
     * arithmetic: xen_vbd_translate's {@code end < sector_number} (a wrap) and {@code end > vbd_sz}.
     */
    static boolean onDisk(long sector, long n, long diskSectors) {
        long end = sector + n;
        return Long.compareUnsigned(end, sector) >= 0 && Long.compareUnsigned(end, diskSectors) <= 0;
    }

    /** Number of 512-byte sectors a read/write request moves. */
    public static long sectors(Blkif.Request r) {
        long n = 0;
        for (Blkif.Segment s : r.segments()) n += s.lastSect() - s.firstSect() + 1;
        return n;
    }
}
