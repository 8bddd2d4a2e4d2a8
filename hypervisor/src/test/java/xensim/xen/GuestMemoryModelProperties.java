package xensim.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * GuestMemory's radix p2m and tag leaves against the plainest possible model of the same rules
 * (maps of gfn to page, tag and hole): any sequence of physmap changes, type tags, first writes and
 * removals leaves every gfn with the same page, type, owner, hole-ness and populated count — across
 * leaf boundaries (512 gfns), at the RAM/hole border and at maxGfn's edge.
 */
class GuestMemoryModelProperties {
    static final int RAM = 1100;   // not a multiple of the leaf size
    static final int MAX = 1300;

    record Op(int kind, int gfn, int type) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> gfn = Arbitraries.oneOf(Arbitraries.integers().between(0, MAX - 1),
                Arbitraries.of(0, 511, 512, 1023, 1024, RAM - 1, RAM, MAX - 1));
        return net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 5), gfn, Arbitraries.integers().between(0, 3))
                .as(Op::new).list().ofMaxSize(120);
    }

    static final String[] TYPES = {Page.TYPE_CONVENTIONAL, "BootServicesData", "LoaderData", "Reserved"};

    @Property(tries = 300)
    void behavesAsTheMapModel(@ForAll("ops") List<Op> ops) {
        AtomicLong mfns = new AtomicLong(100);
        GuestMemory mem = new GuestMemory(7, RAM, MAX, mfns::getAndIncrement);
        Map<Integer, Page> pages = new HashMap<>();
        Map<Integer, String> tags = new HashMap<>();
        Set<Integer> holes = new HashSet<>();
        for (Op op : ops) {
            int g = op.gfn();
            String type = TYPES[op.type()];
            boolean ram = g < RAM && !holes.contains(g);
            switch (op.kind()) {
                case 0 -> { // setType
                    boolean expect = pages.containsKey(g) || ram;
                    assertEquals(expect, mem.setType(g, type));
                    if (pages.containsKey(g)) pages.get(g).setType(type);
                    else if (ram) {
                        if (type.equals(Page.TYPE_CONVENTIONAL)) tags.remove(g); else tags.put(g, type);
                    }
                }
                case 1 -> { // the first write (GuestPage.forWrite)
                    Page p = mem.populateOnWrite(g);
                    if (pages.containsKey(g)) assertEquals(pages.get(g), p);
                    else if (ram) {
                        assertEquals(tags.getOrDefault(g, Page.TYPE_CONVENTIONAL), p.type());
                        tags.remove(g);
                        pages.put(g, p);
                    } else assertEquals(null, p);
                }
                case 2 -> { // XENMEM_populate_physmap
                    Page p = mem.populate(g);
                    if (pages.containsKey(g)) assertEquals(pages.get(g), p);
                    else {
                        holes.remove(g);
                        tags.remove(g);
                        pages.put(g, p);
                    }
                }
                case 3 -> { // add_to_physmap
                    Page p = new Page(mfns.getAndIncrement(), DomId.DOMID_XEN, "GrantTable");
                    assertEquals(pages.get(g), mem.add(g, p));
                    holes.remove(g);
                    tags.remove(g);
                    pages.put(g, p);
                }
                default -> { // remove_from_physmap
                    assertEquals(pages.remove(g), mem.remove(g));
                    tags.remove(g);
                    if (g < RAM) holes.add(g);
                }
            }
        }
        for (int g = 0; g < MAX; g++) {
            boolean ram = g < RAM && !holes.contains(g);
            Page p = pages.get(g);
            assertEquals(p, mem.frame(g), "frame " + g);
            assertEquals(p != null, mem.isPopulated(g));
            assertEquals(p == null && !ram, mem.isHole(g), "hole " + g);
            assertEquals(p != null ? p.type() : ram ? tags.getOrDefault(g, Page.TYPE_CONVENTIONAL) : null, mem.type(g), "type " + g);
            assertEquals(p != null ? p.owner() : ram ? 7 : -1, mem.owner(g), "owner " + g);
        }
        assertEquals(pages.size(), mem.populatedPages());
    }
}
