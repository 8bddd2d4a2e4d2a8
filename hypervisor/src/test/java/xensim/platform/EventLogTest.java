package xensim.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class EventLogTest {

    @Test
    void fieldsKeepOrderAndJsonIsOneLine() {
        EventRecorder rec = new EventRecorder();
        EventLog log = new EventLog(rec);
        log.event(3, "blkback", "RING_REQ").with("op", "BLKIF_OP_READ").with("id", 7L)
                .with("quote", "a\"b\nc").with("ok", true).emit();
        assertEquals("{\"t\":0,\"seq\":1,\"dom\":3,\"comp\":\"blkback\",\"ev\":\"RING_REQ\","
                + "\"op\":\"BLKIF_OP_READ\",\"id\":7,\"quote\":\"a\\\"b\\nc\",\"ok\":true}", rec.events().get(0).json());
    }

    /** A sink that emits (the checker's VIOLATION) is seen by every sink after its cause. */
    @Test
    void eventsEmittedFromASinkFollowTheirCauseInEverySink() {
        EventRecorder before = new EventRecorder();
        EventRecorder after = new EventRecorder();
        EventLog log = new EventLog();
        log.addSink(before);
        log.addSink(e -> {
            if (e.ev().equals("CAUSE")) log.event(e.dom(), "checker", "VIOLATION").with("cause", e.seq()).emit();
        });
        log.addSink(after);
        log.event(1, "test", "CAUSE").emit();
        log.event(1, "test", "OTHER").emit();
        List<String> expected = List.of("CAUSE:1", "VIOLATION:2", "OTHER:3");
        assertEquals(expected, before.events().stream().map(e -> e.ev() + ":" + e.seq()).toList());
        assertEquals(expected, after.events().stream().map(e -> e.ev() + ":" + e.seq()).toList());
    }
}
