package xensim.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.HvmParams.HVM_PARAM_CONSOLE_EVTCHN;
import static xensim.abi.HvmParams.HVM_PARAM_CONSOLE_PFN;
import static xensim.abi.HvmParams.HVM_PARAM_STORE_EVTCHN;
import static xensim.abi.HvmParams.HVM_PARAM_STORE_PFN;
import static xensim.abi.XenErrno.EEXIST;
import static xensim.abi.XenErrno.EINVAL;
import static xensim.abi.XenErrno.EPERM;
import static xensim.abi.XenErrno.ESRCH;

import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import xensim.platform.Event;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.xen.Hypervisor.DomainCreated;

class DomainTest {
    private EventRecorder rec;
    private Hypervisor hv;

    @BeforeEach
    void setUp() {
        rec = new EventRecorder();
        hv = new Hypervisor(new EventLog(rec));
    }

    @Test
    void dom0ExistsAndIsPrivileged() {
        assertEquals(Set.of(0), hv.domids());
        assertTrue(hv.domain(0).privileged());
    }

    @Test
    void onlyDom0CreatesDomainsWithIdsFromOne() {
        DomainCreated d1 = hv.createDomain(0, DomainConfig.ofMegabytes(4));
        DomainCreated d2 = hv.createDomain(0, DomainConfig.ofMegabytes(4));
        assertEquals(1, d1.domid());
        assertEquals(2, d2.domid());
        assertEquals(1024, d1.memory().ramPages());
        assertFalse(hv.domain(1).privileged());
        assertEquals(-EPERM, hv.createDomain(1, DomainConfig.ofMegabytes(4)).rc());
        assertEquals(-EPERM, hv.createDomain(77, DomainConfig.ofMegabytes(4)).rc());
        assertEquals(-EINVAL, hv.createDomain(0, null).rc());
        assertEquals(-EINVAL, hv.createDomain(0, new DomainConfig(10, 5, 64, 1023)).rc());
        assertEquals(-EINVAL, hv.createDomain(0, new DomainConfig(-1, 5, 64, 1023)).rc());
        Event e = rec.named("DOMCTL_CREATEDOMAIN").get(0);
        assertEquals(1, e.dom());
        assertEquals(0, e.getLong("by"));
    }

    @Test
    void onlyDom0DestroysDomains() {
        int d1 = hv.createDomain(0, DomainConfig.ofMegabytes(1)).domid();
        int d2 = hv.createDomain(0, DomainConfig.ofMegabytes(1)).domid();
        assertEquals(-EPERM, hv.destroyDomain(d1, d2).rc());
        assertEquals(-EINVAL, hv.destroyDomain(0, 0).rc());
        assertEquals(-ESRCH, hv.destroyDomain(0, 999).rc());
        assertEquals(0, hv.destroyDomain(0, d1).rc());
        assertFalse(hv.exists(d1));
        assertTrue(hv.memory(d2) != null);
        assertEquals(-ESRCH, hv.destroyDomain(0, d1).rc());
        assertEquals(-ESRCH, hv.evtchnAllocUnbound(d1, DomId.DOMID_SELF, 0).rc(), "a destroyed domain makes no hypercalls");
        assertEquals(3, hv.createDomain(0, DomainConfig.ofMegabytes(1)).domid(), "ids keep counting up");
    }

    @Test
    void hvmParamsFollowXensRules() {
        int d = hv.createDomain(0, DomainConfig.ofMegabytes(1)).domid();
        int other = hv.createDomain(0, DomainConfig.ofMegabytes(1)).domid();
        // the toolstack sets them
        assertEquals(0, hv.hvmSetParam(0, d, HVM_PARAM_STORE_PFN, 0xFEFFF).rc());
        assertEquals(0, hv.hvmSetParam(0, d, HVM_PARAM_STORE_EVTCHN, 1).rc());
        assertEquals(0, hv.hvmSetParam(0, d, HVM_PARAM_CONSOLE_PFN, 0xFF000).rc());
        assertEquals(0, hv.hvmSetParam(0, d, HVM_PARAM_CONSOLE_EVTCHN, 2).rc());
        // the guest reads its own
        assertEquals(0xFEFFF, hv.hvmGetParam(d, DomId.DOMID_SELF, HVM_PARAM_STORE_PFN).value());
        assertEquals(1, hv.hvmGetParam(d, d, HVM_PARAM_STORE_EVTCHN).value());
        assertEquals(0xFF000, hv.hvmGetParam(d, d, HVM_PARAM_CONSOLE_PFN).value());
        assertEquals(2, hv.hvmGetParam(d, d, HVM_PARAM_CONSOLE_EVTCHN).value());
        assertEquals(0xFEFFF, hv.hvmGetParam(0, d, HVM_PARAM_STORE_PFN).value(), "dom0 reads too");
        // a guest may not move its own store page, but may set its event channels (as in Xen)
        assertEquals(-EPERM, hv.hvmSetParam(d, d, HVM_PARAM_STORE_PFN, 1).rc());
        assertEquals(0, hv.hvmSetParam(d, d, HVM_PARAM_STORE_EVTCHN, 5).rc());
        // nor touch another domain's
        assertEquals(-EPERM, hv.hvmGetParam(other, d, HVM_PARAM_STORE_PFN).rc());
        assertEquals(-EPERM, hv.hvmSetParam(other, d, HVM_PARAM_STORE_EVTCHN, 9).rc());
        // hostile numbers
        assertEquals(-EINVAL, hv.hvmSetParam(0, d, 39, 1).rc());
        assertEquals(-EINVAL, hv.hvmGetParam(0, d, -1).rc());
        assertEquals(-ESRCH, hv.hvmGetParam(0, 999, HVM_PARAM_STORE_PFN).rc());
        assertEquals(-EINVAL, hv.hvmSetParam(0, d, 4, 1).rc(), "deprecated HVM_PARAM_PAE_ENABLED");
        assertEquals(-EEXIST, hv.hvmSetParam(0, d, 35, 1).rc(), "HVM_PARAM_ALTP2M is read-only");
        assertEquals(-EPERM, hv.hvmGetParam(d, d, 12).rc(), "HVM_PARAM_IDENT_PT is not for the guest");
        assertEquals(0, hv.hvmGetParam(d, d, 12).value());
    }
}
