package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static xensim.abi.XsWire.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import xensim.abi.XsMessage;

/**
 * Found by the hostile-guest campaign (xensim.fuzz.XsWireCampaign): a transaction that removed a
 * directory still saw a child created outside it afterwards (its view read through to the store
 * for paths it had not touched), so removing that child inside the transaction looked up the
 * removed parent and threw a NullPointerException — in the xenstored actor, which then stopped:
 * one guest's three requests took xenstore away from every domain. Inside a transaction, a node
 * below one it removed is gone; the transaction cannot commit anyway (EAGAIN).
 */
class TransactionViewTest {

    @Test
    void aChildCreatedOutsideATransactionThatRemovedItsParentIsGoneInsideIt() {
        XenstoredCore core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, null);
        core.initDom0("Domain-0");
        Connection dom0 = core.connect(0, "toolstack", m -> { });
        core.handle(dom0, XsMessage.of(XS_MKDIR, 1, 0, "/local/domain/1"));
        core.handle(dom0, XsMessage.of(XS_SET_PERMS, 2, 0, "/local/domain/1", "n1"));
        List<XsMessage> out = new ArrayList<>();
        Connection guest = core.connect(1, "ring", out::add);
        core.handle(guest, write(3, 0, "data/x", "1"));
        core.handle(guest, XsMessage.of(XS_TRANSACTION_START, 4, 0, ""));
        int tx = Integer.parseInt(out.get(out.size() - 1).strings().get(0));
        core.handle(guest, XsMessage.of(XS_RM, 5, tx, "data"));
        core.handle(guest, write(6, 0, "data/z", "outside")); // not in the transaction

        out.clear();
        core.handle(guest, XsMessage.of(XS_RM, 7, tx, "data/z"));
        assertEquals(List.of("ENOENT"), out.get(0).strings(), "removing it: ENOENT, its parent is gone too (C's do_rm)");
        out.clear();
        core.handle(guest, XsMessage.of(XS_READ, 8, tx, "data/z"));
        assertEquals(List.of("ENOENT"), out.get(0).strings(), "the transaction does not see it");
        out.clear();
        core.handle(guest, write(9, tx, "data/z/deeper", "in-tx"));
        assertEquals(List.of("XS_WRITE"), types(out), "a write recreates the path inside the transaction");
        out.clear();
        core.handle(guest, XsMessage.of(XS_TRANSACTION_END, 10, tx, "T"));
        assertEquals(List.of("EAGAIN"), out.get(0).strings(), "the store changed under the transaction");
        assertEquals("outside", core.readDirect("/local/domain/1/data/z"));
        assertEquals(null, core.readDirect("/local/domain/1/data/z/deeper"));
    }

    private static XsMessage write(int req, int tx, String path, String value) {
        return new XsMessage(XS_WRITE, req, tx, (path + "\0" + value).getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> types(List<XsMessage> out) {
        List<String> t = new ArrayList<>();
        for (XsMessage m : out) if (m.type() != XS_WATCH_EVENT) t.add(typeName(m.type()));
        return t;
    }
}
