package xensim.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.GrantTableAbi.GNTST_okay;
import static xensim.abi.GrantTableAbi.GTF_permit_access;
import static xensim.abi.HvmParams.XENMAPSPACE_grant_table;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.platform.EventSink;

/** Threaded mode: the guest CPU, a backend and the hypervisor on different threads. */
class GrantRaceTest {
    private static final int REF = 8;
    private static final long GFN = 20;

    private record Guest(Hypervisor hv, int dom, GuestMemory mem, GrantTableGuest gnt) {}

    private static Guest guest(EventSink sink) {
        Hypervisor hv = new Hypervisor(new EventLog(sink));
        Hypervisor.DomainCreated c = hv.createDomain(0, DomainConfig.ofRamPages(64));
        long gt = c.memory().ramPages();
        assertEquals(0, hv.addToPhysmap(c.domid(), c.domid(), XENMAPSPACE_grant_table, 0, gt).rc());
        GrantTableGuest gnt = new GrantTableGuest(c.memory(), null, "os");
        gnt.setFrameGfn(0, gt);
        return new Guest(hv, c.domid(), c.memory(), gnt);
    }

    @Test
    void endAccessNeverSucceedsWhileABackendHoldsTheMapping() throws Exception {
        Guest g = guest(new EventRecorder());
        g.gnt().grantAccess(REF, 0, GFN, false);
        AtomicBoolean mapped = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger violations = new AtomicInteger();
        AtomicInteger maps = new AtomicInteger();
        AtomicInteger ends = new AtomicInteger();

        CompletableFuture<Void> backend = CompletableFuture.runAsync(() -> {
            while (!stop.get()) {
                Hypervisor.GrantMapped m = g.hv().mapGrantRef(0, g.dom(), REF, false);
                if (m.ok()) {
                    maps.incrementAndGet();
                    mapped.set(true);
                    m.mapping().putInt(0, 1);
                    mapped.set(false);
                    assertEquals(GNTST_okay, g.hv().unmapGrantRef(0, m.handle()).status());
                }
            }
        });
        CompletableFuture<Void> frontend = CompletableFuture.runAsync(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (int i = 0; (i < 20_000 || ends.get() < 200 || maps.get() < 200) && System.nanoTime() < deadline; i++) {
                if (i % 64 == 0) Thread.yield();
                if (g.gnt().endAccess(REF)) {
                    ends.incrementAndGet();
                    // flags are 0 now: no new map can succeed until we grant again
                    if (mapped.get()) violations.incrementAndGet();
                    g.gnt().grantAccess(REF, 0, GFN, false);
                }
            }
            stop.set(true);
        });
        frontend.get(60, TimeUnit.SECONDS);
        backend.get(60, TimeUnit.SECONDS);
        assertEquals(0, violations.get());
        assertTrue(maps.get() > 0 && ends.get() > 0, "both sides made progress: maps=" + maps + " ends=" + ends);
        assertEquals(GTF_permit_access, g.hv().grantFlags(g.dom(), REF));
    }

    @Test
    void noWriteLandsAfterTheUnmapReturns() throws Exception {
        AtomicLong foreignWrites = new AtomicLong();
        Guest g = guest(e -> { if (e.ev().equals("FOREIGN_WRITE")) foreignWrites.incrementAndGet(); });
        for (int round = 0; round < 200; round++) {
            g.gnt().grantAccess(REF, 0, GFN, false);
            GrantMapping m = g.hv().mapGrantRef(0, g.dom(), REF, false).mapping();
            AtomicLong writes = new AtomicLong();
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                started.countDown();
                try {
                    while (true) {
                        m.putLong(0, writes.incrementAndGet());
                    }
                } catch (GrantMappingFault expected) {
                    // unmapped under us: the backend faults
                }
            });
            started.await();
            assertEquals(GNTST_okay, g.hv().unmapGrantRef(0, m.handle()).status());
            long seen = g.mem().page(GFN).getLong(0);
            writer.get(10, TimeUnit.SECONDS);
            assertEquals(seen, g.mem().page(GFN).getLong(0), "nothing written after unmap returned");
            assertTrue(g.gnt().endAccess(REF));
        }
        assertTrue(foreignWrites.get() > 0);
    }
}
