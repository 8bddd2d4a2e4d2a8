package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import xensim.abi.XsMessage;

/**
 * Found by the hostile-guest campaign (xensim.fuzz.XsWireCampaign): a node removed inside a
 * committed transaction reached the watchers of its ancestors whether or not they may read it,
 * because the permission check ran after the commit, when the node was gone. C xenstored fires a
 * transaction's watches with the permissions recorded when the node changed (transaction.c), and
 * never for a node nobody may read.
 */
class TransactionWatchLeakTest {

    private static XsMessage write(int req, int tx, String path, String value) {
        return new XsMessage(XS_WRITE, req, tx, (path + "\0" + value).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aNodeRemovedInATransactionIsNotReportedToAWatcherWhoCannotReadIt() {
        XenstoredCore core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, null);
        core.initDom0("Domain-0");
        Connection dom0 = core.connect(0, "toolstack", m -> { });
        for (int d = 1; d <= 2; d++) {
            core.handle(dom0, XsMessage.of(XS_MKDIR, 1, 0, "/local/domain/" + d));
            core.handle(dom0, XsMessage.of(XS_SET_PERMS, 2, 0, "/local/domain/" + d, "n" + d));
        }
        List<XsMessage> toSpy = new ArrayList<>();
        List<XsMessage> toOwner = new ArrayList<>();
        Connection spy = core.connect(1, "ring", toSpy::add);
        Connection owner = core.connect(2, "ring", toOwner::add);
        core.handle(owner, write(3, 0, "/local/domain/2/hidden/secret-name", "x"));
        // a guest may watch anything; it is told only about nodes it may read
        core.handle(spy, XsMessage.of(XS_WATCH, 4, 0, "/local/domain/2", "spy"));
        core.handle(owner, XsMessage.of(XS_WATCH, 5, 0, "/local/domain/2/hidden", "own"));
        toSpy.clear();
        toOwner.clear();

        core.handle(owner, XsMessage.of(XS_RM, 6, 0, "/local/domain/2/hidden/secret-name"));
        core.handle(owner, write(7, 0, "/local/domain/2/hidden/secret-name", "x"));
        assertEquals(List.of(), events(toSpy), "outside a transaction the spy learns nothing");

        core.handle(owner, XsMessage.of(XS_TRANSACTION_START, 8, 0, ""));
        int tx = Integer.parseInt(toOwner.get(toOwner.size() - 1).strings().get(0));
        core.handle(owner, XsMessage.of(XS_RM, 9, tx, "/local/domain/2/hidden/secret-name"));
        core.handle(owner, XsMessage.of(XS_TRANSACTION_END, 10, tx, "T"));
        assertEquals(XS_TRANSACTION_END, toOwner.get(toOwner.size() - 1).type(), "the transaction commits");

        assertEquals(List.of(), events(toSpy), "the spy is not told the name of a node it may not read");
        assertTrue(events(toOwner).contains("/local/domain/2/hidden/secret-name"), "the owner is told: " + events(toOwner));
    }

    private static List<String> events(List<XsMessage> got) {
        List<String> paths = new ArrayList<>();
        for (XsMessage m : got) if (m.type() == XS_WATCH_EVENT) paths.add(m.strings().get(0));
        return paths;
    }
}
