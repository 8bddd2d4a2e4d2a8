package xensim.nemesis;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The {@code kind@trigger:key=value} syntax and each error message. */
class FaultParseTest {
    @Test
    void everyTriggerForm() {
        Fault f = Fault.parse("backend-stall@ebs-begin:duration=5ms");
        assertEquals(Fault.Kind.BACKEND_STALL, f.kind());
        assertEquals(new Fault.AtEvent("ebs-begin", "EBS_BEGIN"), f.trigger());
        assertEquals(5_000_000L, f.nanos("duration", 0));
        assertEquals(Fault.ALL, f.guest());
        assertEquals(new Fault.AtTime(2_500_000), Fault.parse("xenstored-restart@2.5ms").trigger());
        assertEquals(new Fault.AfterRequests(40), Fault.parse("backend-crash@requests=40:guest=3").trigger());
        assertEquals(3, Fault.parse("backend-crash@requests=40:guest=3").guest());
        assertEquals(new Fault.WithProbability(0.25), Fault.parse("evtchn-drop@p=0.25:count=2").trigger());
        assertEquals(2, Fault.parse("evtchn-drop@p=0.25:count=2").count("count", 1));
        assertEquals(new Fault.AtEvent("os-handoff", "OS_HANDOFF"), Fault.parse("domain-destroy@os-handoff").trigger());
        assertEquals("data", Fault.parse("ring-corrupt@os-handoff:what=data").what());
        assertEquals(1, Fault.parse("backend-slow@1ms:disk=1,factor=3").disk());
        for (Fault.Kind k : Fault.Kind.values()) assertEquals(k, Fault.parse(k.cliName() + "@1ms").kind());
        assertEquals(5, Fault.parse("backend-respond-before-unmap@requests=1:count=5").count("count", Integer.MAX_VALUE));
        assertEquals(Fault.ALL, Fault.parse("backend-respond-before-unmap@requests=1").disk());
        assertTrue(Fault.parse("backend-respond-before-unmap@requests=1").hitsDisks());
    }

    /** The --fault help names every kind, in the enum's order. */
    @Test
    void theHelpListsEveryKind() {
        int at = 0;
        for (Fault.Kind k : Fault.Kind.values()) {
            int i = Fault.KINDS_HELP.indexOf(" " + k.cliName(), at);
            assertTrue(i >= at, k.cliName() + " in the help after position " + at + ": " + Fault.KINDS_HELP);
            at = i + k.cliName().length();
        }
    }

    @Test
    void badFaultsSayWhatWasExpected() {
        assertError("nope@1ms", "unknown kind 'nope' (expected one of backend-crash, backend-stall");
        assertError("backend-crash", "missing '@trigger'");
        assertError("backend-crash@", "empty trigger");
        assertError("backend-crash@sometime", "unknown trigger 'sometime'");
        assertError("backend-crash@requests=0", "requests=N needs a whole number >= 1");
        assertError("backend-crash@p=1.5", "p= needs a probability in (0, 1]");
        assertError("backend-stall@1ms:duration=soon", "duration=soon is not a duration");
        assertError("backend-stall@1ms:colour=red", "unknown parameter 'colour'");
        assertError("backend-stall@1ms:guest=-1", "guest=-1 (expected an index >= 0 or all)");
        assertError("backend-stall@1ms:nonsense", "parameter 'nonsense' is not key=value");
        assertError("ring-corrupt@1ms:what=everything", "what=everything (expected request, response or data)");
        assertError("evtchn-drop@1ms:count=0", "count=0 (expected a whole number >= 1)");
        assertError("backend-slow@1ms:factor=-2", "factor=-2 (expected a positive number)");
        assertError("backend-slow@1ms:factor=NaN", "factor=NaN (expected a positive number)");
        assertError("backend-slow@1ms:factor=Infinity", "factor=Infinity (expected a positive number)");
        assertError("backend-slow@1ms:factor=1e400", "factor=1e400 (expected a positive number)");
    }

    /** A duration past what one fault may take (1 h of virtual time) would wrap the clock when added to it. */
    @Test
    void durationsLongerThanAnHourOfVirtualTimeAreRefused() {
        assertError("backend-stall@1ms:duration=9223372036854775807ns", "duration=9223372036854775807ns is longer than 1h");
        assertError("xenstored-restart@1ms:duration=2h", "duration=2h is not a duration");
        assertError("xenstored-restart@1ms:duration=3601s", "duration=3601s is longer than 1h");
        assertError("evtchn-delay@p=0.1:delay=100000s", "delay=100000s is longer than 1h");
        assertEquals(3_600_000_000_000L, Fault.parse("backend-stall@1ms:duration=3600s").nanos("duration", 0));
    }

    static void assertError(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fault.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
