package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import xensim.abi.XsMessage;
import xensim.dom0.xenstored.XenstoredCore.Flavour;

/**
 * Issue 13 (items 7 and 12): the error C xenstored gives a hostile request, in C's order of checks
 * (tools/xenstored/core.c process_message, canonicalize, get_node, do_write, do_rm, do_set_perms;
 * transaction.c do_transaction_end; watch.c do_watch; domain.c do_get_domain_path, parse_domid),
 * one test per rule of the fuzz oracle (xensim.fuzz.CXenstored), and oxenstored's own answers
 * where it differs (process.ml process_packet). Domain 1 and 2 are unprivileged guests.
 */
class XenstoredCheckOrderTest {

    /** A store with dom0 and two guests whose home directories they own. */
    private static final class World {
        final XenstoredCore core;
        final Connection dom0;
        final Connection guest;
        final Connection other;
        final List<XsMessage> out = new ArrayList<>();
        int req;

        World(Flavour flavour) {
            core = new XenstoredCore(flavour, null);
            core.initDom0("Domain-0");
            dom0 = core.connect(0, "local", out::add);
            guest = core.connect(1, "ring", out::add);
            other = core.connect(2, "ring", out::add);
            for (int d = 1; d <= 2; d++) {
                assertEquals("OK", answer(dom0, XS_MKDIR, 0, "/local/domain/" + d + "\0"));
                assertEquals("OK", answer(dom0, XS_SET_PERMS, 0, "/local/domain/" + d + "\0n" + d + "\0"));
            }
        }

        /** The reply's first string: "OK", a value, or the errno name. */
        String answer(Connection c, int type, int tx, String payload) {
            out.clear();
            core.handle(c, new XsMessage(type, ++req, tx, payload.getBytes(StandardCharsets.UTF_8)));
            for (XsMessage m : out) {
                if (m.type() == XS_WATCH_EVENT) continue;
                assertEquals(req, m.reqId());
                if (m.type() == XS_READ) return new String(m.payload(), StandardCharsets.UTF_8);
                return m.strings().isEmpty() ? "" : String.join(" ", m.strings());
            }
            throw new AssertionError("no reply");
        }

        String answer(Connection c, int type, String payload) {
            return answer(c, type, 0, payload);
        }

        int startTx(Connection c) {
            return Integer.parseInt(answer(c, XS_TRANSACTION_START, ""  + "\0"));
        }
    }

    private static World c() {
        return new World(Flavour.DEFAULT);
    }

    @Test
    void enosysComesBeforeEverythingElse() {
        World w = c();
        // an unknown type with a foreign tx id and no NUL: the type is looked at first
        for (int type : new int[] {XS_WATCH_EVENT, XS_ERROR, 20, XS_TYPE_COUNT, 999}) {
            assertEquals("ENOSYS", w.answer(w.guest, type, 77, "x"), "type " + type);
        }
        // 4.17's wire_funcs ends at XS_DIRECTORY_PART: GET_QUOTA has no handler, so not EACCES
        World old = new World(Flavour.C_4_17);
        assertEquals("ENOSYS", old.answer(old.guest, XS_GET_QUOTA, "nodes\0"));
    }

    @Test
    void oneargWantsExactlyOneNulAtTheEnd() {
        World w = c();
        assertEquals("EINVAL", w.answer(w.guest, XS_READ, "data"));
        assertEquals("EINVAL", w.answer(w.guest, XS_READ, "data\0more\0"));
        assertEquals("EINVAL", w.answer(w.guest, XS_READ, ""));
        assertEquals("ENOENT", w.answer(w.guest, XS_READ, "data\0"));
    }

    @Test
    void theTransactionIsLookedUpBeforeTheArguments() {
        World w = c();
        // process_message: transaction_lookup before the handler sees its (invalid) argument
        assertEquals("ENOENT", w.answer(w.guest, XS_READ, 7, "bad.char\0"));
        assertEquals("ENOENT", w.answer(w.guest, XS_READ, 7, "no-nul"));
        assertEquals("ENOENT", w.answer(w.guest, XS_WRITE, 7, "/local/domain/2/x\0v"));
        assertEquals("ENOENT", w.answer(w.guest, XS_SET_PERMS, 7, "/local/domain/1\0"));
        assertEquals("ENOENT", w.answer(w.guest, XS_GET_FEATURE, 7, ""), "GET_FEATURE is not XS_FLAG_NOTID");
        // after the privilege flag: a guest's IS_DOMAIN_INTRODUCED with a foreign tx is EACCES
        assertEquals("EACCES", w.answer(w.guest, XS_IS_DOMAIN_INTRODUCED, 7, "1\0"));
        // WATCH and UNWATCH ignore the tx id (XS_FLAG_NOTID)
        assertEquals("OK", w.answer(w.guest, XS_WATCH, 7, "data\0tok\0"));
        assertEquals("OK", w.answer(w.guest, XS_UNWATCH, 7, "data\0tok\0"));
    }

    @Test
    void anOverlongPathIsEinvalNotEnospc() {
        World w = c();
        // canonicalize(): path-max counts after /local/domain/N/; EINVAL, as for any invalid path
        assertEquals("EINVAL", w.answer(w.guest, XS_READ, "/local/domain/1/" + "y".repeat(2049) + "\0"));
        assertEquals("EINVAL", w.answer(w.guest, XS_WRITE, "/local/domain/1/" + "y".repeat(2049) + "\0v"));
        assertEquals("EINVAL", w.answer(w.guest, XS_WATCH, "/local/domain/1/" + "y".repeat(2049) + "\0t\0"));
        // 4.22's domain_quota_val_exceeds: val >= quota, so 2048 is already too long; 4.21 took it
        String exactly = "/local/domain/1/" + "y".repeat(XENSTORE_REL_PATH_MAX) + "\0";
        assertEquals("EINVAL", w.answer(w.guest, XS_READ, exactly));
        World w421 = new World(Flavour.C_4_21);
        assertEquals("ENOENT", w421.answer(w421.guest, XS_READ, exactly));
        assertEquals("ENOENT", w.answer(w.guest, XS_READ, "/local/domain/1/" + "y".repeat(XENSTORE_REL_PATH_MAX - 1) + "\0"));
        // privileged domains have no path-max
        assertEquals("ENOENT", w.answer(w.dom0, XS_READ, "/local/domain/1/" + "y".repeat(2049) + "\0"));
    }

    @Test
    void aDotIsNotAValidCharacter() {
        World w = c();
        // valid_chars(): [A-Za-z0-9-/_@]
        assertEquals("EINVAL", w.answer(w.guest, XS_READ, "bad.char\0"));
        assertEquals("EINVAL", w.answer(w.guest, XS_WRITE, "bad.char\0v"));
        assertEquals("EINVAL", w.answer(w.dom0, XS_MKDIR, "/local/domain/0/a.b\0"));
        assertEquals("ENOENT", w.answer(w.guest, XS_READ, "bad-char_ok@x\0"));
    }

    @Test
    void specialNodesHavePermissions() {
        World w = c();
        // do_get_perms: get_node_const(..., allow_special = true); setup_structure made the nodes
        assertEquals("EACCES", w.answer(w.guest, XS_GET_PERMS, "@introduceDomain\0"), "dom0's node (n0)");
        assertEquals("n0", w.answer(w.dom0, XS_GET_PERMS, "@introduceDomain\0"));
        assertEquals("n0 r32757", w.answer(w.guest, XS_GET_PERMS, "@releaseDomain\0"), "4.22: DOMID_ANY may read it");
        assertEquals("EACCES", w.answer(w.guest, XS_GET_PERMS, "@bogus\0"), "missing: the root (n0) tells EACCES");
        assertEquals("ENOENT", w.answer(w.dom0, XS_GET_PERMS, "@bogus\0"));
        assertEquals("EINVAL", w.answer(w.guest, XS_READ, "@introduceDomain\0"), "no special node for READ");
        World w421 = new World(Flavour.C_4_21);
        assertEquals("EACCES", w421.answer(w421.guest, XS_GET_PERMS, "@releaseDomain\0"), "before 4.22: dom0's");
        // do_set_perms reaches them too (dom0 may, a guest may not)
        assertEquals("OK", w.answer(w.dom0, XS_SET_PERMS, "@introduceDomain\0n0\0r1\0"));
        assertEquals("n0 r1", w.answer(w.guest, XS_GET_PERMS, "@introduceDomain\0"));
        assertEquals("EACCES", w.answer(w.guest, XS_SET_PERMS, "@introduceDomain\0n1\0"));
        // any "@" name is a valid watch path (check_watch_path: canonicalize(allow_special))
        assertEquals("OK", w.answer(w.guest, XS_WATCH, "@anything\0t\0"));
    }

    @Test
    void isDomainIntroducedIsPrivileged() {
        World w = c();
        assertEquals("EACCES", w.answer(w.guest, XS_IS_DOMAIN_INTRODUCED, "1\0"), "XS_FLAG_PRIV");
        assertEquals("EACCES", w.answer(w.guest, XS_IS_DOMAIN_INTRODUCED, "junk"), "before its argument");
        assertEquals("T", w.answer(w.dom0, XS_IS_DOMAIN_INTRODUCED, "0\0"));
        assertEquals("T", w.answer(w.dom0, XS_IS_DOMAIN_INTRODUCED, "32752\0"), "DOMID_SELF");
        assertEquals("F", w.answer(w.dom0, XS_IS_DOMAIN_INTRODUCED, "5\0"));
    }

    @Test
    void transactionEndChecksItsArgumentBeforeTxZero() {
        World w = c();
        // do_transaction_end: onearg "T"/"F" (EINVAL) before conn->transaction == NULL (ENOENT)
        assertEquals("EINVAL", w.answer(w.guest, XS_TRANSACTION_END, 0, "X\0"));
        assertEquals("EINVAL", w.answer(w.guest, XS_TRANSACTION_END, 0, "T\0extra\0"));
        assertEquals("EINVAL", w.answer(w.guest, XS_TRANSACTION_END, 0, "T"));
        assertEquals("ENOENT", w.answer(w.guest, XS_TRANSACTION_END, 0, "T\0"));
        // an unknown tx id is refused by process_message before the argument
        assertEquals("ENOENT", w.answer(w.guest, XS_TRANSACTION_END, 99, "X\0"));
        int tx = w.startTx(w.guest);
        assertEquals("EINVAL", w.answer(w.guest, XS_TRANSACTION_END, tx, "X\0"));
        assertEquals("OK", w.answer(w.guest, XS_TRANSACTION_END, tx, "F\0"), "a bad argument leaves it open");
    }

    @Test
    void watchTakesTwoStringsOrADepth() {
        World w421 = new World(Flavour.C_4_21);
        assertEquals("EINVAL", w421.answer(w421.guest, XS_WATCH, "data\0tok"), "the token lacks its NUL");
        assertEquals("EINVAL", w421.answer(w421.guest, XS_WATCH, "data\0tok\0extra\0"), "no WATCHDEPTH before 4.22");
        assertEquals("EINVAL", w421.answer(w421.guest, XS_UNWATCH, "data\0tok\0extra\0"));
        World w = c();
        assertEquals("EINVAL", w.answer(w.guest, XS_WATCH, "data\0tok\0-1\0"), "a negative depth");
        assertEquals("EINVAL", w.answer(w.guest, XS_WATCH, "data\0tok\0" + "1\0x\0"), "four strings");
        // 4.22 with WATCHDEPTH: depth 0 fires for the node only, not below it (is_child)
        assertEquals("OK", w.answer(w.guest, XS_WATCH, "d\0shallow\0" + "0\0"));
        assertEquals("OK", w.answer(w.guest, XS_WATCH, "d\0deep\0"));
        w.out.clear();
        w.core.handle(w.guest, new XsMessage(XS_WRITE, 500, 0, "d/x\0v".getBytes(StandardCharsets.UTF_8)));
        List<String> tokens = w.out.stream().filter(m -> m.type() == XS_WATCH_EVENT).map(m -> m.strings().get(1)).toList();
        assertEquals(List.of("deep"), tokens, "a write below d reaches only the unlimited watch");
        w.out.clear();
        w.core.handle(w.guest, new XsMessage(XS_WRITE, 501, 0, "d\0v".getBytes(StandardCharsets.UTF_8)));
        tokens = w.out.stream().filter(m -> m.type() == XS_WATCH_EVENT).map(m -> m.strings().get(1)).toList();
        assertEquals(List.of("shallow", "deep"), tokens, "a write of d itself reaches both");
    }

    @Test
    void getDomainPathParsesTheDomidAsTheVersionDoes() {
        World w = c(); // 4.22: parse_domid
        assertEquals("/local/domain/7", w.answer(w.guest, XS_GET_DOMAIN_PATH, "7\0"));
        assertEquals("/local/domain/32752", w.answer(w.guest, XS_GET_DOMAIN_PATH, "32752\0"));
        assertEquals("/local/domain/0", w.answer(w.guest, XS_GET_DOMAIN_PATH, "\0"), "strtoul(\"\") is 0 with *end == 0");
        assertEquals("EINVAL", w.answer(w.guest, XS_GET_DOMAIN_PATH, "abc\0"));
        assertEquals("EINVAL", w.answer(w.guest, XS_GET_DOMAIN_PATH, "-1\0"));
        assertEquals("EINVAL", w.answer(w.guest, XS_GET_DOMAIN_PATH, "65536\0"));
        assertEquals("/local/domain/65535", w.answer(w.guest, XS_GET_DOMAIN_PATH, "65535\0"));
        World w421 = new World(Flavour.C_4_21); // atoi(), printed with %u
        assertEquals("/local/domain/0", w421.answer(w421.guest, XS_GET_DOMAIN_PATH, "abc\0"));
        assertEquals("/local/domain/4294967295", w421.answer(w421.guest, XS_GET_DOMAIN_PATH, "-1\0"));
        assertEquals("/local/domain/99999", w421.answer(w421.guest, XS_GET_DOMAIN_PATH, "99999\0"));
        World ox = new World(Flavour.OCAML); // c_int_of_string: skip non-digits
        assertEquals("/local/domain/1", ox.answer(ox.guest, XS_GET_DOMAIN_PATH, "-1\0"));
        assertEquals("EINVAL", w.answer(w.guest, XS_GET_DOMAIN_PATH, "7"), "onearg first");
    }

    @Test
    void thePermissionComesBeforeTheNodeSizeQuota() {
        World w = c();
        String big = "x".repeat(3000);
        // do_write: get_node(XS_PERM_WRITE) before write_node_raw's node-size check
        assertEquals("EACCES", w.answer(w.guest, XS_WRITE, "/local/domain/2/x\0" + big));
        assertEquals("EACCES", w.answer(w.guest, XS_WRITE, "/tool/x\0" + big));
        assertEquals("ENOSPC", w.answer(w.guest, XS_WRITE, "mine\0" + big), "its own node: the quota");
        assertEquals("OK", w.answer(w.guest, XS_WRITE, "mine\0small"));
        assertEquals("ENOSPC", w.answer(w.guest, XS_WRITE, "mine\0" + big), "an existing node too");
        assertEquals("small", w.answer(w.guest, XS_READ, "mine\0"));
        // calc_node_acc_size: 16-byte header + 8 per permission + the data, 4.22: >= 2048
        assertEquals("ENOSPC", w.answer(w.guest, XS_WRITE, "mine\0" + "x".repeat(2048 - 24)));
        assertEquals("OK", w.answer(w.guest, XS_WRITE, "mine\0" + "x".repeat(2048 - 25)));
    }

    @Test
    void rmOfTheRootIsRefusedByItsPermissionFirst() {
        World w = c();
        // do_rm: get_node(XS_PERM_WRITE) first; the root is dom0's (n0)
        assertEquals("EACCES", w.answer(w.guest, XS_RM, "/\0"));
        assertEquals("EINVAL", w.answer(w.dom0, XS_RM, "/\0"));
        assertEquals("OK", w.answer(w.guest, XS_RM, "missing\0"), "a missing node whose parent exists is fine");
        assertEquals("ENOENT", w.answer(w.guest, XS_RM, "missing/deeper\0"));
        assertEquals("EACCES", w.answer(w.guest, XS_RM, "/local/domain/2/missing\0"));
    }

    @Test
    void setPermsCountsNulsThenQuotaThenParsesThenNeedsOwnership() {
        World w = c();
        // xenstore_count_strings: the NULs; "n1" without its NUL is not a permission
        assertEquals("EINVAL", w.answer(w.guest, XS_SET_PERMS, "/local/domain/1\0n1"));
        // ACC_NPERM before the node is looked at (4.22: 5 permissions reach the quota of 5)
        assertEquals("ENOSPC", w.answer(w.guest, XS_SET_PERMS, "/local/domain/2\0n1\0n1\0n1\0n1\0n1\0"));
        World w421 = new World(Flavour.C_4_21);
        assertEquals("EACCES", w421.answer(w421.guest, XS_SET_PERMS, "/local/domain/2\0n1\0n1\0n1\0n1\0n1\0"), "4.21: val > quota");
        // xenstore_strings_to_perms before get_node
        assertEquals("EINVAL", w.answer(w.guest, XS_SET_PERMS, "/local/domain/2\0x1\0"));
        assertEquals("EACCES", w.answer(w.guest, XS_SET_PERMS, "/local/domain/2\0n1\0"));
        // XS_PERM_OWNER: a domain that may write a node may not change its permissions
        assertEquals("OK", w.answer(w.guest, XS_WRITE, "pub\0v"));
        assertEquals("OK", w.answer(w.guest, XS_SET_PERMS, "pub\0n1\0b2\0"));
        assertEquals("OK", w.answer(w.other, XS_WRITE, "/local/domain/1/pub\0changed"), "domain 2 may write");
        assertEquals("EACCES", w.answer(w.other, XS_SET_PERMS, "/local/domain/1/pub\0n1\0b2\0"));
        assertEquals("EPERM", w.answer(w.guest, XS_SET_PERMS, "pub\0n2\0"), "the owner may not give it away");
    }

    @Test
    void getFeatureOfAnotherDomainIsPrivileged() {
        World w = c(); // 4.22: no XS_FLAG_PRIV; an argument asks for another domain
        assertEquals("14", w.answer(w.guest, XS_GET_FEATURE, ""));
        assertEquals("EACCES", w.answer(w.guest, XS_GET_FEATURE, "1\0"));
        assertEquals("EACCES", w.answer(w.guest, XS_GET_FEATURE, "\0"));
        World w421 = new World(Flavour.C_4_21); // XS_FLAG_PRIV
        assertEquals("EACCES", w421.answer(w421.guest, XS_GET_FEATURE, ""));
    }

    @Test
    void oxenstoredAnswersAnUnknownTransactionWithEioFirst() {
        World ox = new World(Flavour.OCAML);
        // process_packet: Connection.get_transaction raises Not_found outside input_handle_error
        assertEquals("EIO", ox.answer(ox.guest, XS_READ, 7, "data\0"));
        assertEquals("EIO", ox.answer(ox.guest, XS_READ, 7, "bad.char\0"));
        assertEquals("EIO", ox.answer(ox.guest, 999, 7, "x"), "before the type's handler (do_error)");
        assertEquals("EIO", ox.answer(ox.guest, XS_IS_DOMAIN_INTRODUCED, 7, "1\0"));
        assertEquals("ENOSYS", ox.answer(ox.guest, 999, 0, "x"));
        assertEquals("OK", ox.answer(ox.guest, XS_WATCH, 7, "data\0tok\0"), "maybe_ignore_transaction");
        int tx = ox.startTx(ox.guest);
        assertEquals("OK", ox.answer(ox.guest, XS_WRITE, tx, "data\0v"));
        assertTrue(ox.answer(ox.guest, XS_TRANSACTION_END, tx, "T\0").equals("OK"));
    }
}
