package xensim.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import xensim.abi.Blkif;
import xensim.abi.ByteArrayPage;
import xensim.dom0.blkback.BlkifValidation;

/**
 * A hostile frontend's blkif request slots, parsed as blkback parses them ({@link Blkif#readRequest},
 * one private copy) and judged by {@link BlkifValidation}: every byte pattern parses without an
 * exception into what the slot holds, and the status is Linux blkback's (blkback.c
 * dispatch_rw_block_io / dispatch_discard_io / dispatch_other_io and xen_vbd_translate): an
 * unknown operation, the unadvertised indirect and barrier operations, BLKIF_RSP_EOPNOTSUPP; a bad
 * segment count (0 for a read or write, over 11 for anything), a segment whose last sector is
 * before its first or past the page, a range past the disk or wrapping past 2^64, any write, flush
 * or discard of a read-only disk, BLKIF_RSP_ERROR; a zero-length discard is done anywhere.
 * Whether the grants are the frontend's own is the hypervisor's to say (the whole-host area).
 */
abstract class BlkifCampaign {
    static final String AREA = "blkif requests (parse + validation)";

    /** One hostile slot: the header fields, what seeds its segments, where it sits, the disk. */
    record Slot(int op, int nr, long sector, long discard, long segSeed, int slot, int disk, boolean readOnly) {}

    static final long[] DISKS = {1, 8, 4096, 1L << 21, (1L << 40) + 3};

    @Provide
    Arbitrary<List<Slot>> slots() {
        Arbitrary<Integer> op = Arbitraries.frequencyOf(Tuple.of(10, Arbitraries.of(0, 1)), Tuple.of(4, Arbitraries.integers().between(2, 7)),
                Tuple.of(1, Arbitraries.integers().between(0, 255)));
        Arbitrary<Integer> nr = Arbitraries.frequencyOf(Tuple.of(10, Arbitraries.integers().between(1, 11)),
                Tuple.of(3, Arbitraries.of(0, 12, 13, 16, 127, 128, 255)), Tuple.of(1, Arbitraries.integers().between(0, 255)));
        Arbitrary<Long> sector = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.longs().between(0, 5000)),
                Tuple.of(4, Arbitraries.of(0L, 1L, 7L, 8L, 4088L, 4095L, 4096L, 4097L, (1L << 21) - 8, 1L << 21, (1L << 40) - 5,
                        (1L << 55) + 1, Long.MAX_VALUE, Long.MAX_VALUE - 3, Long.MIN_VALUE, -1L, -8L, -88L)),
                Tuple.of(1, Arbitraries.longs()));
        Arbitrary<Long> discard = Arbitraries.frequencyOf(Tuple.of(5, Arbitraries.longs().between(0, 5000)),
                Tuple.of(2, Arbitraries.of(0L, 1L, 1L << 21, Long.MAX_VALUE, -1L, Long.MIN_VALUE)), Tuple.of(1, Arbitraries.longs()));
        return Combinators.combine(op, nr, sector, discard, Arbitraries.longs(), Arbitraries.integers(),
                Arbitraries.integers().between(0, DISKS.length - 1), Arbitraries.of(false, false, true))
                .as(Slot::new).list().ofMinSize(200).ofMaxSize(500);
    }

    @Property(tries = 2400)
    void hostileRequestsParseAndGetLinuxBlkbacksStatus(@ForAll("slots") List<Slot> slots) {
        long[] t0 = Campaign.start();
        ByteArrayPage page = new ByteArrayPage();
        byte[] raw = new byte[Blkif.REQUEST_SIZE];
        for (Slot s : slots) {
            SplittableRandom r = new SplittableRandom(s.segSeed());
            r.nextBytes(raw); // garbage in every byte, then the fields that matter
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.put(Blkif.REQ_OPERATION, (byte) s.op());
            b.put(Blkif.REQ_NR_SEGMENTS, (byte) s.nr());
            b.putLong(Blkif.REQ_SECTOR_NUMBER, s.sector());
            if (s.op() == Blkif.BLKIF_OP_DISCARD) b.putLong(Blkif.DISCARD_NR_SECTORS, s.discard());
            else {
                for (int i = 0; i < Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
                    int at = Blkif.REQ_SEG + i * Blkif.SEGMENT_SIZE;
                    int kind = r.nextInt(20);
                    int first = kind < 18 ? r.nextInt(8) : r.nextInt(256);
                    int last = kind < 17 ? first + r.nextInt(8 - first) : kind < 19 ? r.nextInt(9) : r.nextInt(256);
                    b.put(at + Blkif.SEG_FIRST_SECT, (byte) first);
                    b.put(at + Blkif.SEG_LAST_SECT, (byte) last);
                }
            }
            int at = xensim.abi.SharedRing.RING + Math.floorMod(s.slot(), Blkif.RING_SIZE) * Blkif.ENTRY_SIZE;
            page.putBytes(at, raw, 0, raw.length);
            Blkif.Request req = Blkif.readRequest(page, at);
            checkParse(raw, req);
            long disk = DISKS[s.disk()];
            int expect = linux(raw, disk, s.readOnly());
            int got = BlkifValidation.check(req, disk, s.readOnly());
            if (expect == UNSPECIFIED) continue;
            Campaign.checked("blkif " + Blkif.opName(Math.min(req.operation(), 7)) + " " + Blkif.statusName(expect));
            assertEquals(Blkif.statusName(expect), Blkif.statusName(got), "blkback's answer to " + describe(req) + " on a disk of "
                    + disk + " sectors" + (s.readOnly() ? " (read-only)" : ""));
            if (got == Blkif.BLKIF_RSP_OKAY && (req.operation() == Blkif.BLKIF_OP_READ || req.operation() == Blkif.BLKIF_OP_WRITE)) {
                long n = BlkifValidation.sectors(req);
                assertTrue(n >= 1 && n <= 88 && req.sectorNumber() >= 0 && req.sectorNumber() + n <= disk, "an accepted range is on the disk");
            }
        }
        Campaign.inputs(AREA, slots.size());
        Campaign.time(AREA, t0);
    }

    /** The copy holds what the slot held: header fields and at most 11 segments. */
    static void checkParse(byte[] raw, Blkif.Request req) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(raw[Blkif.REQ_OPERATION] & 0xff, req.operation());
        assertEquals(raw[Blkif.REQ_NR_SEGMENTS] & 0xff, req.nrSegments());
        assertEquals(b.getShort(Blkif.REQ_HANDLE) & 0xffff, req.handle());
        assertEquals(b.getLong(Blkif.REQ_ID), req.id());
        assertEquals(b.getLong(Blkif.REQ_SECTOR_NUMBER), req.sectorNumber());
        if (req.operation() == Blkif.BLKIF_OP_DISCARD) {
            assertEquals(b.getLong(Blkif.DISCARD_NR_SECTORS), req.discardSectors());
            assertEquals(0, req.segments().length);
            return;
        }
        assertEquals(Math.min(req.nrSegments(), Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST), req.segments().length);
        for (int i = 0; i < req.segments().length; i++) {
            int at = Blkif.REQ_SEG + i * Blkif.SEGMENT_SIZE;
            assertEquals(new Blkif.Segment(b.getInt(at + Blkif.SEG_GREF), raw[at + Blkif.SEG_FIRST_SECT] & 0xff,
                    raw[at + Blkif.SEG_LAST_SECT] & 0xff), req.segments()[i]);
        }
    }

    /**
     * Linux blkback's status for the slot's bytes, before any grant is mapped: blkback.c with the
     * features this simulator's blkback advertises (feature-flush-cache, feature-discard; no
     * feature-barrier, no feature-max-indirect-segments, no discard-secure).
     */
    static int linux(byte[] raw, long diskSectors, boolean readOnly) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int op = raw[Blkif.REQ_OPERATION] & 0xff;
        int nseg = raw[Blkif.REQ_NR_SEGMENTS] & 0xff;
        long sector = b.getLong(Blkif.REQ_SECTOR_NUMBER);
        switch (op) {
            case Blkif.BLKIF_OP_READ, Blkif.BLKIF_OP_WRITE, Blkif.BLKIF_OP_FLUSH_DISKCACHE -> {
                boolean flush = op == Blkif.BLKIF_OP_FLUSH_DISKCACHE;
                // "Bad number of segments in request": none for a read or write, more than a request holds
                if ((nseg == 0 && !flush) || nseg > Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST) return Blkif.BLKIF_RSP_ERROR;
                // a flush carrying data segments (Linux writes them with REQ_PREFLUSH; no frontend sends one)
                if (flush && nseg > 0) return readOnly ? Blkif.BLKIF_RSP_ERROR : UNSPECIFIED;
                long nsects = 0;
                for (int i = 0; i < nseg; i++) {
                    int at = Blkif.REQ_SEG + i * Blkif.SEGMENT_SIZE;
                    int first = raw[at + Blkif.SEG_FIRST_SECT] & 0xff;
                    int last = raw[at + Blkif.SEG_LAST_SECT] & 0xff;
                    if (last >= Blkif.SECTORS_PER_PAGE || last < first) return Blkif.BLKIF_RSP_ERROR;
                    nsects += last - first + 1;
                }
                // xen_vbd_translate: a write (a flush is one) of a read-only disk; the range, unsigned
                if (op != Blkif.BLKIF_OP_READ && readOnly) return Blkif.BLKIF_RSP_ERROR;
                if (nsects > 0 && !inDisk(sector, nsects, diskSectors)) return Blkif.BLKIF_RSP_ERROR;
                return Blkif.BLKIF_RSP_OKAY;
            }
            case Blkif.BLKIF_OP_DISCARD -> {
                long n = b.getLong(Blkif.DISCARD_NR_SECTORS);
                if (readOnly) return Blkif.BLKIF_RSP_ERROR;
                if (n != 0 && !inDisk(sector, n, diskSectors)) return Blkif.BLKIF_RSP_ERROR;
                return Blkif.BLKIF_RSP_OKAY;
            }
            default -> {
                // dispatch_other_io; barrier and indirect too, as this backend advertises neither
                return Blkif.BLKIF_RSP_EOPNOTSUPP;
            }
        }
    }

    /** A request whose answer the simulator need not match (see where it is returned). */
    static final int UNSPECIFIED = Integer.MIN_VALUE;

    /** {@code end = sector + n} (blkif_sector_t, unsigned): no wrap, not past the disk. */
    static boolean inDisk(long sector, long n, long diskSectors) {
        long end = sector + n;
        return Long.compareUnsigned(end, sector) >= 0 && Long.compareUnsigned(end, diskSectors) <= 0;
    }

    static String describe(Blkif.Request r) {
        StringBuilder sb = new StringBuilder(Blkif.opName(r.operation())).append(" nr=").append(r.nrSegments())
                .append(" sector=").append(Long.toUnsignedString(r.sectorNumber()));
        if (r.operation() == Blkif.BLKIF_OP_DISCARD) sb.append(" nr_sectors=").append(Long.toUnsignedString(r.discardSectors()));
        for (Blkif.Segment s : r.segments()) sb.append(" [").append(s.firstSect()).append('-').append(s.lastSect()).append(']');
        return sb.toString();
    }
}
