package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutputQueueTest {

    @Test
    void queuesInOrderUpToItsLimitThenRefusesEverything() {
        OutputQueue q = new OutputQueue(10);
        assertTrue(q.offer(new byte[] {1, 2, 3, 4}));
        assertTrue(q.offer(new byte[] {5, 6, 7, 8, 9, 10}));
        assertEquals(10, q.queuedBytes());
        assertFalse(q.offer(new byte[] {11}), "one byte past the limit");
        assertTrue(q.overflowed());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, q.poll(), "what was queued still drains in order");
        assertFalse(q.offer(new byte[] {12}), "an overflowed connection is being dropped: no more output");
        assertArrayEquals(new byte[] {5, 6, 7, 8, 9, 10}, q.poll());
        assertNull(q.poll());
        assertEquals(0, q.queuedBytes());
    }

    @Test
    void drainingMakesRoom() {
        OutputQueue q = new OutputQueue(8);
        for (int i = 0; i < 1000; i++) {
            assertTrue(q.offer(new byte[8]), "message " + i);
            assertEquals(8, q.poll().length);
        }
        assertFalse(q.overflowed());
    }

    @Test
    void closeWakesTheWriterAndDiscards() throws Exception {
        OutputQueue q = new OutputQueue();
        byte[][] got = {new byte[0]};
        Thread writer = new Thread(() -> {
            try {
                got[0] = q.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        writer.start();
        q.close();
        writer.join(10_000);
        assertFalse(writer.isAlive());
        assertNull(got[0], "a closed queue ends the writer");
        assertFalse(q.offer(new byte[1]));
        assertEquals(OutputQueue.DEFAULT_LIMIT, 2_621_440L, "C's quota_memory_per_domain_hard");
    }
}
