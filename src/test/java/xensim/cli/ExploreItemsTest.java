package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import xensim.cluster.ItemResult;
import xensim.cluster.ScenarioSource;
import xensim.cluster.WorkItem;
import xensim.scenario.Scenario;

/**
 * explore's per-item code: a scenario made on a worker from its text is the one made from the
 * file; a result survives JSON (the cluster's and results.jsonl's form) whole; --resume continues
 * from results.jsonl to the same matrix.
 */
class ExploreItemsTest {
    static Stream<Path> scenarioFiles() throws Exception {
        return Files.list(Path.of("..", "scenarios")).filter(p -> p.toString().endsWith(".conf")).sorted();
    }

    /** Everything of a scenario but its design catalog (an object per load) as text. */
    private static String shown(Scenario sc) {
        return sc.toString().replaceAll("designs=[^,]*,", "") + sc.runBegin() + RunCommand.replay(null, sc, List.of("backend-stall@ebs-begin"))
                + sc.designs().names();
    }

    @ParameterizedTest
    @MethodSource("scenarioFiles")
    void aScenarioFromItsTextIsTheOneFromItsFile(Path file) {
        Map<String, Object> keys = Map.of("backend.profile", "drain");
        Scenario fromFile = RunCommand.scenario(file, null, null, null, 2, null, List.of(), keys);
        ScenarioSource src = ExploreItems.source(file, 2, List.of(), keys);
        Scenario fromText = new ExploreItems.Scenarios().of(src, List.of());
        assertEquals(shown(fromFile), shown(fromText));
        assertEquals(fromFile.name(), fromText.name());
    }

    @Test
    void noScenarioFileIsTheDefaults() {
        Scenario d = RunCommand.scenario((Path) null, null, null, null, null, null, List.of("evtchn-dup@p=0.01"), Map.of());
        Scenario t = new ExploreItems.Scenarios().of(ExploreItems.source(null, null, List.of("evtchn-dup@p=0.01"), Map.of()), List.of());
        assertEquals(shown(d), shown(t));
    }

    @Test
    void aResultSurvivesJsonWhole(@TempDir Path tmp) throws Exception {
        Scenario sc = RunCommand.scenario((Path) null, null, null, null, 2, null, List.of(), Map.of());
        ScenarioSource src = ExploreItems.source(null, 2, List.of(), Map.of());
        WorkItem item = new WorkItem(7, "v", "naive-reset", 3, null, "random", 42, src, List.of(), WorkItem.Kind.EXPLORE);
        ItemResult r = ExploreItems.run(item, sc, tmp);
        assertTrue(!r.verdict().isEmpty() && !r.notifies().isEmpty(), "a violating run that reached EBS: " + r);
        ObjectMapper json = new ObjectMapper();
        ItemResult back = json.readValue(json.writeValueAsString(r), ItemResult.class);
        assertEquals(r, back);
        WorkItem itemBack = json.readValue(json.writeValueAsString(item), WorkItem.class);
        assertEquals(item, itemBack);
        ExploreCommand.Outcome o = ExploreItems.outcome(back);
        ExploreCommand.Outcome direct = ExploreCommand.runOne(sc, "naive-reset", 3, null, tmp,
                xensim.platform.schedule.ScheduleSpec.parse("random"), 42);
        assertEquals(direct.result().verdict(), o.result().verdict());
        assertEquals(direct.result().counts(), o.result().counts());
        assertEquals(direct.ebs(), o.ebs());
        assertEquals(direct.notified(), o.notified());
        assertEquals(direct.notifiedRegistered(), o.notifiedRegistered());
        assertEquals(direct.order(), o.order());
    }

    @Test
    void resumeContinuesFromResultsJsonlToTheSameMatrix(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        Cli.Result full = Cli.exec("explore", "--strategy", "refcount,naive-reset", "--seeds", "4", "--no-progress", "--out", a.toString());
        assertEquals(Main.EXIT_VIOLATION, full.code(), full.err());
        List<String> lines = Files.readAllLines(a.resolve("results.jsonl"));
        assertEquals(1 + 8, lines.size(), "a header and a line per run");
        // as if the explore stopped after 3 runs, the 4th cut short
        Path b = tmp.resolve("b");
        Files.createDirectories(b);
        Files.writeString(b.resolve("results.jsonl"), String.join("\n", lines.subList(0, 4)) + "\n" + lines.get(4).substring(0, 20));
        Cli.Result resumed = Cli.exec("explore", "--strategy", "refcount,naive-reset", "--seeds", "4", "--no-progress", "--resume", b.toString());
        assertEquals(Main.EXIT_VIOLATION, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resume: 3 runs already in"), resumed.out());
        assertEquals(Files.readString(a.resolve("matrix.json")), Files.readString(b.resolve("matrix.json")));
        assertEquals(9, Files.readAllLines(b.resolve("results.jsonl")).size());
        // another explore's results are refused
        Cli.Result other = Cli.exec("explore", "--strategy", "refcount", "--seeds", "4", "--no-progress", "--resume", b.toString());
        assertEquals(Main.EXIT_BAD_INPUT, other.code());
        assertTrue(other.err().contains("is of another explore"), other.err());
        Cli.Result none = Cli.exec("explore", "--seeds", "1", "--no-progress", "--resume", tmp.resolve("nothing").toString());
        assertEquals(Main.EXIT_BAD_INPUT, none.code());
    }

    /** --resume compares a fingerprint made in another JVM: a source's text must not depend on a map's order. */
    @Test
    void aSourcesCanonicalTextDoesNotDependOnTheKeysOrder() {
        Map<String, Object> a = new java.util.LinkedHashMap<>();
        a.put("backend.profile", "drain");
        a.put("firmware.design-jars", List.of("/x.jar"));
        a.put("guests.firmware-io", "async");
        Map<String, Object> b = new java.util.LinkedHashMap<>();
        b.put("guests.firmware-io", "async");
        b.put("firmware.design-jars", List.of("/x.jar"));
        b.put("backend.profile", "drain");
        assertEquals(new ScenarioSource(null, null, 1, List.of(), a).canonical(), new ScenarioSource(null, null, 1, List.of(), b).canonical());
        assertEquals(List.copyOf(a.keySet()), List.copyOf(new ScenarioSource(null, null, 1, List.of(), a).keys().keySet()), "the command line's order kept");
    }

    @Test
    void clusterFlagsThatDoNotFitAreBadInput(@TempDir Path tmp) {
        assertBad("--cluster runs a fixed set of seeds", "explore", "--cluster", "127.0.0.1:1", "--budget", "5s");
        assertBad("expected HOST:PORT", "explore", "--cluster", "nohost", "--seeds", "1");
        assertBad("go with --cluster", "explore", "--no-local", "--seeds", "1");
        assertBad("--worker-timeout", "explore", "--cluster", "127.0.0.1:1", "--worker-timeout", "soon");
        assertBad("expected HOST:PORT", "worker", "--join", "x");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertBad("cannot listen there", "explore", "--seeds", "1", "--no-progress", "--out", tmp.resolve("x").toString(),
                    "--cluster", "127.0.0.1:" + taken.getLocalPort());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertBad(String text, String... args) {
        Cli.Result r = Cli.exec(args);
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(text) && r.err().strip().lines().count() == 1, r.err());
    }
}
