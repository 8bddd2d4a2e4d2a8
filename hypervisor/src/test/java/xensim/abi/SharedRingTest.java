package xensim.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import xensim.abi.SharedRing.BackRing;
import xensim.abi.SharedRing.FrontRing;

class SharedRingTest {

    /** A front and back ring on one page, both starting at {@code start}, as after many earlier requests. */
    private static FrontRing[] pair(ByteArrayPage p, int start, BackRing[] back) {
        SharedRing.init(p);
        p.putInt(SharedRing.REQ_PROD, start);
        p.putInt(SharedRing.RSP_PROD, start);
        p.putInt(SharedRing.REQ_EVENT, start + 1);
        p.putInt(SharedRing.RSP_EVENT, start + 1);
        FrontRing f = new FrontRing(p, Blkif.ENTRY_SIZE);
        f.reqProdPvt = start;
        f.rspCons = start;
        back[0] = new BackRing(p, Blkif.ENTRY_SIZE, start);
        return new FrontRing[] {f};
    }

    @Test
    void requestsAndResponsesCrossThe32BitWrap() {
        ByteArrayPage p = new ByteArrayPage();
        BackRing[] b = new BackRing[1];
        FrontRing f = pair(p, 0xFFFFFFF0, b)[0];
        BackRing back = b[0];
        long id = 0;
        for (int round = 0; round < 5; round++) { // 5 x 20 requests: well past the wrap at 0
            for (int i = 0; i < 20; i++) {
                assertFalse(f.full());
                Blkif.writeRequest(p, f.slot(f.reqProdPvt), Blkif.Request.readWrite(Blkif.BLKIF_OP_READ, 51712, id++,
                        8L * i, new Blkif.Segment(100 + i, 0, 7)));
                f.reqProdPvt++;
            }
            f.pushRequestsAndCheckNotify();
            assertEquals(20, back.unconsumedRequests());
            while (back.unconsumedRequests() > 0) {
                Blkif.Request r = Blkif.readRequest(p, back.slot(back.reqCons));
                back.reqCons++;
                Blkif.writeResponse(p, back.slot(back.rspProdPvt), new Blkif.Response(r.id(), r.operation(), Blkif.BLKIF_RSP_OKAY));
                back.rspProdPvt++;
            }
            back.pushResponsesAndCheckNotify();
            long expect = id - 20;
            while (f.unconsumedResponses() > 0) {
                Blkif.Response r = Blkif.readResponse(p, f.slot(f.rspCons));
                assertEquals(expect++, r.id());
                assertEquals(Blkif.BLKIF_RSP_OKAY, r.status());
                f.rspCons++;
            }
            assertEquals(id, expect);
        }
        assertTrue(Integer.compareUnsigned(f.reqProdPvt, 0x100) < 0, "indexes wrapped: " + Integer.toHexString(f.reqProdPvt));
        assertEquals(Blkif.RING_SIZE, f.freeRequests());
    }

    @Test
    void ringFullAtRingSize() {
        ByteArrayPage p = new ByteArrayPage();
        BackRing[] b = new BackRing[1];
        FrontRing f = pair(p, -5, b)[0];
        for (int i = 0; i < Blkif.RING_SIZE; i++) f.reqProdPvt++;
        assertTrue(f.full());
        assertEquals(0, f.freeRequests());
    }

    @Test
    void notifyOnlyWhenThePeerAskedForIt() {
        ByteArrayPage p = new ByteArrayPage();
        BackRing[] b = new BackRing[1];
        FrontRing f = pair(p, 0xFFFFFFFE, b)[0];
        BackRing back = b[0];
        f.reqProdPvt++;
        assertTrue(f.pushRequestsAndCheckNotify(), "req_event = start+1: the first request kicks");
        f.reqProdPvt++;
        assertFalse(f.pushRequestsAndCheckNotify(), "the backend has not re-armed: no kick");
        back.reqCons += 2;
        assertFalse(back.finalCheckForRequests(), "nothing left; req_event re-armed at req_cons+1");
        assertEquals(back.reqCons + 1, p.getInt(SharedRing.REQ_EVENT));
        f.reqProdPvt++;
        assertTrue(f.pushRequestsAndCheckNotify(), "after re-arming, the next request kicks again");
    }

    @Test
    void finalCheckSeesARequestThatRacedTheRearm() {
        ByteArrayPage p = new ByteArrayPage();
        BackRing[] b = new BackRing[1];
        FrontRing f = pair(p, 7, b)[0];
        f.reqProdPvt++;
        f.pushRequestsAndCheckNotify();
        assertTrue(b[0].finalCheckForRequests(), "unconsumed work is reported before re-arming");
    }

    @Test
    void hostileIndexesAreDetected() {
        ByteArrayPage p = new ByteArrayPage();
        BackRing back = new BackRing(p, Blkif.ENTRY_SIZE, 0);
        assertTrue(back.requestProdOverflow(Blkif.RING_SIZE + 1));
        assertFalse(back.requestProdOverflow(Blkif.RING_SIZE));
        p.putInt(SharedRing.REQ_PROD, 1000); // frontend claims 1000 requests on a 32-slot ring
        assertEquals(Blkif.RING_SIZE, back.unconsumedRequests(), "the min() bound keeps the backend in the ring");
        FrontRing f = new FrontRing(p, Blkif.ENTRY_SIZE);
        assertTrue(f.responseProdOverflow(33));
    }

    @Test
    void discardAndNoDataRequestsRoundTrip() {
        ByteArrayPage p = new ByteArrayPage();
        Blkif.writeRequest(p, 64, Blkif.Request.discard(5, 99, 1L << 40, 2048, true));
        Blkif.Request d = Blkif.readRequest(p, 64);
        assertEquals(Blkif.BLKIF_OP_DISCARD, d.operation());
        assertEquals(Blkif.BLKIF_DISCARD_SECURE, d.nrSegments());
        assertEquals(2048, d.discardSectors());
        assertEquals(1L << 40, d.sectorNumber());
        p.putByte(64 + Blkif.REQ_OPERATION, (byte) Blkif.BLKIF_OP_WRITE);
        p.putByte(64 + Blkif.REQ_NR_SEGMENTS, (byte) 200); // garbage count: kept as read, copy bounded
        Blkif.Request g = Blkif.readRequest(p, 64);
        assertEquals(200, g.nrSegments());
        assertEquals(Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST, g.segments().length);
        Blkif.writeResponse(p, 176, new Blkif.Response(-1L, 3, Blkif.BLKIF_RSP_EOPNOTSUPP));
        assertEquals(new Blkif.Response(-1L, 3, -2), Blkif.readResponse(p, 176));
    }

    /**
     * Any interleaving of produce/push/consume/respond from any starting index: nothing is lost,
     * duplicated or reordered, and whenever the consumer went to sleep with its final check, a
     * later push that it must see reports notify = true.
     */
    @Property(tries = 300)
    void randomInterleavingsNeverLoseOrMissANotify(@ForAll int start, @ForAll long seed) {
        ByteArrayPage p = new ByteArrayPage();
        BackRing[] b = new BackRing[1];
        FrontRing f = pair(p, start, b)[0];
        BackRing back = b[0];
        SplittableRandom r = new SplittableRandom(seed);
        ArrayDeque<Long> inFlight = new ArrayDeque<>();
        long nextId = 0;
        long nextRsp = 0;
        boolean backendAsleep = false;
        boolean kicked = false;
        for (int step = 0; step < 400; step++) {
            switch (r.nextInt(4)) {
                case 0 -> { // frontend queues up to 3 and pushes
                    int n = 1 + r.nextInt(3);
                    for (int i = 0; i < n && !f.full(); i++) {
                        Blkif.writeRequest(p, f.slot(f.reqProdPvt), Blkif.Request.noData(Blkif.BLKIF_OP_FLUSH_DISKCACHE, 1, nextId));
                        inFlight.add(nextId++);
                        f.reqProdPvt++;
                    }
                    if (f.pushRequestsAndCheckNotify()) kicked = true;
                }
                case 1 -> { // backend consumes what it sees (only when awake or kicked)
                    if (backendAsleep && !kicked) break;
                    backendAsleep = false;
                    kicked = false;
                    while (back.unconsumedRequests() > 0) {
                        Blkif.Request q = Blkif.readRequest(p, back.slot(back.reqCons));
                        back.reqCons++;
                        Blkif.writeResponse(p, back.slot(back.rspProdPvt), new Blkif.Response(q.id(), q.operation(), 0));
                        back.rspProdPvt++;
                    }
                    back.pushResponsesAndCheckNotify();
                    if (!back.finalCheckForRequests()) backendAsleep = true;
                }
                default -> { // frontend collects responses in order
                    while (f.unconsumedResponses() > 0) {
                        Blkif.Response rsp = Blkif.readResponse(p, f.slot(f.rspCons));
                        f.rspCons++;
                        assertEquals(inFlight.poll(), rsp.id());
                        assertEquals(nextRsp++, rsp.id());
                    }
                    f.finalCheckForResponses();
                }
            }
            // the invariant the notify protocol protects: a sleeping backend with pending work was kicked
            if (backendAsleep && back.unconsumedRequests() > 0) assertTrue(kicked, "lost wake-up at step " + step);
            assertTrue(f.freeRequests() >= 0 && f.freeRequests() <= Blkif.RING_SIZE);
        }
    }
}
