package xensim.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.GrantTableAbi.GNTST_bad_domain;
import static xensim.abi.GrantTableAbi.GNTST_bad_gntref;
import static xensim.abi.GrantTableAbi.GNTST_bad_handle;
import static xensim.abi.GrantTableAbi.GNTST_bad_page;
import static xensim.abi.GrantTableAbi.GNTST_eagain;
import static xensim.abi.GrantTableAbi.GNTST_general_error;
import static xensim.abi.GrantTableAbi.GNTST_okay;
import static xensim.abi.GrantTableAbi.GTF_permit_access;
import static xensim.abi.GrantTableAbi.GTF_reading;
import static xensim.abi.GrantTableAbi.GTF_readonly;
import static xensim.abi.GrantTableAbi.GTF_writing;
import static xensim.abi.HvmParams.XENMAPSPACE_grant_table;
import static xensim.abi.XenErrno.EINVAL;
import static xensim.abi.XenErrno.ENOSYS;
import static xensim.abi.XenErrno.EPERM;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import xensim.platform.Event;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.xen.Hypervisor.GrantMapped;

class GrantTableTest {
    private static final int DOM0 = 0;
    private static final int REF = 8;
    private static final long DATA_GFN = 100;

    private EventRecorder rec;
    private EventLog log;
    private Hypervisor hv;
    private int domU;
    private GuestMemory mem;
    private long gtGfn;
    private GrantTableGuest gnt;

    @BeforeEach
    void setUp() {
        rec = new EventRecorder();
        log = new EventLog(rec);
        hv = new Hypervisor(log);
        Hypervisor.DomainCreated c = hv.createDomain(DOM0, DomainConfig.ofRamPages(1024));
        assertTrue(c.ok());
        domU = c.domid();
        mem = c.memory();
        gtGfn = DomainConfig.ofRamPages(1024).firstHoleGfn();
        // the guest places grant frame 0 in its physmap, as XenBusDxe's XenGrantTableInit does
        assertEquals(0, hv.addToPhysmap(domU, DomId.DOMID_SELF, XENMAPSPACE_grant_table, 0, gtGfn).rc());
        gnt = new GrantTableGuest(mem, log, "fw.xenbus");
        gnt.setFrameGfn(0, gtGfn);
    }

    private GrantMapped map(int ref, boolean readonly) {
        return hv.mapGrantRef(DOM0, domU, ref, readonly);
    }

    @Test
    void guestWritesEntriesThatXenReads() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        assertEquals(GTF_permit_access, hv.grantFlags(domU, REF));
        assertEquals(DOM0, gnt.grantee(REF));
        assertEquals(DATA_GFN, gnt.frame(REF));
        assertEquals(Page.TYPE_GRANT_TABLE, mem.type(gtGfn));
        assertEquals(DomId.DOMID_XEN, mem.owner(gtGfn));
        Event e = rec.named("GRANT_ACCESS").get(0);
        assertEquals(domU, e.dom());
        assertEquals("fw.xenbus", e.comp());
        assertEquals(REF, e.getLong("ref"));
        assertEquals(DATA_GFN, e.getLong("gfn"));
        assertEquals(DOM0, e.getLong("domid"));
    }

    /**
     * XenGrantTableEndAccess after XenGrantTableDeinit removed the frame from the physmap (a design that
     * resets the bus before a child ends its grants): the entry's gfn is a hole, read as all ones, so the
     * flags look in use — "g.e. still in use!", EFI_NOT_READY, nothing written; not a crash of the guest.
     */
    @Test
    void endingAccessInARemovedGrantFrameReadsTheHoleAsInUse() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        gnt.clearFrame(0);
        assertFalse(gnt.endAccess(REF));
        Event end = rec.named("GRANT_END").get(0);
        assertEquals(false, end.get("ok"));
        assertEquals(true, end.get("unpopulated"));
        assertEquals(GTF_permit_access, hv.grantFlags(domU, REF), "Xen's entry is untouched");
    }

    @Test
    void mapWriteUnmap() {
        mem.page(DATA_GFN).putInt(0, 0x12345678);
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        GrantMapped m = map(REF, false);
        assertEquals(GNTST_okay, m.status());
        assertNotNull(m.mapping());
        assertEquals(GTF_permit_access | GTF_reading | GTF_writing, gnt.flags(REF));
        assertEquals(1, hv.grantPins(domU, REF));
        assertEquals(0x12345678, m.mapping().getInt(0), "the backend sees the guest's data");

        m.mapping().putInt(16, 0xABCD);
        assertEquals(0xABCD, mem.page(DATA_GFN).getInt(16), "the guest sees the backend's write");

        Event map = rec.named("GRANT_MAP").get(0);
        assertEquals(domU, map.dom());
        assertEquals("hypervisor", map.comp());
        assertEquals(DOM0, map.getLong("mapper"));
        assertEquals(REF, map.getLong("ref"));
        assertEquals(DATA_GFN, map.getLong("gfn"));
        assertEquals(m.handle(), map.getLong("handle"));
        assertEquals(false, map.get("readonly"));
        assertEquals(0, map.getLong("status"));

        Event w = rec.named("FOREIGN_WRITE").get(0);
        assertEquals(domU, w.dom());
        assertEquals(DOM0, w.getLong("mapper"));
        assertEquals(REF, w.getLong("ref"));
        assertEquals(DATA_GFN, w.getLong("gfn"));
        assertEquals(16, w.getLong("off"));
        assertEquals(4, w.getLong("len"));

        assertEquals(GNTST_okay, hv.unmapGrantRef(DOM0, m.handle()).status());
        assertEquals(GTF_permit_access, gnt.flags(REF), "the last unmap clears GTF_reading and GTF_writing");
        assertEquals(0, hv.grantPins(domU, REF));
        Event un = rec.named("GRANT_UNMAP").get(0);
        assertEquals(domU, un.dom());
        assertEquals(m.handle(), un.getLong("handle"));
        assertEquals(DATA_GFN, un.getLong("gfn"));
    }

    @Test
    void oneForeignWriteEventPerWriteCall() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        GrantMapping m = map(REF, false).mapping();
        m.putBytes(100, new byte[300], 0, 300);
        m.fill(1000, 50, (byte) 0xff);
        m.putIntRelease(0, 1);
        List<Event> ws = rec.named("FOREIGN_WRITE");
        assertEquals(3, ws.size());
        assertEquals(300, ws.get(0).getLong("len"));
        assertEquals(50, ws.get(1).getLong("len"));
        assertEquals(1000, ws.get(1).getLong("off"));
        assertEquals(4, ws.get(2).getLong("len"));
        m.getBytes(0, new byte[4096], 0, 4096);
        m.getIntAcquire(0);
        assertEquals(3, rec.named("FOREIGN_WRITE").size(), "reads are not events");
    }

    @Test
    void endAccessIsRefusedWhileMappedAndAllowedAfterUnmap() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        GrantMapped m = map(REF, false);
        assertFalse(gnt.endAccess(REF), "g.e. still in use!");
        assertEquals(GTF_permit_access | GTF_reading | GTF_writing, gnt.flags(REF), "a refused end changes nothing");
        assertEquals(false, rec.named("GRANT_END").get(0).get("ok"));

        assertEquals(GNTST_okay, hv.unmapGrantRef(DOM0, m.handle()).status());
        assertTrue(gnt.endAccess(REF));
        assertEquals(0, gnt.flags(REF));
        assertEquals(true, rec.named("GRANT_END").get(1).get("ok"));
        assertEquals(GNTST_general_error, map(REF, false).status(), "an ended grant can no longer be mapped");
    }

    @Test
    void mappingByAnotherDomainThanTheGranteeIsRefused() {
        int other = hv.createDomain(DOM0, DomainConfig.ofRamPages(16)).domid();
        gnt.grantAccess(REF, other, DATA_GFN, false);
        // Xen's _set_status_v1: "Bad flags (..) or dom (..); expected d0" -> GNTST_general_error
        GrantMapped m = map(REF, false);
        assertEquals(GNTST_general_error, m.status());
        assertNull(m.mapping());
        assertEquals(GTF_permit_access, gnt.flags(REF), "flags untouched");
        Event e = rec.named("GRANT_MAP").get(0);
        assertEquals(GNTST_general_error, e.getLong("status"));
        assertEquals(-1, e.getLong("handle"));
        // the grantee may
        GrantMapped ok = hv.mapGrantRef(other, domU, REF, false);
        assertEquals(GNTST_okay, ok.status());
        // and while it pins the entry, dom0 is refused even if the guest re-grants it to dom0
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        assertEquals(GNTST_general_error, map(REF, false).status(), "pinned by another domain");
    }

    @Test
    void readonlyGrantMappedWritableIsRefused() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, true);
        assertEquals(GNTST_general_error, map(REF, false).status(), "attempt to write-pin a r/o grant entry");
        assertEquals(GTF_permit_access | GTF_readonly, gnt.flags(REF));
        GrantMapped ro = map(REF, true);
        assertEquals(GNTST_okay, ro.status());
        assertEquals(GTF_permit_access | GTF_readonly | GTF_reading, gnt.flags(REF), "read-only map sets only GTF_reading");
        assertThrows(GrantMappingFault.class, () -> ro.mapping().putInt(0, 1));
        assertEquals(0, mem.page(DATA_GFN).getInt(0));
        assertEquals(0, rec.named("FOREIGN_WRITE").size());
    }

    @Test
    void entryNotPermittingAccessIsRefused() {
        assertEquals(GNTST_general_error, map(REF, false).status(), "never granted (flags 0)");
        // GTF_accept_transfer is not a mappable grant
        mem.page(gtGfn).putIntRelease(REF * 8, DOM0 << 16 | 2);
        assertEquals(GNTST_general_error, map(REF, false).status());
    }

    @Test
    void badRefIsRefused() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        assertEquals(GNTST_bad_gntref, map(512, false).status(), "one frame = refs 0..511");
        assertEquals(GNTST_bad_gntref, map(-1, false).status());
        assertEquals(GNTST_bad_gntref, map(Integer.MAX_VALUE, false).status());
        // a second frame makes refs 512..1023 valid (though not granted)
        assertEquals(0, hv.addToPhysmap(domU, domU, XENMAPSPACE_grant_table, 1, gtGfn + 1).rc());
        assertEquals(GNTST_general_error, map(512, false).status());
        assertEquals(2, hv.queryGrantTableSize(domU, DomId.DOMID_SELF).nrFrames());
        // beyond the domain's maximum frames
        assertEquals(-EINVAL, hv.addToPhysmap(domU, domU, XENMAPSPACE_grant_table, 64, gtGfn + 2).rc());
        assertEquals(-EINVAL, hv.addToPhysmap(domU, domU, XENMAPSPACE_grant_table, -1, gtGfn + 2).rc());
        assertEquals(-ENOSYS, hv.addToPhysmap(domU, domU, 0, 0, gtGfn + 2).rc(), "shared_info not modelled");
        assertEquals(-EINVAL, hv.addToPhysmap(domU, domU, 99, 0, gtGfn + 2).rc());
    }

    @Test
    void badDomainIsRefused() {
        assertEquals(GNTST_bad_domain, hv.mapGrantRef(DOM0, 999, REF, false).status());
        assertEquals(GNTST_bad_domain, hv.mapGrantRef(DOM0, DomId.DOMID_SELF, REF, false).status());
        assertEquals(GNTST_bad_domain, hv.mapGrantRef(DOM0, -3, REF, false).status());
    }

    @Test
    void badHandleIsRefused() {
        assertEquals(GNTST_bad_handle, hv.unmapGrantRef(DOM0, 42).status());
        assertEquals(GNTST_bad_handle, hv.unmapGrantRef(DOM0, -1).status());
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        GrantMapped m = map(REF, false);
        assertEquals(GNTST_bad_handle, hv.unmapGrantRef(domU, m.handle()).status(), "handles are per mapping domain");
        assertEquals(GNTST_okay, hv.unmapGrantRef(DOM0, m.handle()).status());
        assertEquals(GNTST_bad_handle, hv.unmapGrantRef(DOM0, m.handle()).status(), "double unmap");
        assertEquals(GNTST_bad_handle, hv.unmapGrantRef(12345, 0).status(), "unknown mapper");
        assertEquals(1, rec.named("GRANT_UNMAP").size(), "failed unmaps emit nothing");
    }

    @Test
    void pinsCountAndFlagsClearWithTheLastMapping() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        GrantMapped ro = map(REF, true);
        assertEquals(GTF_permit_access | GTF_reading, gnt.flags(REF));
        GrantMapped rw = map(REF, false);
        assertEquals(GTF_permit_access | GTF_reading | GTF_writing, gnt.flags(REF));
        assertEquals(2, hv.grantPins(domU, REF));
        assertNotEquals(ro.handle(), rw.handle());
        assertEquals(GNTST_okay, hv.unmapGrantRef(DOM0, rw.handle()).status());
        assertEquals(GTF_permit_access | GTF_reading, gnt.flags(REF), "writing cleared with the last writable pin");
        assertFalse(gnt.endAccess(REF));
        assertEquals(GNTST_okay, hv.unmapGrantRef(DOM0, ro.handle()).status());
        assertEquals(GTF_permit_access, gnt.flags(REF));
        assertTrue(gnt.endAccess(REF));
    }

    @Test
    void handlesAreReusedFifoLikeXen() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        gnt.grantAccess(REF + 1, DOM0, DATA_GFN + 1, false);
        GrantMapped a = map(REF, false);
        GrantMapped b = map(REF + 1, false);
        assertEquals(0, a.handle());
        assertEquals(1, b.handle());
        hv.unmapGrantRef(DOM0, a.handle());
        GrantMapped c = map(REF, false);
        assertEquals(0, c.handle(), "a freed handle is handed out again");
        assertFalse(a.mapping().isValid());
        assertThrows(GrantMappingFault.class, () -> a.mapping().getInt(0), "the old mapping object stays dead");
    }

    @Test
    void eagainHookFailsTheNextMaps() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        assertEquals(0, hv.injectGrantMapEagain(domU, 2).rc());
        assertEquals(GNTST_eagain, map(REF, false).status());
        assertEquals(GNTST_eagain, map(REF, false).status());
        assertEquals(GTF_permit_access, gnt.flags(REF), "a failed map leaves the entry alone");
        GrantMapped ok = map(REF, false);
        assertEquals(GNTST_okay, ok.status());
        List<Event> maps = rec.named("GRANT_MAP");
        assertEquals(GNTST_eagain, maps.get(0).getLong("status"));
        assertEquals(true, maps.get(0).get("injected"));
        assertEquals(0, maps.get(2).getLong("status"));
        assertNotEquals(0, hv.injectGrantMapEagain(777, 1).rc());
    }

    @Test
    void entriesPersistAfterTheFrameIsRemovedFromThePhysmap() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        Page frame = mem.frame(gtGfn);
        assertEquals(0, hv.removeFromPhysmap(domU, domU, gtGfn).rc());
        assertTrue(mem.isHole(gtGfn));
        assertEquals(0, mem.page(gtGfn).getInt(REF * 8), "the guest no longer sees its grant table");
        // ... but Xen still honours the entry
        GrantMapped m = map(REF, false);
        assertEquals(GNTST_okay, m.status());
        assertEquals(GTF_permit_access | GTF_reading | GTF_writing, hv.grantFlags(domU, REF));
        // the guest's end-access now hits a hole: it "succeeds" and changes nothing in Xen
        assertTrue(gnt.endAccess(REF));
        assertEquals(GTF_permit_access | GTF_reading | GTF_writing, hv.grantFlags(domU, REF));
        // placing frame 0 again (elsewhere) shows the same entries
        long again = gtGfn + 10;
        assertEquals(0, hv.addToPhysmap(domU, domU, XENMAPSPACE_grant_table, 0, again).rc());
        assertEquals(frame, mem.frame(again));
        gnt.setFrameGfn(0, again);
        assertTrue(gnt.inUse(REF));
        assertEquals(GNTST_okay, hv.unmapGrantRef(DOM0, m.handle()).status());
        assertTrue(gnt.endAccess(REF));
        assertEquals(0, hv.grantFlags(domU, REF));
    }

    @Test
    void placingAFrameElsewhereMovesIt() {
        assertEquals(0, hv.addToPhysmap(domU, domU, XENMAPSPACE_grant_table, 0, gtGfn + 5).rc());
        assertTrue(mem.isHole(gtGfn), "the frame left its old gfn");
        assertEquals(Page.TYPE_GRANT_TABLE, mem.type(gtGfn + 5));
        assertEquals(gtGfn + 5, hv.domain(domU).grantTable().frameGfn(0));
    }

    @Test
    void aMappingPinsThePageTheEntryNamedAtMapTime() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        GrantMapping m = map(REF, false).mapping();
        Page pinned = mem.frame(DATA_GFN);
        // the guest balloons the gfn out and puts a fresh page there, then uses it
        assertEquals(0, hv.removeFromPhysmap(domU, domU, DATA_GFN).rc());
        assertEquals(0, hv.populatePhysmap(domU, domU, DATA_GFN).rc());
        mem.page(DATA_GFN).putInt(0, 0xAAAAAAAA);
        mem.setType(DATA_GFN, "OsOwned");
        assertNotEquals(pinned.mfn(), mem.frame(DATA_GFN).mfn());

        m.putInt(0, 0x55555555);
        assertEquals(0xAAAAAAAA, mem.page(DATA_GFN).getInt(0), "the new page is not written");
        assertEquals(0x55555555, pinned.getInt(0), "the write lands in the old, pinned page");
        Event w = rec.named("FOREIGN_WRITE").get(0);
        assertEquals(DATA_GFN, w.getLong("gfn"));
        assertEquals(pinned.mfn(), w.getLong("mfn"));
        assertEquals(Page.TYPE_CONVENTIONAL, w.getString("type"));
    }

    @Test
    void aForeignWriteIntoAReusedPageIsReportedWithItsNewType() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        mem.setType(DATA_GFN, "BootServicesData");
        GrantMapping m = map(REF, false).mapping();
        // ExitBootServices without the backend unmapping: the OS takes the page
        mem.setType(DATA_GFN, "OsOwned");
        mem.page(DATA_GFN).putLong(8, 42);
        m.putLong(8, 0xDEAD);
        assertEquals(0xDEAD, mem.page(DATA_GFN).getLong(8), "same gfn, same page: the OS data is overwritten");
        Event w = rec.named("FOREIGN_WRITE").get(0);
        assertEquals("OsOwned", w.getString("type"));
        assertEquals(DATA_GFN, w.getLong("gfn"));
    }

    @Test
    void accessAfterUnmapFaultsAndNeverCorrupts() {
        mem.page(DATA_GFN).putInt(0, 7);
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        GrantMapped m = map(REF, false);
        hv.unmapGrantRef(DOM0, m.handle());
        assertThrows(GrantMappingFault.class, () -> m.mapping().putInt(0, 99));
        assertThrows(GrantMappingFault.class, () -> m.mapping().putBytes(0, new byte[8], 0, 8));
        assertThrows(GrantMappingFault.class, () -> m.mapping().getInt(0));
        assertEquals(7, mem.page(DATA_GFN).getInt(0));
        assertEquals(0, rec.named("FOREIGN_WRITE").size());
    }

    @Test
    void mappingAnEntryNamingAHoleIsBadPage() {
        gnt.grantAccess(REF, DOM0, mem.ramPages() + 100, false);
        assertEquals(GNTST_bad_page, map(REF, false).status());
        assertEquals(GTF_permit_access, gnt.flags(REF), "flags set for the attempt are cleared again");
        gnt.grantAccess(REF, DOM0, 0xFFFFFFFFL, false);
        assertEquals(GNTST_bad_page, map(REF, false).status());
    }

    @Test
    void destroyWhileMappedReportsTheLeakAndKeepsAZombie() {
        gnt.grantAccess(REF, DOM0, DATA_GFN, false);
        GrantMapped m = map(REF, false);
        Hypervisor.DomainDestroyed d = hv.destroyDomain(DOM0, domU);
        assertEquals(0, d.rc());
        assertEquals(List.of(new MappedGrant(domU, DOM0, REF, m.handle(), DATA_GFN, false)), d.stillMapped());
        assertTrue(hv.exists(domU));
        assertTrue(hv.isDying(domU));
        Event e = rec.named("DOMCTL_DESTROYDOMAIN").get(0);
        assertEquals(1, e.getLong("stillMapped"));
        assertEquals(List.of(REF), e.get("refs"));
        // the page is still pinned; the backend may still write, then unmap
        m.mapping().putInt(0, 1);
        assertEquals(GNTST_bad_domain, map(REF, false).status(), "no new maps of a dying domain");
        int next = hv.createDomain(DOM0, DomainConfig.ofRamPages(16)).domid();
        assertNotEquals(domU, next, "a zombie's id is not reused");
        assertEquals(GNTST_okay, hv.unmapGrantRef(DOM0, m.handle()).status());
        assertFalse(hv.exists(domU), "the last unmap reaps the zombie");
    }

    @Test
    void destroyReleasesWhatTheDomainItselfMapped() {
        int backend = hv.createDomain(DOM0, DomainConfig.ofRamPages(16)).domid();
        gnt.grantAccess(REF, backend, DATA_GFN, false);
        GrantMapped m = hv.mapGrantRef(backend, domU, REF, false);
        assertEquals(GNTST_okay, m.status());
        Hypervisor.DomainDestroyed d = hv.destroyDomain(DOM0, backend);
        assertEquals(0, d.rc());
        assertTrue(d.stillMapped().isEmpty());
        assertFalse(hv.exists(backend));
        assertFalse(m.mapping().isValid());
        assertEquals(GTF_permit_access, gnt.flags(REF));
        assertEquals("release", rec.named("GRANT_UNMAP").get(0).getString("reason"));
    }

    @Test
    void toolstackSeedsReservedEntries() {
        long storeGfn = 0x3FF; // the last RAM page, where libxl puts the xenstore ring
        assertEquals(0, hv.seedGrantEntry(DOM0, domU, 1, DOM0, storeGfn, false).rc());
        assertEquals(-EPERM, hv.seedGrantEntry(domU, domU, 1, DOM0, storeGfn, false).rc());
        assertEquals(-EINVAL, hv.seedGrantEntry(DOM0, domU, 4096, DOM0, storeGfn, false).rc());
        assertEquals(GTF_permit_access, hv.grantFlags(domU, 1));
        GrantMapped m = map(1, false);
        assertEquals(GNTST_okay, m.status());
        assertEquals(storeGfn, m.mapping().gfn());
    }

    @Test
    void guestHelperNeedsItsFramePlaced() {
        GrantTableGuest fresh = new GrantTableGuest(mem, null, "os");
        assertThrows(IllegalStateException.class, () -> fresh.grantAccess(REF, DOM0, DATA_GFN, false));
        assertEquals(0, fresh.nrEntries());
        fresh.setFrameGfn(0, gtGfn);
        assertEquals(512, fresh.nrEntries());
        assertThrows(IllegalArgumentException.class, () -> fresh.flags(-1));
    }
}
