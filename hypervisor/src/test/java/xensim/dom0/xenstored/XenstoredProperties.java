package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import xensim.abi.XsFramer;
import xensim.abi.XsMessage;

class XenstoredProperties {

    private static XenstoredCore freshCore(List<XsMessage> guestOut, Connection[] conns) {
        XenstoredCore core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, null);
        core.initDom0("Domain-0");
        Connection dom0 = core.connect(0, "local", m -> { });
        for (int d = 1; d <= 2; d++) {
            core.handle(dom0, XsMessage.of(XS_MKDIR, 1, 0, "/local/domain/" + d));
            core.handle(dom0, XsMessage.of(XS_SET_PERMS, 2, 0, "/local/domain/" + d, "n" + d));
        }
        core.handle(dom0, new XsMessage(XS_WRITE, 3, 0, "/local/domain/2/secret\0TOPSECRET".getBytes(StandardCharsets.UTF_8)));
        conns[0] = core.connect(1, "ring", guestOut::add);
        conns[1] = dom0;
        return core;
    }

    /** Random bytes from a hostile guest: never an exception, never another domain's data. */
    @Property(tries = 300)
    void garbageNeverCrashesOrLeaks(@ForAll @Size(max = 3000) byte[] garbage, @ForAll long seed) {
        List<XsMessage> out = new ArrayList<>();
        Connection[] c = new Connection[2];
        XenstoredCore core = freshCore(out, c);
        XsFramer framer = new XsFramer();
        SplittableRandom r = new SplittableRandom(seed);
        // bias some headers towards real types with short lengths so requests reach the dispatcher
        byte[] data = garbage.clone();
        for (int i = 0; i + 16 <= data.length; i += 16 + r.nextInt(40)) {
            if (r.nextBoolean()) {
                data[i] = (byte) r.nextInt(30);
                data[i + 1] = data[i + 2] = data[i + 3] = 0;
                data[i + 12] = (byte) r.nextInt(40);
                data[i + 13] = data[i + 14] = data[i + 15] = 0;
            }
        }
        int pos = 0;
        while (pos < data.length && !framer.broken()) {
            int n = Math.min(data.length - pos, 1 + r.nextInt(64));
            for (XsMessage m : framer.feed(data, pos, n)) core.handle(c[0], m);
            pos += n;
        }
        for (XsMessage m : out) {
            assertFalse(new String(m.payload(), StandardCharsets.ISO_8859_1).contains("TOPSECRET"), m.toString());
        }
        assertEquals("TOPSECRET", core.readDirect("/local/domain/2/secret"));
    }

    /**
     * Random operations and transactions from dom0 and a guest agree with a simple model: a map
     * path → value with parent auto-creation and recursive removal (committed transactions apply
     * their writes, conflicting ones apply nothing).
     */
    @Property(tries = 200)
    void operationsAgreeWithAReferenceModel(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<XsMessage> out = new ArrayList<>();
        Connection[] c = new Connection[2];
        XenstoredCore core = freshCore(out, c);
        Connection g = c[0];
        TreeMap<String, String> model = new TreeMap<>();
        String base = "/local/domain/1";
        String[] names = {"a", "b", "c"};
        Map<Integer, Map<String, String>> txWrites = new HashMap<>();
        Map<Integer, Boolean> txDoomed = new HashMap<>();
        List<Integer> open = new ArrayList<>();
        int req = 100;
        for (int step = 0; step < 60; step++) {
            int depth = 1 + r.nextInt(3);
            StringBuilder p = new StringBuilder(base);
            for (int i = 0; i < depth; i++) p.append('/').append(names[r.nextInt(names.length)]);
            String path = p.toString();
            int op = r.nextInt(10);
            out.clear();
            if (op < 4) {
                String v = "v" + r.nextInt(100);
                int tx = !open.isEmpty() && r.nextBoolean() ? open.get(r.nextInt(open.size())) : 0;
                core.handle(g, new XsMessage(XS_WRITE, ++req, tx, (path + "\0" + v).getBytes(StandardCharsets.UTF_8)));
                assertEquals(XS_WRITE, out.get(0).type(), out.toString());
                if (tx == 0) {
                    put(model, base, path, v);
                    for (Integer t : open) txDoomed.put(t, true); // conservatively: may conflict
                } else {
                    txWrites.get(tx).put(path, v);
                }
            } else if (op < 6) {
                core.handle(g, XsMessage.of(XS_RM, ++req, 0, path));
                if (out.get(0).type() == XS_RM) {
                    model.keySet().removeIf(k -> k.equals(path) || k.startsWith(path + "/"));
                    for (Integer t : open) txDoomed.put(t, true);
                } else {
                    assertEquals("ENOENT", out.get(0).strings().get(0));
                    assertFalse(model.containsKey(XsPaths.parent(path)) || XsPaths.parent(path).equals(base));
                }
            } else if (op < 8) {
                core.handle(g, XsMessage.of(XS_READ, ++req, 0, path));
                XsMessage m = out.get(0);
                if (model.containsKey(path)) assertEquals(model.get(path), new String(m.payload(), StandardCharsets.UTF_8));
                else assertEquals(List.of("ENOENT"), m.strings(), path);
            } else if (op == 8 && open.size() < 3) {
                core.handle(g, XsMessage.of(XS_TRANSACTION_START, ++req, 0, ""));
                int id = Integer.parseInt(out.get(0).strings().get(0));
                open.add(id);
                txWrites.put(id, new TreeMap<>());
                txDoomed.put(id, false);
            } else if (!open.isEmpty()) {
                int id = open.remove(r.nextInt(open.size()));
                core.handle(g, XsMessage.of(XS_TRANSACTION_END, ++req, id, "T"));
                XsMessage m = out.get(0);
                if (m.type() == XS_TRANSACTION_END) {
                    for (Map.Entry<String, String> w : txWrites.get(id).entrySet()) put(model, base, w.getKey(), w.getValue());
                    for (Integer t : open) txDoomed.put(t, true);
                } else {
                    assertEquals(List.of("EAGAIN"), m.strings());
                    assertTrue(txDoomed.get(id), "EAGAIN only after an intervening change");
                }
            }
        }
        for (Map.Entry<String, String> e : model.entrySet()) assertEquals(e.getValue(), core.readDirect(e.getKey()), e.getKey());
    }

    private static void put(TreeMap<String, String> model, String base, String path, String v) {
        String q = XsPaths.parent(path);
        while (!q.equals(base)) {
            model.putIfAbsent(q, "");
            q = XsPaths.parent(q);
        }
        model.put(path, v);
    }
}
