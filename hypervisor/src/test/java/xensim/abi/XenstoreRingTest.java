package xensim.abi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class XenstoreRingTest {

    @Test
    void requestBytesCrossTheRingEndAndThe32BitWrap() {
        ByteArrayPage p = new ByteArrayPage();
        int start = 0xFFFFFF00; // 256 bytes before the index wraps, at ring offset 768
        p.putInt(XenstoreRing.REQ_CONS, start);
        p.putInt(XenstoreRing.REQ_PROD, start);
        byte[] msg = new byte[700];
        new SplittableRandom(2).nextBytes(msg);
        assertEquals(700, XenstoreRing.writeRequest(p, msg, 0, msg.length));
        assertEquals(start + 700, p.getInt(XenstoreRing.REQ_PROD));
        assertEquals(700, XenstoreRing.requestBytesAvailable(p));
        byte[] got = new byte[1000];
        assertEquals(700, XenstoreRing.readRequest(p, got, 0, 1000));
        assertArrayEquals(msg, Arrays.copyOf(got, 700));
        assertEquals(start + 700, p.getInt(XenstoreRing.REQ_CONS));
        assertTrue(XenstoreRing.quiescent(p));
    }

    @Test
    void aFullRingTakesNoMore() {
        ByteArrayPage p = new ByteArrayPage();
        byte[] big = new byte[1500];
        assertEquals(1024, XenstoreRing.writeResponse(p, big, 0, big.length));
        assertEquals(0, XenstoreRing.writeResponse(p, big, 0, 1));
        assertEquals(1024, XenstoreRing.responseBytesAvailable(p));
    }

    @Test
    void insaneIndexesAreReportedNotFollowed() {
        ByteArrayPage p = new ByteArrayPage();
        p.putInt(XenstoreRing.REQ_CONS, 0);
        p.putInt(XenstoreRing.REQ_PROD, 5000); // a hostile guest
        assertEquals(XenstoreRing.BAD_INDEXES, XenstoreRing.requestBytesAvailable(p));
        assertEquals(XenstoreRing.BAD_INDEXES, XenstoreRing.readRequest(p, new byte[10], 0, 10));
        p.putInt(XenstoreRing.RSP_CONS, 10);
        p.putInt(XenstoreRing.RSP_PROD, 5); // consumer ahead of producer
        assertEquals(XenstoreRing.BAD_INDEXES, XenstoreRing.writeResponse(p, new byte[1], 0, 1));
    }

    /** Any chunking of writes and reads, from any starting index, delivers the byte stream intact. */
    @Property(tries = 300)
    void streamSurvivesAnyChunking(@ForAll int startIndex, @ForAll long seed,
                                   @ForAll @IntRange(min = 1, max = 9000) int total) {
        ByteArrayPage p = new ByteArrayPage();
        p.putInt(XenstoreRing.RSP_CONS, startIndex);
        p.putInt(XenstoreRing.RSP_PROD, startIndex);
        SplittableRandom r = new SplittableRandom(seed);
        byte[] data = new byte[total];
        r.nextBytes(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int written = 0;
        byte[] buf = new byte[2048];
        while (out.size() < total) {
            if (written < total && r.nextBoolean()) {
                int n = XenstoreRing.writeResponse(p, data, written, Math.min(total - written, 1 + r.nextInt(1500)));
                assertTrue(n >= 0);
                written += n;
            } else {
                int n = XenstoreRing.readResponse(p, buf, 0, 1 + r.nextInt(buf.length - 1));
                assertTrue(n >= 0);
                out.write(buf, 0, n);
            }
            int avail = XenstoreRing.responseBytesAvailable(p);
            assertTrue(avail >= 0 && avail <= 1024, "available " + avail);
        }
        assertArrayEquals(data, out.toByteArray());
    }
}
