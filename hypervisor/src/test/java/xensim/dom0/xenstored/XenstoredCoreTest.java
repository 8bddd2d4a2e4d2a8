package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import xensim.abi.XsMessage;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;

class XenstoredCoreTest {
    private XenstoredCore core;
    private EventRecorder rec;
    private final List<XsMessage> dom0Out = new ArrayList<>();
    private final List<XsMessage> guestOut = new ArrayList<>();
    private final List<XsMessage> otherOut = new ArrayList<>();
    private Connection dom0;
    private Connection guest;
    private Connection other;
    private int reqId;

    @BeforeEach
    void setUp() {
        rec = new EventRecorder();
        core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, new EventLog(rec));
        core.initDom0("Domain-0");
        dom0 = core.connect(0, "local", dom0Out::add);
        guest = core.connect(1, "ring", guestOut::add);
        other = core.connect(2, "ring", otherOut::add);
        // what the toolstack does: each guest's home directory, owned by the guest
        for (int d = 1; d <= 2; d++) {
            ok(dom0, XS_MKDIR, "/local/domain/" + d);
            ok(dom0, XS_SET_PERMS, "/local/domain/" + d, "n" + d); // owner d, others nothing
        }
    }

    private XsMessage send(Connection c, int type, int tx, String... args) {
        List<XsMessage> out = c == dom0 ? dom0Out : c == guest ? guestOut : otherOut;
        out.clear();
        core.handle(c, XsMessage.of(type, ++reqId, tx, args));
        XsMessage reply = out.stream().filter(m -> m.reqId() == reqId && m.type() != XS_WATCH_EVENT).findFirst().orElseThrow();
        return reply;
    }

    private XsMessage send(Connection c, int type, String... args) {
        return send(c, type, 0, args);
    }

    private XsMessage write(Connection c, int tx, String path, String value) {
        List<XsMessage> out = c == dom0 ? dom0Out : c == guest ? guestOut : otherOut;
        out.clear();
        core.handle(c, new XsMessage(XS_WRITE, ++reqId, tx, (path + "\0" + value).getBytes(StandardCharsets.UTF_8)));
        return out.stream().filter(m -> m.reqId() == reqId).findFirst().orElseThrow();
    }

    private void ok(Connection c, int type, String... args) {
        XsMessage r = send(c, type, args);
        assertEquals(type, r.type(), () -> "expected OK, got " + r);
    }

    private static String err(XsMessage r) {
        assertEquals(XS_ERROR, r.type(), () -> "expected an error, got " + abbreviated(r));
        return r.strings().get(0);
    }

    private static String abbreviated(XsMessage r) {
        String s = r.toString();
        return s.length() > 200 ? s.substring(0, 200) + "... (" + r.payload().length + " bytes)" : s;
    }

    @Test
    void readWriteDirectoryAndPaths() {
        assertEquals(XS_WRITE, write(guest, 0, "device/vbd/51712/state", "1").type());
        XsMessage r = send(guest, XS_READ, "/local/domain/1/device/vbd/51712/state");
        assertEquals("1", new String(r.payload(), StandardCharsets.UTF_8), "no NUL after a READ value");
        assertEquals(List.of("51712"), send(guest, XS_DIRECTORY, "device/vbd").strings());
        assertEquals(0, send(guest, XS_DIRECTORY, "device/vbd/51712/state").payload().length);
        assertEquals("ENOENT", err(send(guest, XS_READ, "nope")));
        assertEquals("EINVAL", err(send(guest, XS_READ, "bad path")));
        assertEquals("EINVAL", err(send(guest, XS_READ, "/trailing/")));
        assertEquals("EINVAL", err(send(guest, XS_READ, "/a//b")));
        assertEquals("EINVAL", err(send(guest, XS_READ, "/" + "x".repeat(XENSTORE_ABS_PATH_MAX))));
        assertEquals(List.of("/local/domain/7"), send(guest, XS_GET_DOMAIN_PATH, "7").strings());
    }

    @Test
    void permissionsIsolateDomains() {
        write(guest, 0, "secret", "mine");
        assertEquals("EACCES", err(send(other, XS_READ, "/local/domain/1/secret")));
        assertEquals("EACCES", err(write(other, 0, "/local/domain/1/secret", "x")));
        assertEquals("EACCES", err(write(other, 0, "/local/domain/1/new/node", "x")), "creating under an unwritable ancestor");
        assertEquals("EACCES", err(send(other, XS_READ, "/local/domain/1/missing")), "no existence leak under an unreadable parent");
        assertEquals("EACCES", err(send(other, XS_RM, "/local/domain/1/secret")));
        assertEquals("EACCES", err(send(guest, XS_INTRODUCE, "3", "100", "5")), "dom0 only");
        // the owner grants read to dom2
        ok(guest, XS_SET_PERMS, "secret", "n1", "r2");
        assertEquals("mine", new String(send(other, XS_READ, "/local/domain/1/secret").payload(), StandardCharsets.UTF_8));
        assertEquals(List.of("n1", "r2"), send(other, XS_GET_PERMS, "/local/domain/1/secret").strings());
        assertEquals("EPERM", err(send(guest, XS_SET_PERMS, "secret", "n2")), "a guest cannot give nodes away");
        // a node created by the guest is owned by it, inheriting the parent's list
        write(guest, 0, "data/x", "1");
        assertEquals(List.of("n1"), send(dom0, XS_GET_PERMS, "/local/domain/1/data/x").strings());
    }

    @Test
    void rmIsRecursiveAndOkWhenOnlyTheLeafIsMissing() {
        write(guest, 0, "a/b/c", "1");
        write(guest, 0, "a/d", "2");
        ok(guest, XS_RM, "a");
        assertEquals("ENOENT", err(send(guest, XS_READ, "a/b/c")));
        ok(guest, XS_RM, "a"); // parent exists: OK
        assertEquals("ENOENT", err(send(guest, XS_RM, "x/y")));
        assertEquals("EINVAL", err(send(dom0, XS_RM, "/")));
        ok(guest, XS_MKDIR, "m");
        ok(guest, XS_MKDIR, "m");
    }

    @Test
    void transactionsCommitAbortAndConflict() {
        int tx = Integer.parseInt(send(guest, XS_TRANSACTION_START, "").strings().get(0));
        write(guest, tx, "t", "in-tx");
        assertEquals("ENOENT", err(send(guest, XS_READ, "t")), "invisible outside the transaction");
        assertEquals("in-tx", new String(send(guest, XS_READ, tx, "t").payload(), StandardCharsets.UTF_8));
        assertEquals("ENOENT", err(send(guest, XS_TRANSACTION_END, "T")), "tx 0 in the header is no transaction");
        XsMessage end = send(guest, XS_TRANSACTION_END, tx, "T");
        assertEquals(XS_TRANSACTION_END, end.type(), end.toString());
        assertEquals("in-tx", new String(send(guest, XS_READ, "t").payload(), StandardCharsets.UTF_8));

        int t2 = Integer.parseInt(send(guest, XS_TRANSACTION_START, "").strings().get(0));
        send(guest, XS_READ, t2, "t");
        write(guest, 0, "t", "outside"); // conflicting change after the transaction read it
        write(guest, t2, "u", "x");
        assertEquals("EAGAIN", err(send(guest, XS_TRANSACTION_END, t2, "T")));
        assertEquals("ENOENT", err(send(guest, XS_READ, "u")), "a failed commit applies nothing");
        assertEquals("ENOENT", err(send(guest, XS_TRANSACTION_END, t2, "T")), "the transaction is gone");

        int t3 = Integer.parseInt(send(guest, XS_TRANSACTION_START, "").strings().get(0));
        write(guest, t3, "v", "x");
        assertEquals(XS_TRANSACTION_END, send(guest, XS_TRANSACTION_END, t3, "F").type());
        assertEquals("ENOENT", err(send(guest, XS_READ, "v")), "an aborted transaction applies nothing");
    }

    @Test
    void nestedOrUnknownTransactionsAreRefused() {
        int tx = Integer.parseInt(send(guest, XS_TRANSACTION_START, "").strings().get(0));
        assertEquals("EBUSY", err(send(guest, XS_TRANSACTION_START, tx, "")));
        assertEquals("ENOENT", err(send(guest, XS_READ, 12345, "x")));
        assertEquals("EINVAL", err(send(guest, XS_TRANSACTION_END, tx, "maybe")));
        assertEquals(XS_TRANSACTION_END, send(guest, XS_TRANSACTION_END, tx, "F").type());
    }

    @Test
    void watchesFireInitiallyOnChangesAndOnlyForReadableNodes() {
        guestOut.clear();
        core.handle(guest, XsMessage.of(XS_WATCH, 77, 0, "device", "tok"));
        assertEquals(XS_WATCH, guestOut.get(0).type());
        assertEquals(List.of("device", "tok"), guestOut.get(1).strings(), "initial event, relative path");
        guestOut.clear();
        write(dom0, 0, "/local/domain/1/device/vbd/1/state", "4");
        List<XsMessage> events = guestOut.stream().filter(m -> m.type() == XS_WATCH_EVENT).toList();
        assertEquals(List.of("device/vbd/1/state", "tok"), events.get(0).strings());
        assertEquals("EEXIST", err(send(guest, XS_WATCH, "device", "tok")));
        // dom2 watching dom1's tree learns nothing
        core.handle(other, XsMessage.of(XS_WATCH, 78, 0, "/local/domain/1", "spy"));
        otherOut.clear();
        write(guest, 0, "device/secret", "x");
        assertTrue(otherOut.stream().noneMatch(m -> m.type() == XS_WATCH_EVENT), otherOut.toString());
        ok(guest, XS_UNWATCH, "device", "tok");
        assertEquals("ENOENT", err(send(guest, XS_UNWATCH, "device", "tok")));
    }

    @Test
    void removingAnAncestorFiresWatchesBelowIt() {
        write(guest, 0, "dev/a/b", "1");
        core.handle(guest, XsMessage.of(XS_WATCH, 1, 0, "/local/domain/1/dev/a/b", "deep"));
        guestOut.clear();
        ok(guest, XS_RM, "dev");
        assertTrue(guestOut.stream().anyMatch(m -> m.type() == XS_WATCH_EVENT && m.strings().get(1).equals("deep")));
    }

    @Test
    void resetWatchesDropsWatchesAndTransactions() {
        core.handle(guest, XsMessage.of(XS_WATCH, 1, 0, "a", "t"));
        int tx = Integer.parseInt(send(guest, XS_TRANSACTION_START, "").strings().get(0));
        ok(guest, XS_RESET_WATCHES);
        guestOut.clear();
        write(guest, 0, "a", "1");
        assertTrue(guestOut.stream().noneMatch(m -> m.type() == XS_WATCH_EVENT));
        assertEquals("ENOENT", err(send(guest, XS_TRANSACTION_END, tx, "T")));
    }

    @Test
    void quotasGiveEnospc() {
        core.quotas().set(1, Quotas.NODES, 5);
        String last = null;
        for (int i = 0; i < 10; i++) {
            XsMessage r = write(guest, 0, "q" + i, "x");
            if (r.type() == XS_ERROR) {
                last = r.strings().get(0);
                break;
            }
        }
        assertEquals("ENOSPC", last);
        assertEquals("ENOSPC", err(write(guest, 0, "big", "x".repeat(2049))));
        for (int i = 0; i < 10; i++) send(guest, XS_TRANSACTION_START, "");
        assertEquals("ENOSPC", err(send(guest, XS_TRANSACTION_START, "")));
        assertEquals(List.of("5"), send(dom0, XS_GET_QUOTA, "1", Quotas.NODES).strings());
        assertEquals(List.of("1000"), send(dom0, XS_GET_QUOTA, Quotas.NODES).strings());
        ok(dom0, XS_SET_QUOTA, Quotas.WATCHES, "2");
        core.handle(guest, XsMessage.of(XS_WATCH, 1, 0, "w1", "t"));
        core.handle(guest, XsMessage.of(XS_WATCH, 2, 0, "w2", "t"));
        assertEquals("ENOSPC", err(send(guest, XS_WATCH, "w3", "t")));
        assertEquals("EACCES", err(send(guest, XS_SET_QUOTA, Quotas.WATCHES, "500")));
        assertTrue(send(dom0, XS_GET_QUOTA).strings().get(0).contains("nodes watches outstanding transactions"));
    }

    @Test
    void introduceReleaseAndSpecialWatches() {
        core.handle(dom0, XsMessage.of(XS_WATCH, 1, 0, "@introduceDomain", "i"));
        core.handle(dom0, XsMessage.of(XS_WATCH, 2, 0, "@releaseDomain", "r"));
        List<int[]> seen = new ArrayList<>();
        core.setDomainListener(new XenstoredCore.DomainListener() {
            public boolean introduced(int domid, long gfn, int port) {
                seen.add(new int[] {domid, (int) gfn, port});
                return false;
            }
            public void released(int domid) { seen.add(new int[] {-domid}); }
        });
        assertEquals(List.of("F"), send(dom0, XS_IS_DOMAIN_INTRODUCED, "3").strings());
        dom0Out.clear();
        core.handle(dom0, XsMessage.of(XS_INTRODUCE, 9, 0, "3", "4096", "7"));
        assertTrue(dom0Out.stream().anyMatch(m -> m.type() == XS_WATCH_EVENT && m.strings().equals(List.of("@introduceDomain", "i"))));
        assertEquals(List.of("T"), send(dom0, XS_IS_DOMAIN_INTRODUCED, "3").strings());
        ok(dom0, XS_RELEASE, "3");
        assertEquals("ENOENT", err(send(dom0, XS_RELEASE, "3")));
        assertEquals(3, seen.get(0)[0]);
        assertEquals(-3, seen.get(1)[0]);
        assertEquals("EINVAL", err(send(dom0, XS_INTRODUCE, "x", "1", "1")));
    }

    @Test
    void featuresByFlavour() {
        assertEquals(List.of("14"), send(guest, XS_GET_FEATURE).strings(), "C 4.22 (the default): ERROR|WATCHDEPTH|DOMID_ANY");
        assertEquals(XenstoredCore.Flavour.C_4_22, XenstoredCore.Flavour.parse("c"), "c is an alias of the default");
        assertEquals(1, new XenstoredCore(XenstoredCore.Flavour.OCAML, null).serverFeatures(5), "oxenstored: RECONNECTION only");
        assertEquals(2, new XenstoredCore(XenstoredCore.Flavour.C_4_21, null).serverFeatures(5), "C 4.21: ERROR only (fdd31b3bed)");
        XenstoredCore old = new XenstoredCore(XenstoredCore.Flavour.C_4_17, null);
        assertEquals(0, old.serverFeatures(5), "C 4.17-4.20: no server_features");
        List<XsMessage> got = new java.util.ArrayList<>();
        Connection oldDom0 = old.connect(0, "test", got::add);
        Connection oldGuest = old.connect(5, "test", got::add);
        old.handle(oldGuest, XsMessage.of(XS_GET_FEATURE, 1, 0, ""));
        old.handle(oldDom0, XsMessage.of(XS_GET_QUOTA, 2, 0, ""));
        assertEquals(List.of("ENOSYS"), got.get(0).strings(), "no XS_GET_FEATURE before 4.21");
        assertEquals(List.of("ENOSYS"), got.get(1).strings(), "no XS_GET_QUOTA before 4.21");
        assertEquals("EINVAL", err(send(dom0, XS_SET_FEATURE, "9", "1")), "cannot offer what C xenstored lacks");
        ok(dom0, XS_SET_FEATURE, "9", "2");
        assertEquals(2, core.serverFeatures(9));
    }

    @Test
    void directoryPartPagesLongChildLists() {
        for (int i = 0; i < 400; i++) write(dom0, 0, "/big/child-with-a-long-name-" + i, "");
        List<String> all = new ArrayList<>();
        int off = 0;
        String gen = null;
        while (true) {
            XsMessage r = send(dom0, XS_DIRECTORY_PART, "/big", String.valueOf(off));
            assertTrue(r.payload().length <= XENSTORE_PAYLOAD_MAX);
            List<String> s = r.strings();
            if (gen == null) gen = s.get(0);
            assertEquals(gen, s.get(0), "generation stable while unchanged");
            List<String> names = s.subList(1, s.size());
            boolean end = names.contains("");
            for (String n : names) if (!n.isEmpty()) {
                all.add(n);
                off += n.length() + 1;
            }
            if (end) break;
        }
        assertEquals(400, all.size());
        assertEquals("child-with-a-long-name-399", all.get(399));
    }

    @Test
    void everyRequestIsLoggedWithItsAnswer() {
        write(guest, 0, "x", "1");
        send(other, XS_READ, "/local/domain/1/x");
        var rsp = rec.named("XS_RSP");
        var last = rsp.get(rsp.size() - 1);
        assertEquals("XS_READ", last.get("type"));
        assertEquals("/local/domain/1/x", last.get("path"));
        assertEquals("EACCES", last.get("error"));
        assertEquals(2, last.dom());
        assertFalse(rec.named("XS_REQ").isEmpty());
    }
    private XsMessage raw(Connection c, int type, int tx, String payload) {
        List<XsMessage> out = c == dom0 ? dom0Out : c == guest ? guestOut : otherOut;
        out.clear();
        core.handle(c, new XsMessage(type, ++reqId, tx, payload.getBytes(StandardCharsets.UTF_8)));
        return out.stream().filter(m -> m.reqId() == reqId && m.type() != XS_WATCH_EVENT).findFirst().orElseThrow();
    }

    @Test
    void aReplyOverThePayloadLimitIsE2big() {
        // 2,000 children of 9 bytes: the child list is ~20,000 bytes, five times XENSTORE_PAYLOAD_MAX
        for (int i = 0; i < 2000; i++) write(dom0, 0, String.format("/big/c%07d", i), "");
        assertEquals("E2BIG", err(send(dom0, XS_DIRECTORY, "/big")), "C send_reply: len > XENSTORE_PAYLOAD_MAX");
        assertTrue(send(dom0, XS_DIRECTORY_PART, "/big", "0").payload().length <= XENSTORE_PAYLOAD_MAX, "the paged form still works");
        assertEquals("E2BIG", rec.named("XS_RSP").get(rec.named("XS_RSP").size() - 2).get("error"), "the log shows the error");
        for (XsMessage m : dom0Out) assertTrue(m.payload().length <= XENSTORE_PAYLOAD_MAX);
    }

    @Test
    void aWatchEventOverThePayloadLimitIsNotSent() {
        String token = "t".repeat(XENSTORE_PAYLOAD_MAX - 10);
        ok(dom0, XS_WATCH, "/", token); // the request fits: "/\0" + token + "\0"
        dom0Out.clear();
        write(dom0, 0, "/local/domain/0/a-path-long-enough", "1"); // path + token no longer fit
        assertTrue(dom0Out.stream().noneMatch(m -> m.type() == XS_WATCH_EVENT), "C send_event drops over-long events");
    }

    @Test
    void stringArgumentsMustBeNulTerminated() {
        // onearg(): the payload holds exactly one NUL, at its end
        assertEquals("EINVAL", err(raw(dom0, XS_READ, 0, "/local/domain/0/domid")));
        assertEquals("EINVAL", err(raw(dom0, XS_READ, 0, "/local/domain/0/domid\0extra\0")));
        assertEquals("EINVAL", err(raw(dom0, XS_DIRECTORY, 0, "/local/domain/0")));
        assertEquals("EINVAL", err(raw(dom0, XS_GET_PERMS, 0, "/local/domain/0")));
        assertEquals("EINVAL", err(raw(guest, XS_MKDIR, 0, "made")));
        assertEquals("ENOENT", err(send(guest, XS_READ, "made")), "nothing was created");
        write(guest, 0, "keep", "1");
        assertEquals("EINVAL", err(raw(guest, XS_RM, 0, "keep")));
        assertEquals("1", new String(send(guest, XS_READ, "keep").payload(), StandardCharsets.UTF_8), "nothing was removed");
        assertEquals("EINVAL", err(raw(dom0, XS_GET_DOMAIN_PATH, 0, "1")));
        int tx = Integer.parseInt(send(guest, XS_TRANSACTION_START, "").strings().get(0));
        assertEquals("EINVAL", err(raw(guest, XS_TRANSACTION_END, tx, "T")));
        // get_strings(): only NUL-terminated strings count
        assertEquals("EINVAL", err(raw(guest, XS_WATCH, 0, "keep\0tok")));
        assertEquals("EINVAL", err(raw(dom0, XS_SET_PERMS, 0, "/local/domain/1/keep")));
        assertEquals("EINVAL", err(raw(dom0, XS_INTRODUCE, 0, "5\0" + "100\0" + "7")));
        assertEquals(XS_READ, raw(dom0, XS_READ, 0, "/local/domain/0/domid\0").type(), "the terminated form is fine");
    }

    @Test
    void unknownMessageTypesAreEnosys() {
        for (int type : new int[] {999, XS_WATCH_EVENT, XS_ERROR, 20, XS_TYPE_COUNT, XS_INVALID}) {
            assertEquals("ENOSYS", err(send(guest, type)), "C process_message: no wire_funcs entry for " + type);
        }
    }

    @Test
    void watchRegistrationIsConstantWorkPerWatch() {
        XenstoredCore quiet = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, null);
        int[] replies = {0};
        XsMessage[] last = {null};
        Connection c = quiet.connect(0, "local", m -> {
            replies[0]++;
            last[0] = m;
        });
        int n = 30_000;
        long before = quiet.watchProbes();
        for (int i = 0; i < n; i++) quiet.handle(c, XsMessage.of(XS_WATCH, i, 0, "/w/" + i, "tok" + i));
        long probes = quiet.watchProbes() - before;
        assertEquals(2L * n, replies[0], "every watch answered, and fired once");
        // a list scanned per registration examines n(n-1)/2 = 450 million entries for 30k watches
        assertTrue(probes <= 4L * n, "watch entries examined to register " + n + " watches: " + probes);
        quiet.handle(c, XsMessage.of(XS_WATCH, 1, 0, "/w/7", "tok7"));
        assertEquals("EEXIST", err(last[0]), "still one watch per path and token");
    }
}
