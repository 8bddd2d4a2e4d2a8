package xensim.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.GrantTableAbi.GNTST_okay;
import static xensim.abi.GrantTableAbi.GTF_permit_access;
import static xensim.abi.GrantTableAbi.GTF_reading;
import static xensim.abi.GrantTableAbi.GTF_readonly;
import static xensim.abi.GrantTableAbi.GTF_writing;
import static xensim.abi.HvmParams.XENMAPSPACE_grant_table;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;

/**
 * Random sequences of hypercalls, guest grant-table writes and backend accesses against the core:
 * nothing throws (except the documented faults of dead or read-only mappings), every result is 0,
 * a negative errno or a GNTST code, and the grant bookkeeping stays consistent with the flags in the
 * shared entries.
 */
class HypervisorProperties {

    record Op(int kind, int a, int b, int c, boolean flag) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> small = Arbitraries.integers().between(-2, 12);
        Arbitrary<Integer> any = Arbitraries.oneOf(small, small, Arbitraries.integers(),
                Arbitraries.of(511, 512, 1023, 4096, 0x7FF0, 0x7FF2, Integer.MIN_VALUE));
        return Combinators.combine(Arbitraries.integers().between(0, 23), any, any, any, Arbitraries.of(true, false))
                .as(Op::new).list().ofMinSize(10).ofMaxSize(120);
    }

    /** The world of one try: the hypervisor, two guests with their grant helpers, live mappings. */
    private static final class World {
        final EventRecorder rec = new EventRecorder();
        final Hypervisor hv = new Hypervisor(new EventLog(rec), (d, p) -> { });
        final List<Integer> guests = new ArrayList<>();
        final Map<Integer, GrantTableGuest> helpers = new HashMap<>();
        final List<GrantMapping> mappings = new ArrayList<>();

        World() {
            for (int i = 0; i < 2; i++) {
                Hypervisor.DomainCreated c = hv.createDomain(0, DomainConfig.ofRamPages(64));
                guests.add(c.domid());
                long gt = c.memory().ramPages();
                assertEquals(0, hv.addToPhysmap(c.domid(), c.domid(), XENMAPSPACE_grant_table, 0, gt).rc());
                GrantTableGuest g = new GrantTableGuest(c.memory(), null, "os");
                g.setFrameGfn(0, gt);
                helpers.put(c.domid(), g);
            }
        }

        int dom(int x) {
            return switch (Math.floorMod(x, 6)) {
                case 0 -> 0;
                case 1 -> guests.get(0);
                case 2 -> guests.get(1);
                case 3 -> DomId.DOMID_SELF;
                case 4 -> guests.get(Math.floorMod(x, 2));
                default -> x;
            };
        }

        int guest(int x) {
            return guests.get(Math.floorMod(x, 2));
        }

        /** The guest's helper if its frame 0 is still where the helper thinks it is. */
        GrantTableGuest helper(int dom) {
            Domain d = hv.domain(dom);
            GrantTableGuest g = helpers.get(dom);
            if (d == null || d.isDying() || g == null || d.grantTable().frameGfn(0) != g.frameGfn(0)) return null;
            return g;
        }
    }

    @Property(tries = 300)
    void randomHypercallsKeepGrantBookkeepingConsistent(@ForAll("ops") List<Op> ops) {
        World w = new World();
        Hypervisor hv = w.hv;
        for (Op op : ops) {
            int rc = apply(w, op);
            assertTrue(rc <= 0, "result is 0 or a negative code, got " + rc + " for " + op);
            checkInvariants(w);
        }
        long live = w.mappings.stream().filter(GrantMapping::isValid).count();
        Statistics.label("grants mapped").collect(w.mappings.isEmpty() ? "none" : w.mappings.size() < 5 ? "1-4" : "5+");
        Statistics.label("live at end").collect(live > 0);
        // unmapping everything leaves no GTF_reading/GTF_writing anywhere
        for (GrantMapping m : w.mappings) if (m.isValid()) assertEquals(GNTST_okay, hv.unmapGrantRef(m.mapper(), m.handle()).status());
        for (int id : hv.domids()) {
            Domain d = hv.domain(id);
            for (int ref = 0; ref < 32; ref++) assertEquals(0, d.grantTable().flags(ref) & (GTF_reading | GTF_writing));
            assertFalse(d.isDying(), "zombies are reaped when their last mapping goes");
        }
    }

    private static int apply(World w, Op op) {
        Hypervisor hv = w.hv;
        int ref = Math.floorMod(op.b(), 8);
        long gfn = op.c() % 5000;
        // kinds 16..19 are extra guest grants, 20..23 extra maps by the entry's grantee
        int kind = op.kind() >= 20 ? 4 : op.kind() >= 16 ? 2 : op.kind();
        switch (kind) {
            case 0 -> { return hv.createDomain(w.dom(op.a()), op.flag() ? DomainConfig.ofRamPages(8) : null).rc(); }
            case 1 -> { return hv.destroyDomain(w.dom(op.a()), w.dom(op.b())).rc(); }
            case 2 -> {
                int g = w.guest(op.a());
                GrantTableGuest h = w.helper(g);
                if (h != null && !h.inUse(ref)) h.grantAccess(ref, w.dom(op.c()) & 0xFFFF, Math.floorMod(op.c(), 64), op.flag()); // RAM gfns only
                return 0;
            }
            case 3 -> {
                int g = w.guest(op.a());
                GrantTableGuest h = w.helper(g);
                if (h != null) {
                    boolean mapped = hv.grantPins(g, ref) > 0;
                    assertEquals(!mapped, h.endAccess(ref), "end access fails exactly while mapped");
                }
                return 0;
            }
            case 4, 5 -> {
                Hypervisor.GrantMapped m;
                if (kind == 4) { // a well-behaved backend: maps a granted entry as whoever it names
                    int g = w.guest(op.a());
                    GrantTableGuest h = w.helper(g);
                    int r = ref;
                    for (int i = 0; h != null && i < 8 && (h.flags(r) & GTF_permit_access) == 0; i++) r = (r + 1) % 8;
                    boolean ro = op.flag() || (h != null && (h.flags(r) & GTF_readonly) != 0);
                    m = hv.mapGrantRef(h != null ? h.grantee(r) : w.dom(op.c()), g, r, ro);
                } else {
                    m = hv.mapGrantRef(w.dom(op.a()), w.dom(op.c()), op.b(), op.flag());
                }
                if (m.ok()) w.mappings.add(m.mapping());
                else assertEquals(null, m.mapping());
                return m.status();
            }
            case 6 -> {
                if (!w.mappings.isEmpty() && op.flag()) {
                    GrantMapping m = w.mappings.get(Math.floorMod(op.b(), w.mappings.size()));
                    return hv.unmapGrantRef(m.mapper(), m.handle()).status();
                }
                return hv.unmapGrantRef(w.dom(op.a()), op.b()).status();
            }
            case 7 -> {
                if (w.mappings.isEmpty()) return 0;
                GrantMapping m = w.mappings.get(Math.floorMod(op.b(), w.mappings.size()));
                try {
                    m.putInt(Math.floorMod(op.c(), 1024) * 4, op.a());
                    assertTrue(m.isValid() && !m.readonly(), "only a live writable mapping accepts writes");
                } catch (GrantMappingFault e) {
                    assertTrue(!m.isValid() || m.readonly());
                }
                return 0;
            }
            case 8 -> { return hv.removeFromPhysmap(w.dom(op.a()), w.dom(op.b()), gfn).rc(); }
            case 9 -> { return hv.populatePhysmap(w.dom(op.a()), w.dom(op.b()), gfn).rc(); }
            case 10 -> { // frames go to the hole above RAM: a frame over a granted RAM gfn would let a backend
                // scribble on the grant table itself, which is legal but defeats the flag invariant
                long at = 64 + Math.floorMod(op.c(), 100);
                return hv.addToPhysmap(w.dom(op.a()), w.dom(op.a()), XENMAPSPACE_grant_table, Math.floorMod(op.b(), 3), at).rc();
            }
            case 11 -> { return hv.evtchnAllocUnbound(w.dom(op.a()), w.dom(op.b()), w.dom(op.c())).rc(); }
            case 12 -> { return hv.evtchnBindInterdomain(w.dom(op.a()), w.dom(op.b()), op.c()).rc(); }
            case 13 -> {
                return switch (Math.floorMod(op.c(), 4)) {
                    case 0 -> hv.evtchnSend(w.dom(op.a()), op.b()).rc();
                    case 1 -> hv.evtchnClose(w.dom(op.a()), op.b()).rc();
                    case 2 -> hv.evtchnMask(w.dom(op.a()), op.b()).rc();
                    default -> hv.evtchnUnmask(w.dom(op.a()), op.b()).rc();
                };
            }
            case 14 -> { return hv.injectGrantMapEagain(w.dom(op.a()), Math.floorMod(op.b(), 3)).rc(); }
            default -> {
                Hypervisor.EvtchnStatus s = hv.evtchnStatus(w.dom(op.a()), w.dom(op.b()), op.c());
                return s.rc();
            }
        }
    }

    private static void checkInvariants(World w) {
        Hypervisor hv = w.hv;
        Map<Integer, Integer> mappedPerGranter = new HashMap<>();
        for (int id : hv.domids()) {
            for (MappedGrant g : hv.mappingsHeldBy(id)) mappedPerGranter.merge(g.granter(), 1, Integer::sum);
        }
        for (int id : hv.domids()) {
            Domain d = hv.domain(id);
            GrantTable gt = d.grantTable();
            assertEquals(mappedPerGranter.getOrDefault(id, 0), gt.liveMappings(), "pins = live mappings of d" + id);
            for (int ref = 0; ref < 24; ref++) {
                int flags = gt.flags(ref);
                int pins = gt.pins(ref);
                assertEquals(pins > 0, (flags & GTF_reading) != 0, "GTF_reading iff pinned, d" + id + " ref " + ref);
                assertEquals(gt.writers(ref) > 0, (flags & GTF_writing) != 0, "GTF_writing iff writably pinned");
            }
            if (d.isDying()) assertTrue(gt.liveMappings() > 0, "a zombie exists only while mapped");
        }
        for (GrantMapping m : w.mappings) {
            if (m.isValid()) assertTrue(hv.exists(m.mapper()), "a live mapping has a live mapper");
        }
    }
}
