package xensim.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static xensim.abi.GrantTableAbi.GNTST_bad_domain;
import static xensim.abi.GrantTableAbi.GNTST_bad_gntref;
import static xensim.abi.GrantTableAbi.GNTST_bad_handle;
import static xensim.abi.GrantTableAbi.GNTST_general_error;
import static xensim.abi.GrantTableAbi.GNTST_okay;
import static xensim.abi.GrantTableAbi.GNTST_permission_denied;
import static xensim.abi.GrantTableAbi.GRANT_ENTRIES_PER_FRAME;
import static xensim.abi.GrantTableAbi.GTF_reading;
import static xensim.abi.GrantTableAbi.GTF_writing;
import static xensim.abi.HvmParams.XENMAPSPACE_grant_table;
import static xensim.abi.XenErrno.EINVAL;
import static xensim.abi.XenErrno.EPERM;
import static xensim.abi.XenErrno.ESRCH;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import xensim.abi.GrantTableAbi;
import xensim.platform.EventLog;
import xensim.xen.DomId;
import xensim.xen.DomainConfig;
import xensim.xen.EventChannels;
import xensim.xen.GrantMapping;
import xensim.xen.GrantMappingFault;
import xensim.xen.GrantTableGuest;
import xensim.xen.GuestMemory;
import xensim.xen.Hypervisor;
import xensim.xen.MappedGrant;

/**
 * A hostile guest's grant-table and event-channel hypercalls (and the other hypercalls a guest can
 * make) against the {@link Hypervisor} core, naming other domains' ids, grant refs, handles and
 * ports. For every call: the result Xen gives (GNTST_* or -errno, from Xen's check order), nothing
 * of another domain changes that the call may not change, the hostile guest holds no mapping of a
 * grant not made to it, and the victim's own I/O with dom0 (a grant mapped and written by dom0, read
 * back by the victim; event channels both ways) keeps working.
 *
 * <p>The world: dom0; A, the hostile guest; B, the victim, who granted refs 8..11 to dom0, ref 12
 * read-only and ref 13 writable to A, ref 14 to C, and has a port bound by dom0, a port A may bind
 * and a port C may bind; C, a bystander.
 */
abstract class HypercallCampaign {
    static final String AREA = "hypercalls (Hypervisor core)";

    static final int REF_DOM0 = 8; // 8..11
    static final int REF_A_RO = 12;
    static final int REF_A_RW = 13;
    static final int REF_C = 14;
    static final long GFN_DOM0 = 10; // 10..13
    static final long GFN_A_RO = 20;
    static final long GFN_A_RW = 21;
    static final long GFN_C = 22;
    static final int RAM = 64;

    /** One hostile hypercall: a kind and three numbers whose meaning depends on it. */
    record Op(int kind, int x, int y, int z, boolean flag) {}

    @Provide
    Arbitrary<List<Op>> hostileCalls() {
        Arbitrary<Integer> small = Arbitraries.integers().between(-3, 70);
        Arbitrary<Integer> edge = Arbitraries.of(0, 1, 2, 3, 8, 12, 13, 14, 63, 64, 511, 512, 513, 1023, 1024, 4095, 4096,
                0x7FEF, DomId.DOMID_SELF, DomId.DOMID_IO, DomId.DOMID_XEN, DomId.DOMID_INVALID, 0xFFFF, 0x10000,
                Integer.MAX_VALUE, Integer.MIN_VALUE, -1);
        Arbitrary<Integer> any = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, small), net.jqwik.api.Tuple.of(3, edge), net.jqwik.api.Tuple.of(1, Arbitraries.integers()));
        return Combinators.combine(Arbitraries.integers().between(0, 19), any, any, any, Arbitraries.of(true, false))
                .as(Op::new).list().ofMinSize(100).ofMaxSize(300);
    }

    /** Everything of one try. */
    static final class World {
        final Hypervisor hv = new Hypervisor(new EventLog());
        final int a;
        final int b;
        final int c;
        final GuestMemory memA;
        final GuestMemory memB;
        final GuestMemory memC;
        final GrantTableGuest gtA;
        final GrantTableGuest gtB;
        /** B's port dom0 is bound to, dom0's end, B's port A may bind, B's port C may bind. */
        final int portB0;
        final int port0B;
        final int portBA;
        final int portBC;
        int upcallsDom0;
        int upcallsB;
        /** A's live mappings by handle. */
        final Map<Integer, GrantMapping> mappingsA = new LinkedHashMap<>();
        final SplittableRandom random;
        int probes;

        World(long seed) {
            random = new SplittableRandom(seed);
            int[] ids = new int[3];
            GuestMemory[] mems = new GuestMemory[3];
            GrantTableGuest[] gts = new GrantTableGuest[3];
            for (int i = 0; i < 3; i++) {
                Hypervisor.DomainCreated d = hv.createDomain(0, DomainConfig.ofRamPages(RAM));
                assertTrue(d.ok());
                ids[i] = d.domid();
                mems[i] = d.memory();
                assertEquals(0, hv.addToPhysmap(ids[i], ids[i], XENMAPSPACE_grant_table, 0, RAM).rc());
                gts[i] = new GrantTableGuest(d.memory(), null, "guest");
                gts[i].setFrameGfn(0, RAM);
            }
            a = ids[0];
            b = ids[1];
            c = ids[2];
            memA = mems[0];
            memB = mems[1];
            memC = mems[2];
            gtA = gts[0];
            gtB = gts[1];
            for (int i = 0; i < 4; i++) gtB.grantAccess(REF_DOM0 + i, 0, GFN_DOM0 + i, false);
            gtB.grantAccess(REF_A_RO, a, GFN_A_RO, true);
            gtB.grantAccess(REF_A_RW, a, GFN_A_RW, false);
            gtB.grantAccess(REF_C, c, GFN_C, false);
            // B's secrets and the page it shares with A read-only
            for (long g : new long[] {GFN_DOM0, GFN_DOM0 + 1, GFN_DOM0 + 2, GFN_DOM0 + 3, GFN_A_RO, GFN_C, 30}) {
                byte[] bytes = new byte[4096];
                random.nextBytes(bytes);
                memB.page(g).putBytes(0, bytes, 0, bytes.length);
            }
            byte[] cs = new byte[4096];
            random.nextBytes(cs);
            memC.page(5).putBytes(0, cs, 0, cs.length);
            gts[2].grantAccess(9, b, 5, false);
            portB0 = hv.evtchnAllocUnbound(b, b, 0).port();
            port0B = hv.evtchnBindInterdomain(0, b, portB0).port();
            portBA = hv.evtchnAllocUnbound(b, b, a).port();
            portBC = hv.evtchnAllocUnbound(b, b, c).port();
            assertEquals(0, hv.bindUpcall(0, port0B, (d, p) -> upcallsDom0++).rc());
            assertEquals(0, hv.bindUpcall(b, portB0, (d, p) -> upcallsB++).rc());
            hv.evtchnAllocUnbound(c, c, 0);
            upcallsDom0 = 0;
            upcallsB = 0;
        }

        boolean exists(int dom) {
            return dom == 0 || dom == a || dom == b || dom == c;
        }

        /** A domain number as a hostile guest would pick it. */
        int dom(int v) {
            return switch (Math.floorMod(v, 9)) {
                case 0 -> 0;
                case 1 -> b;
                case 2 -> c;
                case 3 -> a;
                case 4 -> DomId.DOMID_SELF;
                case 5 -> b;
                case 6 -> c + 1 + Math.floorMod(v, 50); // never created
                default -> v;
            };
        }

        /** A grant ref: B's interesting ones, the reserved ones, the table's edges, anything. */
        int ref(int v) {
            return switch (Math.floorMod(v, 6)) {
                case 0, 1 -> 8 + Math.floorMod(v, 8);
                case 2 -> Math.floorMod(v, 16);
                default -> v;
            };
        }

        /** A port number: B's ports, small ones, edges, anything. */
        int port(int v) {
            return switch (Math.floorMod(v, 6)) {
                case 0 -> new int[] {portB0, port0B, portBA, portBC}[Math.floorMod(v / 6, 4)];
                case 1, 2 -> Math.floorMod(v, 12);
                default -> v;
            };
        }
    }

    /**
     * What the hostile guest may not change, as numbers: the other domains' grant entries and pins,
     * their ports (state, remote end, pending bit), the mappings they hold.
     */
    static long[] snapshot(World w) {
        Hypervisor hv = w.hv;
        long[] s = new long[24 * 5 + 3 * EventChannels.EVTCHNS_PER_BUCKET + 3];
        int i = 0;
        for (int ref = 0; ref < 24; ref++) {
            int flags = hv.grantFlags(w.b, ref);
            // A's own pins of the refs B granted it are A's business
            boolean toA = ref == REF_A_RO || ref == REF_A_RW;
            if (toA) flags &= ~(GTF_reading | GTF_writing);
            s[i++] = (long) flags << 48 | (long) w.gtB.grantee(ref) << 32 | w.gtB.frame(ref);
            s[i++] = toA ? 0 : hv.grantPins(w.b, ref);
            s[i++] = hv.grantFlags(w.c, ref);
            s[i++] = hv.grantPins(w.c, ref);
            s[i++] = hv.grantPins(0, ref);
        }
        for (int d : new int[] {0, w.b, w.c}) {
            for (int p = 0; p < EventChannels.EVTCHNS_PER_BUCKET; p++) {
                if (d == w.b && p == w.portBA) { // A may bind and signal it: checked by the model
                    i++;
                    continue;
                }
                Hypervisor.EvtchnStatus st = hv.evtchnStatus(0, d, p);
                s[i++] = (long) st.status() << 40 ^ (long) st.remoteDom() << 20 ^ st.remotePort() ^ (hv.evtchnPending(d, p) ? 1L << 62 : 0);
            }
        }
        for (int d : new int[] {0, w.b, w.c}) s[i++] = hv.mappingsHeldBy(d).hashCode();
        return s;
    }

    static String describe(World w, long[] s) {
        StringBuilder sb = new StringBuilder();
        for (int ref = 0; ref < 24; ref++) {
            sb.append("ref ").append(ref).append(": B 0x").append(Long.toHexString(s[ref * 5])).append(" pins ").append(s[ref * 5 + 1])
                    .append(", C flags ").append(s[ref * 5 + 2]).append(" pins ").append(s[ref * 5 + 3]).append(", dom0 pins ")
                    .append(s[ref * 5 + 4]).append('\n');
        }
        int i = 120;
        for (int d : new int[] {0, w.b, w.c}) {
            for (int p = 0; p < EventChannels.EVTCHNS_PER_BUCKET; p++, i++) {
                if (s[i] != 0) sb.append("d").append(d).append(" port ").append(p).append(": 0x").append(Long.toHexString(s[i])).append('\n');
            }
        }
        for (int d : new int[] {0, w.b, w.c}) sb.append("d").append(d).append(" mappings ").append(w.hv.mappingsHeldBy(d)).append('\n');
        return sb.toString();
    }

    /** Every populated page of B and C, except the one B lets A write. */
    static Map<String, Integer> memoryDigest(World w) {
        Map<String, Integer> m = new HashMap<>();
        byte[] buf = new byte[4096];
        for (GuestMemory mem : new GuestMemory[] {w.memB, w.memC}) {
            for (long g = 0; g <= RAM; g++) {
                if (mem == w.memB && g == GFN_A_RW) continue;
                if (g == RAM) continue; // the grant frame: A's pins set GTF_reading there (the snapshot checks the entries)
                if (!mem.isPopulated(g)) continue;
                mem.page(g).getBytes(0, buf, 0, buf.length);
                m.put(mem.domid() + ":" + g, Arrays.hashCode(buf));
            }
        }
        return m;
    }

    @Property(tries = 2200)
    void hostileHypercallsGetXensErrorsAndTouchNobodyElse(@ForAll("hostileCalls") List<Op> ops, @ForAll long seed) {
        long[] t0 = Campaign.start();
        World w = new World(seed);
        Map<String, Integer> memory = memoryDigest(w);
        long[] before = snapshot(w);
        int n = 0;
        for (Op op : ops) {
            int rc = apply(w, op);
            n++;
            assertTrue(rc <= 0, "a result is 0, a negative errno or a GNTST code: " + rc + " for " + op);
            checkModel(w, op);
            long[] after = snapshot(w);
            if (!Arrays.equals(before, after)) {
                fail("hostile " + op + " changed another domain: before\n" + describe(w, before) + "after\n" + describe(w, after));
            }
            if (n % 8 == 0) victimIo(w);
            if (n % 32 == 0) assertEquals(memory, memoryDigest(w), "another domain's memory changed after " + op);
        }
        victimIo(w);
        assertEquals(memory, memoryDigest(w), "another domain's memory changed");
        Campaign.inputs(AREA, n);
        Campaign.time(AREA, t0);
    }

    /** The hostile call, with Xen's answer checked where the other domains' state decides it. */
    static int apply(World w, Op op) {
        Hypervisor hv = w.hv;
        int a = w.a;
        switch (op.kind()) {
            case 0, 1, 2 -> { // GNTTABOP_map_grant_ref of somebody's ref
                int dom = w.dom(op.x());
                int ref = w.ref(op.y());
                boolean ro = op.flag();
                Hypervisor.GrantMapped m = hv.mapGrantRef(a, dom, ref, ro);
                Integer expect = expectedMap(w, dom, ref, ro);
                if (expect != null) {
                    assertEquals(GrantTableAbi.gntstName(expect), GrantTableAbi.gntstName(m.status()),
                            "map of d" + dom + " ref " + ref + (ro ? " ro" : " rw") + " by the hostile guest");
                    Campaign.checked("hypercall map_grant_ref " + GrantTableAbi.gntstName(expect));
                }
                if (m.ok()) w.mappingsA.put(m.handle(), m.mapping());
                else assertEquals(null, m.mapping());
                return m.status();
            }
            case 3 -> { // GNTTABOP_unmap_grant_ref: its own handles, dom0's numbers, anything
                int handle = op.flag() && !w.mappingsA.isEmpty()
                        ? new ArrayList<>(w.mappingsA.keySet()).get(Math.floorMod(op.y(), w.mappingsA.size())) : op.y();
                boolean mine = w.mappingsA.containsKey(handle);
                Hypervisor.GrantUnmapped u = hv.unmapGrantRef(a, handle);
                assertEquals(GrantTableAbi.gntstName(mine ? GNTST_okay : GNTST_bad_handle), GrantTableAbi.gntstName(u.status()),
                        "unmap of handle " + handle);
                Campaign.checked("hypercall unmap_grant_ref " + GrantTableAbi.gntstName(u.status()));
                if (mine) {
                    GrantMapping gone = w.mappingsA.remove(handle);
                    assertTrue(!gone.isValid(), "an unmapped mapping faults");
                }
                return u.status();
            }
            case 4 -> { // writes and reads through what it mapped
                if (w.mappingsA.isEmpty()) return 0;
                GrantMapping m = new ArrayList<>(w.mappingsA.values()).get(Math.floorMod(op.y(), w.mappingsA.size()));
                int off = Math.floorMod(op.z(), 4096 - 8);
                try {
                    m.putLong(off, op.x());
                    assertTrue(!m.readonly(), "a read-only mapping refused a write");
                } catch (GrantMappingFault e) {
                    assertTrue(m.readonly(), "a writable mapping of A's accepted the write");
                }
                m.getLong(off);
                return 0;
            }
            case 5 -> {
                int dom = w.dom(op.x());
                Hypervisor.GrantTableSize s = hv.queryGrantTableSize(a, dom);
                int expect = dom == a || dom == DomId.DOMID_SELF ? GNTST_okay
                        : w.exists(dom) ? GNTST_permission_denied : GNTST_bad_domain;
                assertEquals(GrantTableAbi.gntstName(expect), GrantTableAbi.gntstName(s.status()), "query_size of d" + dom);
                Campaign.checked("hypercall query_size " + GrantTableAbi.gntstName(expect));
                return s.status();
            }
            case 6 -> { // EVTCHNOP_alloc_unbound in somebody's table
                int dom = w.dom(op.x());
                int remote = w.dom(op.y());
                Hypervisor.EvtchnPort p = hv.evtchnAllocUnbound(a, dom, remote);
                if (dom != a && dom != DomId.DOMID_SELF) {
                    assertEquals(w.exists(dom) ? -EPERM : -ESRCH, p.rc(), "alloc_unbound in d" + dom);
                    Campaign.checked("hypercall alloc_unbound (others')");
                }
                return p.rc();
            }
            case 7, 8 -> { // EVTCHNOP_bind_interdomain to somebody's port
                int rdom = w.dom(op.x());
                int rport = w.port(op.y());
                boolean bindable = rdom == w.b && rport == w.portBA
                        && hv.evtchnStatus(0, w.b, w.portBA).status() == EventChannels.EVTCHNSTAT_unbound;
                Hypervisor.EvtchnPort p = hv.evtchnBindInterdomain(a, rdom, rport);
                if (rdom != a && rdom != DomId.DOMID_SELF) {
                    int expect = !w.exists(rdom) ? -ESRCH : bindable ? 0 : -EINVAL;
                    assertEquals(expect, p.rc(), "bind_interdomain to d" + rdom + " port " + rport);
                    Campaign.checked("hypercall bind_interdomain (others') " + (expect == 0 ? "ok" : "rc " + expect));
                }
                return p.rc();
            }
            case 9, 10 -> { return hv.evtchnSend(a, w.port(op.y())).rc(); }
            case 11 -> { return hv.evtchnClose(a, w.port(op.y())).rc(); }
            case 12 -> {
                int dom = w.dom(op.x());
                int port = w.port(op.y());
                Hypervisor.EvtchnStatus s = hv.evtchnStatus(a, dom, port);
                if (dom != a && dom != DomId.DOMID_SELF) {
                    int expect = !w.exists(dom) ? -ESRCH : port < 0 || port >= EventChannels.EVTCHNS_PER_BUCKET ? -EINVAL : -EPERM;
                    assertEquals(expect, s.rc(), "evtchn_status of d" + dom + " port " + port);
                    assertEquals(-1, s.status(), "no status leaks");
                    Campaign.checked("hypercall evtchn_status (others')");
                }
                return s.rc();
            }
            case 13 -> { return op.flag() ? hv.evtchnMask(a, w.port(op.y())).rc() : hv.evtchnUnmask(a, w.port(op.y())).rc(); }
            case 14 -> { // HVMOP_{get,set}_param of somebody
                int dom = w.dom(op.x());
                int index = Math.floorMod(op.y(), 45) - 2;
                int rc = op.flag() ? hv.hvmSetParam(a, dom, index, op.z()).rc() : hv.hvmGetParam(a, dom, index).rc();
                if (dom != a && dom != DomId.DOMID_SELF) {
                    boolean badIndex = index < 0 || index >= 39;
                    // a bad index of a domain that does not exist: x86 looks the domain up first, Arm the index
                    if (badIndex && !w.exists(dom)) assertTrue(rc == -EINVAL || rc == -ESRCH, "hvm param " + index + " of d" + dom + ": " + rc);
                    else assertEquals(badIndex ? -EINVAL : !w.exists(dom) ? -ESRCH : -EPERM, rc, "hvm param " + index + " of d" + dom);
                    Campaign.checked("hypercall hvm_param (others')");
                }
                return rc;
            }
            case 15 -> { // XENMEM_* on somebody's physmap
                int dom = w.dom(op.x());
                long gfn = Math.floorMod(op.z(), 200);
                int rc = switch (Math.floorMod(op.y(), 3)) {
                    case 0 -> hv.addToPhysmap(a, dom, XENMAPSPACE_grant_table, Math.floorMod(op.y(), 3), gfn).rc();
                    case 1 -> hv.removeFromPhysmap(a, dom, gfn).rc();
                    default -> hv.populatePhysmap(a, dom, gfn).rc();
                };
                if (dom != a && dom != DomId.DOMID_SELF) {
                    assertEquals(w.exists(dom) ? -EPERM : -ESRCH, rc, "physmap of d" + dom);
                    Campaign.checked("hypercall physmap (others')");
                }
                return rc;
            }
            case 16 -> { // domctls and the toolstack's grant seeding
                int rc = switch (Math.floorMod(op.y(), 3)) {
                    case 0 -> hv.createDomain(a, DomainConfig.ofRamPages(8)).rc();
                    case 1 -> hv.destroyDomain(a, w.dom(op.x())).rc();
                    default -> hv.seedGrantEntry(a, w.dom(op.x()), w.ref(op.z()), a, 5, false).rc();
                };
                assertEquals(-EPERM, rc, "a guest's domctl");
                Campaign.checked("hypercall domctl/seed");
                return rc;
            }
            case 17 -> { // its own grant table: grants to anybody, ends them
                int ref = Math.floorMod(op.y(), 24);
                if (op.flag()) w.gtA.grantAccess(ref, w.dom(op.x()) & 0xFFFF, Math.floorMod(op.z(), RAM), op.z() % 2 == 0);
                else w.gtA.endAccess(ref);
                return 0;
            }
            case 18 -> { // maps of its own grants (to itself or others)
                Hypervisor.GrantMapped m = hv.mapGrantRef(a, a, Math.floorMod(op.y(), 24), op.flag());
                if (m.ok()) w.mappingsA.put(m.handle(), m.mapping());
                return m.status();
            }
            default -> { // event storms on its low ports
                return hv.evtchnSend(a, Math.floorMod(op.y(), 8)).rc();
            }
        }
    }

    /** Xen's status for the hostile guest's map of {@code dom}'s {@code ref}; null where A's own state decides. */
    static Integer expectedMap(World w, int dom, int ref, boolean ro) {
        if (dom == w.a) return null;
        if (!w.exists(dom)) return GNTST_bad_domain; // DOMID_SELF too: map_grant_ref looks the granter up by id
        if (ref < 0 || ref >= GRANT_ENTRIES_PER_FRAME) return GNTST_bad_gntref;
        if (dom == w.b && ref == REF_A_RW) return GNTST_okay;
        if (dom == w.b && ref == REF_A_RO) return ro ? GNTST_okay : GNTST_general_error;
        return GNTST_general_error; // "Bad flags or dom": not granted to the mapper
    }

    /** What the model knows after any call: A maps only what was granted to it; B's port for A. */
    static void checkModel(World w, Op op) {
        for (MappedGrant g : w.hv.mappingsHeldBy(w.a)) {
            boolean fromB = g.granter() == w.b && (g.ref() == REF_A_RO || g.ref() == REF_A_RW);
            boolean own = g.granter() == w.a;
            assertTrue(fromB || own, "the hostile guest maps " + g + " after " + op);
            if (g.granter() == w.b && g.ref() == REF_A_RO) assertTrue(g.readonly(), "B's read-only grant mapped writable");
        }
        Hypervisor.EvtchnStatus s = w.hv.evtchnStatus(0, w.b, w.portBA);
        if (s.status() == EventChannels.EVTCHNSTAT_unbound) {
            assertEquals(w.a, s.remoteDom(), "B's port for A stays reserved for A");
        } else {
            assertEquals(EventChannels.EVTCHNSTAT_interdomain, s.status(), "B's port for A: unbound or bound to A");
            assertEquals(w.a, s.remoteDom());
            Hypervisor.EvtchnStatus peer = w.hv.evtchnStatus(0, w.a, s.remotePort());
            assertEquals(w.b, peer.remoteDom(), "A's end names B");
            assertEquals(w.portBA, peer.remotePort(), "A's end names B's port");
        }
    }

    /** The victim's own I/O with dom0 keeps working: a grant mapped, written and read back; events both ways. */
    static void victimIo(World w) {
        Hypervisor hv = w.hv;
        int k = w.probes++ & 3;
        Hypervisor.GrantMapped m = hv.mapGrantRef(0, w.b, REF_DOM0 + k, false);
        assertEquals(GNTST_okay, m.status(), "dom0 maps the victim's grant");
        byte[] data = new byte[64];
        w.random.nextBytes(data);
        int off = w.random.nextInt(4096 - 64);
        byte[] old = new byte[64];
        m.mapping().getBytes(off, old, 0, 64);
        m.mapping().putBytes(off, data, 0, 64);
        byte[] seen = new byte[64];
        w.memB.page(GFN_DOM0 + k).getBytes(off, seen, 0, 64);
        assertArrayEquals(data, seen, "the victim sees what dom0 wrote");
        m.mapping().putBytes(off, old, 0, 64); // keep the memory digest stable
        assertEquals(GNTST_okay, hv.unmapGrantRef(0, m.handle()).status());
        assertTrue(w.gtB.endAccess(REF_DOM0 + k) && restore(w, k), "the victim ends its grant after the unmap");
        int d0 = w.upcallsDom0;
        int db = w.upcallsB;
        assertEquals(0, hv.evtchnSend(w.b, w.portB0).rc());
        assertEquals(0, hv.evtchnSend(0, w.port0B).rc());
        assertEquals(d0 + 1, w.upcallsDom0, "dom0 got the victim's event");
        assertEquals(db + 1, w.upcallsB, "the victim got dom0's event");
    }

    private static boolean restore(World w, int k) {
        w.gtB.grantAccess(REF_DOM0 + k, 0, GFN_DOM0 + k, false);
        return true;
    }
}
