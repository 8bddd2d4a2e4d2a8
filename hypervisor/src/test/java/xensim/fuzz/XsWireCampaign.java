package xensim.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static xensim.abi.XsWire.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import xensim.abi.XsFramer;
import xensim.abi.XsMessage;
import xensim.dom0.xenstored.Connection;
import xensim.dom0.xenstored.XenstoredCore;

/**
 * A hostile guest's xs_wire frames against {@link XenstoredCore}, cut by {@link XsFramer} as its
 * ring delivers them: every message type (unknown ones too), transaction ids it does not own,
 * strings without their NUL, paths of other domains, invalid paths, over-long paths and values,
 * headers whose length lies (short, long, over XENSTORE_PAYLOAD_MAX), connection resets
 * mid-transaction. For every request: one reply echoing req_id and tx_id, its type or XS_ERROR with
 * an xsd_errors name, the error C xenstored gives (tools/xenstored/core.c process_message: ENOSYS,
 * EACCES for privileged types, ENOENT for a foreign tx id, then onearg/canonicalize/permission
 * checks), nothing of the victim's (B's secret values, the names of B's hidden nodes) in anything
 * the hostile guest receives, replies and watch events alike, no node outside its own domain
 * changed, and the victim's own reads, writes and transactions keep working.
 *
 * <p>Every rule of {@link CXenstored} is asserted ({@link Rules#C_XENSTORED}); a rule the core
 * breaks can be listed in {@link CXenstored#PENDING} and is then asserted only under that setting.
 */
abstract class XsWireCampaign {
    static final String AREA = "xs_wire frames (XenstoredCore)";
    static final int A = 1;
    static final int B = 2;

    /** Which expectations are asserted. */
    enum Rules {
        /** What today's core already does as C xenstored does. */
        TODAY,
        /** Everything C xenstored does (ENOSYS, EINVAL for strings without NUL, E2BIG, check order, ...). */
        C_XENSTORED
    }

    /**
     * One hostile frame: a type selector, req_id, tx_id selector, a path, the other arguments, how
     * the strings are terminated, whether the header's length lies, and how the ring cuts it.
     */
    record Frame(int type, int reqId, int tx, int path, int arg, int term, int len, int chunk) {}

    @Provide
    Arbitrary<List<Frame>> frames() {
        Arbitrary<Integer> type = Arbitraries.frequencyOf(
                Tuple.of(14, Arbitraries.of(XS_READ, XS_WRITE, XS_DIRECTORY, XS_MKDIR, XS_RM, XS_GET_PERMS, XS_WATCH,
                        XS_UNWATCH, XS_TRANSACTION_START, XS_TRANSACTION_END, XS_SET_PERMS, XS_DIRECTORY_PART)),
                Tuple.of(3, Arbitraries.integers().between(0, 30)),
                Tuple.of(1, Arbitraries.of(XS_WATCH_EVENT, XS_ERROR, 20, XS_TYPE_COUNT, 0xffff, -1, Integer.MIN_VALUE, RECONNECT)),
                Tuple.of(1, Arbitraries.integers()));
        Arbitrary<Integer> small = Arbitraries.integers().between(0, 63);
        Arbitrary<Integer> len = Arbitraries.frequencyOf(Tuple.of(60, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(-20, 20)),
                Tuple.of(1, Arbitraries.of(XENSTORE_PAYLOAD_MAX + 1, -1, Integer.MIN_VALUE, 0x10000)));
        Arbitrary<Integer> term = Arbitraries.frequencyOf(Tuple.of(10, Arbitraries.just(0)), Tuple.of(3, Arbitraries.integers().between(1, 3)));
        return Combinators.combine(type, Arbitraries.integers(), small, small, small, term, len, small)
                .as(Frame::new).list().ofMinSize(100).ofMaxSize(400);
    }

    /** A pseudo-type: xenstored resets the connection (ring reconnection; C's ignore/reintroduce). */
    static final int RECONNECT = -1000;

    /** B's secrets: nothing the hostile guest receives may contain this. */
    static final String SECRET = "zqSECRETzq";

    static final String[] PATHS = {
        "/local/domain/2/secret", "/local/domain/2/hidden", "/local/domain/2/hidden/priv-guess",
        "/local/domain/2/shared", "/local/domain/2/shared/none", "/local/domain/2", "/local/domain/2/work/k1",
        "/local/domain/0/name", "/", "/tool/xenstored", "data/x", "/local/domain/1/data/y", "device/vbd/51712/state",
        "@introduceDomain", "@releaseDomain", "@bogus", "", "/local/domain/1/", "/local/domain//1", "bad.char", "bad char",
        "ümlaut", "x".repeat(2100), "../2/secret", "/local/domain/2/secret/", "/local/domain/3/x", "/local/domain/1",
        "data", "data/x/y/z", "/local", "/local/domain", "/local/domain/2/hidden/priv-guess/x",
        "/local/domain/1/" + "y".repeat(2040), "/local/domain/1/" + "y".repeat(2049), "/" + "z".repeat(2049), "@",
    };

    /** One world: the store with dom0's, A's and B's nodes; A's and B's connections; what they received. */
    static final class World {
        final XenstoredCore core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, null);
        final Connection dom0;
        Connection a;
        final Connection b;
        final List<XsMessage> toA = new ArrayList<>();
        final List<XsMessage> toB = new ArrayList<>();
        XsFramer framer = new XsFramer();
        /** A's transactions as it learnt them from the replies. */
        final Set<Integer> openTx = new LinkedHashSet<>();
        final SplittableRandom random;
        /** B's own nodes under work/ and hidden/ as B wrote them. */
        final TreeMap<String, String> bModel = new TreeMap<>();
        int bReq = 1;
        int bSteps;

        World(long seed) {
            random = new SplittableRandom(seed);
            core.initDom0("Domain-0");
            dom0 = core.connect(0, "toolstack", m -> { });
            int r = 1;
            for (int d : new int[] {A, B}) {
                dom0(XsMessage.of(XS_MKDIR, r++, 0, "/local/domain/" + d));
                dom0(XsMessage.of(XS_SET_PERMS, r++, 0, "/local/domain/" + d, "n" + d));
            }
            dom0(new XsMessage(XS_WRITE, r++, 0, bytes("/local/domain/2/secret\0" + SECRET + "-value")));
            dom0(XsMessage.of(XS_MKDIR, r++, 0, "/local/domain/2/hidden"));
            dom0(XsMessage.of(XS_MKDIR, r++, 0, "/local/domain/2/hidden/priv-" + SECRET + "0"));
            dom0(new XsMessage(XS_WRITE, r++, 0, bytes("/local/domain/2/shared\0public")));
            dom0(XsMessage.of(XS_SET_PERMS, r++, 0, "/local/domain/2/shared", "n2", "r1"));
            dom0(new XsMessage(XS_WRITE, r++, 0, bytes("/local/domain/1/device/vbd/51712/state\0" + "1")));
            bModel.put("/local/domain/2/hidden/priv-" + SECRET + "0", "");
            a = core.connect(A, "ring", toA::add);
            b = core.connect(B, "ring", toB::add);
        }

        void dom0(XsMessage m) {
            List<XsMessage> out = new ArrayList<>();
            Connection c = core.connect(0, "setup", out::add);
            core.handle(c, m);
            core.disconnect(c);
            assertEquals(m.type(), out.get(0).type(), "setup " + m + " -> " + out);
        }

        /** Everything outside A's domain, with B's own nodes as B's model says. */
        SortedMap<String, String> othersView() {
            SortedMap<String, String> m = new TreeMap<>(core.dump());
            m.keySet().removeIf(k -> k.equals("/local/domain/1") || k.startsWith("/local/domain/1/"));
            return m;
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The payload of {@code f}: the arguments of its type, terminated as {@code f.term()} says. */
    static byte[] payload(Frame f, int type) {
        String path = PATHS[f.path() % PATHS.length];
        List<byte[]> args = new ArrayList<>();
        switch (type) {
            case XS_WRITE -> {
                args.add(bytes(path));
                String[] values = {"", "v", "value-" + f.arg(), "x".repeat(3000), "\u0000bin\u0000ary", "y".repeat(2100)};
                args.add(bytes(values[f.arg() % values.length]));
            }
            case XS_WATCH, XS_UNWATCH -> {
                args.add(bytes(path));
                args.add(bytes("tok" + (f.arg() % 4)));
            }
            case XS_TRANSACTION_END -> args.add(bytes(new String[] {"T", "F", "X", "", "TT"}[f.arg() % 5]));
            case XS_TRANSACTION_START, XS_RESET_WATCHES -> args.add(bytes(f.arg() % 3 == 0 ? "junk" : ""));
            case XS_GET_DOMAIN_PATH, XS_IS_DOMAIN_INTRODUCED, XS_RELEASE, XS_RESUME ->
                    args.add(bytes(new String[] {"1", "2", "0", "abc", "-1", "99999", "", "32752"}[f.arg() % 8]));
            case XS_SET_PERMS -> {
                args.add(bytes(path));
                String[][] perms = {{"n1"}, {"n2"}, {"n1", "r2"}, {"b1", "w0"}, {"x1"}, {"n2", "r1"}, {}, {"n1", "n1", "n1", "n1", "n1", "n1"}};
                for (String p : perms[f.arg() % perms.length]) args.add(bytes(p));
            }
            case XS_DIRECTORY_PART -> {
                args.add(bytes(path));
                args.add(bytes(new String[] {"0", "3", "abc", "-5", "99999"}[f.arg() % 5]));
            }
            case XS_INTRODUCE -> {
                args.add(bytes("1"));
                args.add(bytes("100"));
                args.add(bytes("5"));
            }
            case XS_SET_TARGET -> {
                args.add(bytes("1"));
                args.add(bytes("2"));
            }
            case XS_GET_QUOTA, XS_SET_QUOTA -> {
                args.add(bytes("1"));
                args.add(bytes("nodes"));
                if (type == XS_SET_QUOTA) args.add(bytes("100000"));
            }
            case XS_CONTROL -> args.add(bytes("print"));
            default -> args.add(bytes(path));
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < args.size(); i++) {
            out.writeBytes(args.get(i));
            boolean last = i == args.size() - 1;
            boolean valueOfWrite = type == XS_WRITE && last; // a value is raw bytes, no NUL
            switch (f.term()) {
                case 1 -> { if (!last && !valueOfWrite) out.write(0); } // the last string lacks its NUL
                case 2 -> { if (!valueOfWrite) out.write(0); if (last) out.writeBytes(bytes("extra\0")); }
                case 3 -> { } // no NUL at all
                default -> { if (!valueOfWrite) out.write(0); }
            }
        }
        return out.toByteArray();
    }

    @net.jqwik.api.Property(tries = 2200)
    void hostileFramesGetCXenstoredsAnswersAndLeakNothing(@net.jqwik.api.ForAll("frames") List<Frame> frames,
                                                          @net.jqwik.api.ForAll long seed) {
        run(frames, seed, Rules.C_XENSTORED);
    }

    /** The hostile run of one try. */
    void run(List<Frame> frames, long seed, Rules rules) {
        long[] t0 = Campaign.start();
        World w = new World(seed);
        SortedMap<String, String> before = w.othersView();
        boolean inSync = true;
        int n = 0;
        for (Frame f : frames) {
            n++;
            if (f.type() == RECONNECT) { // the ring's reconnection: a fresh stream, no watches, no transactions
                w.core.resetConnection(w.a, "reconnect");
                w.framer.reset();
                w.openTx.clear();
                inSync = true;
                continue;
            }
            int tx = switch (f.tx() % 4) {
                case 0 -> 0;
                case 1 -> w.openTx.isEmpty() ? 0 : new ArrayList<>(w.openTx).get(f.tx() % w.openTx.size());
                case 2 -> 1 + f.tx() % 5;
                default -> f.reqId() * 31 + f.tx();
            };
            byte[] payload = payload(f, f.type());
            int lie = f.len();
            int hdrLen = lie == 0 ? payload.length : lie > XENSTORE_PAYLOAD_MAX || lie < -100 ? lie : Math.max(0, payload.length + lie);
            XsMessage req = new XsMessage(f.type(), f.reqId(), tx, payload);
            byte[] wire = req.encode();
            java.nio.ByteBuffer.wrap(wire).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(HDR_LEN, hdrLen);
            if (hdrLen != payload.length) inSync = false;
            // the ring hands xenstored what it has: cut the frame anywhere
            List<XsMessage> got = new ArrayList<>();
            int pos = 0;
            int cut = 1 + f.chunk() * 17 % (wire.length + 1);
            while (pos < wire.length) {
                int k = Math.min(cut, wire.length - pos);
                got.addAll(w.framer.feed(wire, pos, k));
                pos += k;
            }
            if (w.framer.broken()) { // over XENSTORE_PAYLOAD_MAX: C xenstored drops the connection
                assertTrue(Integer.compareUnsigned(hdrLen, XENSTORE_PAYLOAD_MAX) > 0 || !inSync,
                        "only a length over XENSTORE_PAYLOAD_MAX breaks the stream: " + hdrLen);
                w.core.disconnect(w.a);
                w.a = w.core.connect(A, "ring", w.toA::add);
                w.framer = new XsFramer();
                w.openTx.clear();
                inSync = true;
                continue;
            }
            for (XsMessage m : got) {
                int mark = w.toA.size();
                w.core.handle(w.a, m);
                List<XsMessage> out = new ArrayList<>(w.toA.subList(mark, w.toA.size()));
                checkReplies(w, m, out, inSync && got.size() == 1, rules);
            }
            if (n % 4 == 0) victimWorks(w);
        }
        victimWorks(w);
        SortedMap<String, String> after = w.othersView();
        // B's own nodes are what B wrote; everything else outside A's domain is as it was
        for (Map.Entry<String, String> e : w.bModel.entrySet()) {
            String got = after.remove(e.getKey());
            assertTrue(got != null && got.startsWith(e.getValue() + " "), "B's node " + e.getKey() + " = " + got);
        }
        after.keySet().removeIf(k -> k.startsWith("/local/domain/2/work") || k.startsWith("/local/domain/2/hidden/"));
        before.keySet().removeIf(k -> k.startsWith("/local/domain/2/work") || k.startsWith("/local/domain/2/hidden/"));
        assertEquals(before, after, "the hostile guest changed nodes outside its domain");
        for (XsMessage m : w.toA) assertNoLeak(m);
        Campaign.inputs(AREA, n);
        Campaign.time(AREA, t0);
    }

    /** A message, short enough for an assertion message. */
    static String brief(XsMessage m) {
        String s = m.toString();
        return s.length() > 160 ? s.substring(0, 150) + "...(" + m.payload().length + " bytes)" : s;
    }

    static String brief(List<XsMessage> ms) {
        return ms.stream().map(XsWireCampaign::brief).toList().toString();
    }

    static void assertNoLeak(XsMessage m) {
        String s = new String(m.payload(), StandardCharsets.ISO_8859_1);
        if (s.contains(SECRET)) fail("the hostile guest received the victim's data: " + brief(m));
    }

    /** The replies A got for one request. */
    static void checkReplies(World w, XsMessage req, List<XsMessage> out, boolean sync, Rules rules) {
        XsMessage reply = null;
        int replies = 0;
        for (XsMessage m : out) {
            assertNoLeak(m);
            if (m.type() == XS_WATCH_EVENT) {
                assertEquals(0, m.reqId(), "a watch event has req_id 0");
                List<String> s = m.strings();
                assertTrue(s.size() >= 2, "a watch event has path and token: " + brief(m));
                continue;
            }
            replies++;
            reply = m;
        }
        assertEquals(1, replies, "one reply per request: " + brief(req) + " -> " + brief(out));
        assertEquals(req.reqId(), reply.reqId(), "the reply echoes req_id");
        assertEquals(req.txId(), reply.txId(), "the reply echoes tx_id");
        if (reply.type() == XS_ERROR) {
            List<String> s = reply.strings();
            assertTrue(s.size() == 1 && XSD_ERRORS.contains(s.get(0)) && reply.payload()[reply.payload().length - 1] == 0,
                    "an error is one xsd_errors name with its NUL: " + brief(reply));
        } else {
            assertEquals(req.type(), reply.type(), "a reply has the request's type or XS_ERROR: " + brief(req) + " -> " + brief(reply));
        }
        if (rules == Rules.C_XENSTORED) {
            assertTrue(reply.payload().length <= XENSTORE_PAYLOAD_MAX, "a reply over XENSTORE_PAYLOAD_MAX is E2BIG: " + reply.payload().length);
        }
        String err = reply.type() == XS_ERROR ? reply.strings().get(0) : null;
        // the expectation is judged by the transactions A had when it sent the request
        Set<Integer> openBefore = new LinkedHashSet<>(w.openTx);
        // A's transactions, as it learns them
        if (req.type() == XS_TRANSACTION_START && err == null) w.openTx.add(Integer.parseUnsignedInt(reply.strings().get(0)));
        if (req.type() == XS_TRANSACTION_END && !"EINVAL".equals(err)) w.openTx.remove(req.txId());
        if (req.type() == XS_RESET_WATCHES && err == null) w.openTx.clear();
        if (!sync) return;
        String expect = CXenstored.expected(req, openBefore, err, rules);
        if (expect == null) return;
        if (expect.equals("OK")) {
            assertEquals(null, err, "C xenstored accepts " + brief(req));
        } else {
            assertEquals(expect, err, "C xenstored's answer to " + brief(req));
        }
    }

    /** B's own I/O: writes, reads back, a transaction that adds and removes a hidden node. */
    static void victimWorks(World w) {
        int step = w.bSteps++;
        String p = "/local/domain/2/work/k" + w.random.nextInt(8);
        String v = "v" + w.random.nextInt(1_000_000);
        assertEquals("OK", b(w, new XsMessage(XS_WRITE, w.bReq++, 0, bytes(p + "\0" + v))), "B writes its node");
        assertEquals(v, b(w, XsMessage.of(XS_READ, w.bReq++, 0, p)), "B reads back its node");
        w.bModel.put(p, v);
        if (step % 4 == 3) { // a transaction replacing a hidden node (its removal must not reach a watcher who cannot read it)
            String tid = b(w, XsMessage.of(XS_TRANSACTION_START, w.bReq++, 0, ""));
            int tx = Integer.parseUnsignedInt(tid);
            String oldest = w.bModel.keySet().stream().filter(k -> k.contains("/hidden/")).findFirst().orElseThrow();
            String fresh = "/local/domain/2/hidden/priv-" + SECRET + (step + 2);
            assertEquals("OK", b(w, new XsMessage(XS_WRITE, w.bReq++, tx, bytes(fresh + "\0" + SECRET))));
            assertEquals("OK", b(w, XsMessage.of(XS_RM, w.bReq++, tx, oldest)));
            assertEquals("OK", b(w, XsMessage.of(XS_TRANSACTION_END, w.bReq++, tx, "T")), "B's transaction commits");
            w.bModel.remove(oldest);
            w.bModel.put(fresh, SECRET);
        }
        w.toB.clear();
    }

    /** B's request and the first string of its reply ("OK", a value, or the errno name). */
    static String b(World w, XsMessage m) {
        int mark = w.toB.size();
        w.core.handle(w.b, m);
        for (XsMessage r : w.toB.subList(mark, w.toB.size())) {
            if (r.type() == XS_WATCH_EVENT) continue;
            assertEquals(m.reqId(), r.reqId());
            if (r.type() == XS_READ) return new String(r.payload(), StandardCharsets.UTF_8);
            return r.strings().isEmpty() ? "" : r.strings().get(0);
        }
        throw new AssertionError("no reply to B's " + brief(m));
    }
}
