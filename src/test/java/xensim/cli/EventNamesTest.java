package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The event log settles a repeated field name by reference (names are constants); this checks
 * that no event of real runs — every design, faults on, both xenstored flavours — carries two
 * equal names, by parsing each log with Jackson's strict duplicate detection.
 */
class EventNamesTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {
        "--strategy naive-reset --guests 2",
        "--strategy disconnect --xenstored ocaml",
        "--strategy refcount --guests 3 --fault backend-crash@requests=5 --fault evtchn-dup@p=0.2 --fault xenstored-restart@os-handoff:duration=1ms",
        "--strategy exit-callback --fault ring-corrupt@os-handoff:what=data --fault grant-map-eagain@p=0.3",
        "--strategy bus-tracks --guests 2 --fault domain-destroy@requests=20:guest=1 --fault evtchn-delay@p=0.3:delay=300us",
        "--strategy before-ebs --guests 2 --firmware-io async --ebs-order seeded",
        "--strategy refcount --fault backend-respond-before-unmap@requests=1 --fault backend-crash@requests=30"})
    void noEventRepeatsAFieldName(String args) throws Exception {
        Path out = dir.resolve("run");
        List<String> argv = new java.util.ArrayList<>(List.of("run", "--out", out.toString()));
        argv.addAll(List.of(args.split(" ")));
        CommandLine cl = Main.commandLine();
        StringWriter sw = new StringWriter();
        cl.setOut(new PrintWriter(sw, true));
        cl.setErr(new PrintWriter(sw, true));
        int code = cl.execute(argv.toArray(String[]::new));
        assertTrue(code == Main.EXIT_CLEAN || code == Main.EXIT_VIOLATION, sw.toString());
        JsonFactory f = new JsonFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        long events = 0;
        for (String line : Files.readAllLines(out.resolve("events.jsonl"))) {
            try (JsonParser p = f.createParser(line)) {
                while (p.nextToken() != null) {
                    if (p.currentToken() == JsonToken.START_OBJECT && p.getParsingContext().getParent().inRoot()) events++;
                }
            }
        }
        assertTrue(events > 500, "events parsed: " + events);
        assertEquals(Files.readAllLines(out.resolve("events.jsonl")).size(), events);
    }
}
