package xensim.xen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XenErrno.EINVAL;
import static xensim.abi.XenErrno.ENOENT;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;

class GuestMemoryTest {
    private final EventRecorder rec = new EventRecorder();
    private Hypervisor hv;
    private int dom;
    private GuestMemory mem;

    @BeforeEach
    void setUp() {
        hv = new Hypervisor(new EventLog(rec));
        Hypervisor.DomainCreated c = hv.createDomain(0, DomainConfig.ofRamPages(1024));
        dom = c.domid();
        mem = c.memory();
    }

    @Test
    void untouchedRamReadsZerosWithoutAllocating() {
        GuestPage p = mem.page(10);
        assertEquals(0, p.getLong(0));
        assertEquals(0, p.getInt(4092));
        byte[] buf = new byte[16];
        java.util.Arrays.fill(buf, (byte) 7);
        p.getBytes(100, buf, 0, 16);
        assertArrayEquals(new byte[16], buf);
        assertEquals(0, mem.populatedPages());
        assertFalse(mem.isPopulated(10));
        assertEquals(Page.TYPE_CONVENTIONAL, mem.type(10));
        assertEquals(dom, mem.owner(10));
    }

    @Test
    void firstWriteAllocatesAZeroedPage() {
        GuestPage p = mem.page(10);
        p.putInt(8, 0xCAFEBABE);
        assertEquals(1, mem.populatedPages());
        assertEquals(0xCAFEBABE, mem.page(10).getInt(8));
        assertEquals(0, p.getInt(0));
        Page frame = mem.frame(10);
        assertNotNull(frame);
        assertEquals(dom, frame.owner());
        assertEquals(Page.TYPE_CONVENTIONAL, frame.type());
    }

    @Test
    void outOfRangeGfnIsAnError() {
        assertThrows(IndexOutOfBoundsException.class, () -> mem.page(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.page(mem.maxGfn()));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.frame(Long.MAX_VALUE));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.setType(mem.maxGfn() + 5, "X"));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.page(1).putInt(4094, 1));
    }

    @Test
    void typeTagsAreSetByTheGuest() {
        assertTrue(mem.setType(20, "BootServicesData"));
        assertEquals("BootServicesData", mem.type(20));
        assertEquals(3, mem.setType(21, 3, "OsOwned"));
        assertEquals("OsOwned", mem.type(23));
        // a tag alone does not allocate untouched RAM; the first write carries it to the page
        assertEquals(0, mem.populatedPages());
        mem.page(23).putInt(0, 7);
        assertEquals("OsOwned", mem.frame(23).type());
        assertEquals(1, mem.populatedPages());
        // retagging a populated page changes the page; Conventional on untouched RAM is the default
        assertTrue(mem.setType(23, "BootServicesData"));
        assertEquals("BootServicesData", mem.frame(23).type());
        assertTrue(mem.setType(21, "Conventional"));
        assertEquals("Conventional", mem.type(21));
        // the hole above RAM has no page and no tag
        long hole = mem.ramPages() + 1;
        assertTrue(mem.isHole(hole));
        assertNull(mem.type(hole));
        assertFalse(mem.setType(hole, "X"));
    }

    @Test
    void writesToHolesAreDroppedAndReadZero() {
        long hole = mem.ramPages() + 3;
        GuestPage p = mem.page(hole);
        p.putLong(0, -1L);
        assertEquals(0, p.getLong(0));
        assertEquals(1, mem.droppedWrites());
        assertFalse(mem.isPopulated(hole));
    }

    @Test
    void removeMakesAHoleAndPopulatePutsAFreshPage() {
        GuestPage view = mem.page(50);
        view.putInt(0, 0x11111111);
        Page old = mem.frame(50);
        assertEquals(0, hv.removeFromPhysmap(dom, DomId.DOMID_SELF, 50).rc());
        assertTrue(mem.isHole(50));
        assertEquals(0, view.getInt(0), "the view follows the physmap: a hole reads 0");
        view.putInt(0, 0x22222222);
        assertEquals(0, view.getInt(0), "writes to a hole are dropped");
        assertEquals(-ENOENT, hv.removeFromPhysmap(dom, dom, 50).rc(), "nothing left to remove");
        assertEquals(0, hv.populatePhysmap(dom, dom, 50).rc());
        view.putInt(0, 0x33333333);
        assertEquals(0x33333333, view.getInt(0));
        assertNotSame(old, mem.frame(50));
        assertEquals(0x11111111, old.getInt(0), "the old page object is untouched");
    }

    @Test
    void physmapHypercallsRejectOutOfRangeGfns() {
        assertEquals(-ENOENT, hv.removeFromPhysmap(dom, dom, -1).rc());
        assertEquals(-ENOENT, hv.removeFromPhysmap(dom, dom, mem.maxGfn()).rc());
        assertEquals(-EINVAL, hv.populatePhysmap(dom, dom, mem.maxGfn()).rc());
        assertEquals(-EINVAL, hv.addToPhysmap(dom, dom, 1, 0, -5).rc());
    }

    @Test
    void compareAndSetOnAHoleSeesZero() {
        long hole = mem.ramPages() + 7;
        GuestPage p = mem.page(hole);
        assertTrue(p.compareAndSetInt(0, 0, 5));
        assertFalse(p.compareAndSetInt(0, 5, 6));
        assertEquals(0, p.getInt(0));
    }
}
