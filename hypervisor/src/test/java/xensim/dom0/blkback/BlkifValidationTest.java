package xensim.dom0.blkback;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import xensim.abi.Blkif;

/**
 * Found by the hostile-guest campaign (xensim.fuzz.BlkifCampaign, checked against Linux
 * blkback's dispatch_rw_block_io / dispatch_discard_io / xen_vbd_translate).
 */
class BlkifValidationTest {
    static final long DISK = 4096;

    @Test
    void aRangeThatWrapsPast2To64IsBeyondTheDisk() {
        // sector_number is unsigned: Long.MAX_VALUE - 3 + 8 sectors overflowed a signed sum to a negative "end"
        Blkif.Request r = Blkif.Request.readWrite(Blkif.BLKIF_OP_READ, 0, 1, Long.MAX_VALUE - 3, new Blkif.Segment(8, 0, 7));
        assertEquals(Blkif.BLKIF_RSP_ERROR, BlkifValidation.check(r, DISK, false));
        Blkif.Request w = Blkif.Request.readWrite(Blkif.BLKIF_OP_WRITE, 0, 2, -8, new Blkif.Segment(8, 0, 7));
        assertEquals(Blkif.BLKIF_RSP_ERROR, BlkifValidation.check(w, DISK, false), "2^64 - 8 + 8 wraps to 0");
        Blkif.Request last = Blkif.Request.readWrite(Blkif.BLKIF_OP_READ, 0, 3, DISK - 8, new Blkif.Segment(8, 0, 7));
        assertEquals(Blkif.BLKIF_RSP_OKAY, BlkifValidation.check(last, DISK, false), "the last page of the disk");
    }

    @Test
    void aFlushOfAReadOnlyDiskOrWithTooManySegmentsIsAnError() {
        assertEquals(Blkif.BLKIF_RSP_OKAY, BlkifValidation.check(Blkif.Request.noData(Blkif.BLKIF_OP_FLUSH_DISKCACHE, 0, 4), DISK, false));
        // xen_vbd_translate: a flush is a REQ_OP_WRITE, refused on a read-only vbd
        assertEquals(Blkif.BLKIF_RSP_ERROR, BlkifValidation.check(Blkif.Request.noData(Blkif.BLKIF_OP_FLUSH_DISKCACHE, 0, 5), DISK, true));
        Blkif.Request many = new Blkif.Request(Blkif.BLKIF_OP_FLUSH_DISKCACHE, 12, 0, 6, 0, new Blkif.Segment[0], 0);
        assertEquals(Blkif.BLKIF_RSP_ERROR, BlkifValidation.check(many, DISK, false), "Bad number of segments in request");
    }

    @Test
    void aDiscardOfNoSectorsIsDoneAnywhere() {
        // xen_vbd_translate checks the range only if (likely(req->nr_sects))
        assertEquals(Blkif.BLKIF_RSP_OKAY, BlkifValidation.check(Blkif.Request.discard(0, 7, DISK + 100, 0, false), DISK, false));
        assertEquals(Blkif.BLKIF_RSP_ERROR, BlkifValidation.check(Blkif.Request.discard(0, 8, DISK - 1, 2, false), DISK, false));
        assertEquals(Blkif.BLKIF_RSP_ERROR, BlkifValidation.check(Blkif.Request.discard(0, 9, 1, -1, false), DISK, false), "wraps");
    }

    @Test
    void theImageDiscardsNoSectorsAnywhereToo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (DiskImage d = DiskImage.create(dir.resolve("d.img"), DISK)) {
            d.discard(DISK + 100, 0); // what blkback does with the accepted request: nothing, no exception
            d.discard(Long.MAX_VALUE, 0);
        }
    }
}
