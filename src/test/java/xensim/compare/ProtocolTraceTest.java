package xensim.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProtocolTraceTest {
    @TempDir
    Path tmp;

    @Test
    void keepsTheGuestsProtocolActionsAndCollapsesWhatTheModelDoesNotClaim() throws Exception {
        Path f = tmp.resolve("e.jsonl");
        Files.write(f, List.of(
                "{\"dom\":1,\"comp\":\"xenstored\",\"ev\":\"XS_REQ\",\"type\":\"XS_READ\",\"path\":\"device/vbd/51712/backend\"}",
                "{\"dom\":1,\"comp\":\"xenstored\",\"ev\":\"XS_REQ\",\"type\":\"XS_READ\",\"path\":\"x/state\"}",
                "{\"dom\":1,\"comp\":\"xenstored\",\"ev\":\"XS_REQ\",\"type\":\"XS_READ\",\"path\":\"x/state\"}",
                "{\"dom\":0,\"comp\":\"xenstored\",\"ev\":\"XS_REQ\",\"type\":\"XS_WRITE\",\"path\":\"/local/domain/1/name\"}",
                "{\"dom\":1,\"comp\":\"hypervisor\",\"ev\":\"EVTCHN_SEND\",\"port\":1,\"by\":1}",
                "{\"dom\":1,\"comp\":\"hypervisor\",\"ev\":\"EVTCHN_SEND\",\"port\":1,\"by\":1}",
                "{\"dom\":1,\"comp\":\"fw.ovmf\",\"ev\":\"GRANT_ACCESS\",\"ref\":2047,\"gfn\":1011,\"domid\":0,\"readonly\":false}",
                "{\"dom\":1,\"comp\":\"os\",\"ev\":\"GRANT_ACCESS\",\"ref\":8,\"gfn\":16,\"domid\":0,\"readonly\":false}",
                "{\"dom\":1,\"comp\":\"fw.core\",\"ev\":\"EBS_NOTIFY_BEGIN\",\"tpl\":\"TPL_CALLBACK\"}",
                "{\"dom\":1,\"comp\":\"fw.xenbus\",\"ev\":\"GRANT_END\",\"ref\":2046,\"ok\":false}",
                "{\"dom\":1,\"comp\":\"fw.xenbus\",\"ev\":\"GRANT_END\",\"ref\":2047,\"ok\":true}",
                "{\"dom\":1,\"comp\":\"fw.core\",\"ev\":\"ALLOC_CALL\",\"service\":\"CreateEvent\",\"inEbs\":true}",
                "{\"dom\":1,\"comp\":\"fw.core\",\"ev\":\"ALLOC_CALL\",\"service\":\"CloseEvent\",\"inEbs\":true}",
                "{\"dom\":1,\"comp\":\"fw.core\",\"ev\":\"ALLOC_CALL\",\"service\":\"CreateEvent\",\"inEbs\":true}",
                "{\"dom\":1,\"comp\":\"fw.pvblk\",\"ev\":\"XENBUS_STATE\",\"path\":\"/local/domain/1/device/vbd/51712/state\",\"from\":\"Connected\",\"to\":\"Closing\"}",
                "{\"dom\":1,\"comp\":\"blkback\",\"ev\":\"XENBUS_STATE\",\"path\":\"/local/domain/0/backend/vbd/1/51712/state\",\"from\":\"Connected\",\"to\":\"Closing\"}",
                "{\"dom\":1,\"comp\":\"os\",\"ev\":\"OS_HANDOFF\"}",
                "{\"dom\":1,\"comp\":\"xenstored\",\"ev\":\"XS_REQ\",\"type\":\"XS_READ\",\"path\":\"after\"}"));
        ProtocolTrace t = ProtocolTrace.read(f, 1);
        assertEquals(List.of("XS_READ device/vbd/51712/backend", "XS_READ x/state"), t.xenstore(),
                "a polled state node is one entry; the OS's requests after the handoff are not the firmware's");
        assertEquals(List.of("EVTCHN_SEND port 1", "EBS_NOTIFY_BEGIN TPL_CALLBACK", "ALLOC_IN_EBS CloseEvent,CreateEvent", "OS_HANDOFF"),
                t.guest());
        assertEquals(List.of("/local/domain/0/backend/vbd/1/51712/state Connected->Closing"), t.states(),
                "the firmware's own state events are the model's instrumentation, not the protocol");
        assertEquals(List.of("GRANT_ACCESS ref 2047 to dom 0", "GRANT_END ref 2047"), t.grants(),
                "the firmware's grant entries, refs and grantee (no gfns); a refused end changed nothing; the OS's are not the firmware's");
    }

    @Test
    void firstDifference() {
        assertEquals(-1, ProtocolTrace.firstDifference(List.of("a", "b"), List.of("a", "b")));
        assertEquals(1, ProtocolTrace.firstDifference(List.of("a", "b"), List.of("a", "c")));
        assertEquals(2, ProtocolTrace.firstDifference(List.of("a", "b"), List.of("a", "b", "c")));
        assertNull(ProtocolTrace.describe(List.of("x"), List.of("x")));
        assertEquals("#0: model `x` / ovmf-c `y`", ProtocolTrace.describe(List.of("x"), List.of("y")));
    }
}
