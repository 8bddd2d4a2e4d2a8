package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.scenario.Scenario;

/**
 * An explicit EBS notify order must permute the notify functions the run's firmware has at
 * ExitBootServices: {@code run --ebs-order} of another length is bad input (it was judged HANG),
 * and {@code explore --orders all} gives each run orders of its own length (it learnt the length
 * from seed 1's notifies, so when seed 1 stopped during EBS every other run got a wrong one).
 */
class EbsOrderTest {
    @TempDir
    Path tmp;

    /** Every {@code --ebs-order} printed in {@code text}, as lists of indices. */
    static List<List<Integer>> replayedOrders(String text) {
        Matcher m = Pattern.compile("--ebs-order ([0-9,]+)").matcher(text);
        List<List<Integer>> out = new java.util.ArrayList<>();
        while (m.find()) out.add(java.util.Arrays.stream(m.group(1).split(",")).map(Integer::valueOf).toList());
        return out;
    }

    @Test
    void runWithAnOrderOfTheWrongLengthIsBadInputNamingTheLengthItNeeds() {
        // refcount with one disk: the bus's and the device's notify functions
        Cli.Result r = Cli.exec("run", "--ebs-order", "0", "--out", tmp.resolve("a").toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.out() + r.err());
        assertEquals("xensim: --ebs-order 0 has 1 index, but dom1's firmware has 2 EBS notify functions at ExitBootServices:"
                + " give a permutation of 0..1 (2 indices)\n", r.err());
        assertFalse(r.out().contains("verdict"), "no verdict for a run that was not the one asked for: " + r.out());
        Cli.Result three = Cli.exec("run", "--ebs-order", "2,0,1", "--out", tmp.resolve("b").toString());
        assertEquals(Main.EXIT_BAD_INPUT, three.code(), three.out() + three.err());
        assertTrue(three.err().contains("--ebs-order 2,0,1 has 3 indices, but dom1's firmware has 2"), three.err());
        Cli.Result ok = Cli.exec("run", "--ebs-order", "1,0", "--out", tmp.resolve("c").toString());
        assertEquals(Main.EXIT_CLEAN, ok.code(), ok.out() + ok.err());
    }

    /** Guest 0 is destroyed as it enters EBS: seed 1's guest 0 runs only some of its notify functions. */
    @Test
    void exploreCountsTheNotifyFunctionsAtEbsBeginNotTheOnesThatRan() throws Exception {
        Path two = Files.writeString(tmp.resolve("two.conf"), "xensim.guests.count = 2\n");
        String fault = "domain-destroy@ebs-begin:guest=0";
        // the premise: in seed 1, guest 0 began fewer notify functions than it had
        Path log = tmp.resolve("seed1");
        Cli.exec("run", "--scenario", two.toString(), "--fault", fault, "--out", log.toString());
        String events = Files.readString(log.resolve("events.jsonl"));
        long began = events.lines().filter(l -> l.contains("\"dom\":1,") && l.contains("\"EBS_NOTIFY_BEGIN\"")).count();
        assertTrue(events.contains("\"dom\":1,\"comp\":\"fw.core\",\"ev\":\"EBS_BEGIN\",\"mapKey\":") && began < 2,
                "premise: guest 0 of seed 1 is destroyed during EBS (" + began + " notify functions began)");

        Cli.Result o = Cli.exec("explore", "--strategy", "refcount", "--seeds", "2", "--orders", "all", "--scenario", two.toString(),
                "--fault", fault, "--no-progress", "--out", tmp.resolve("m").toString());
        assertTrue(o.code() == Main.EXIT_CLEAN || o.code() == Main.EXIT_VIOLATION, o.out() + o.err());
        assertTrue(o.out().contains("4 runs"), "2 seeds x 2 orders of the bus and its device:\n" + o.out());
        // guest 1 is never destroyed: a wrong-length order parked it and it was judged HANG
        assertTrue(o.out().contains("| refcount | 0 | 0 | 0 | 0 | 0 |"), "no HANG:\n" + o.out());
        assertFalse(replayedOrders(o.out()).isEmpty(), o.out());
        for (List<Integer> order : replayedOrders(o.out())) assertEquals(2, order.size(), "replayed order " + order + ":\n" + o.out());
    }

    /**
     * Guest 0 is destroyed at 3.3 ms: some seeds reach EBS before that, others not; seed 1 does not.
     * The asynchronous firmware boots in about that time now that xenstore round trips and
     * hypercalls cost virtual time (seeds 1..4 reach EBS at 3.55, 3.05, 3.22 and 3.99 ms; it was
     * about 1.7 ms when they were free).
     */
    @Test
    void exploreGivesEachSeedOrdersOfItsOwnLengthAndNoneToASeedThatNeverReachedEbs() throws Exception {
        String fault = "domain-destroy@3.3ms";
        Scenario sc = RunCommand.scenario(null, "refcount", null, null, null, null, List.of(fault), java.util.Map.of("guests.firmware-io", "async"));
        int expected = 0;
        int reached = 0;
        Path disks = Files.createDirectories(tmp.resolve("probe"));
        for (long seed = 1; seed <= 4; seed++) {
            ExploreCommand.Outcome probe = ExploreCommand.runOne(sc, "refcount", seed, null, disks);
            if (probe.ebs().reachedEbs()) reached++;
            if (seed == 1) assertFalse(probe.ebs().reachedEbs(), "premise: seed 1 is destroyed before EBS");
            expected += probe.ebs().reachedEbs() ? ExploreCommand.permutations(probe.notifies()).size() : 1;
        }
        assertTrue(reached > 0, "premise: some seed reaches EBS before 3.3 ms");

        Cli.Result o = Cli.exec("explore", "--strategy", "refcount", "--seeds", "4", "--orders", "all", "--fault", fault, "--no-progress",
                "--firmware-io", "async", "--out", tmp.resolve("m").toString());
        assertTrue(o.code() == Main.EXIT_CLEAN || o.code() == Main.EXIT_VIOLATION, o.out() + o.err());
        assertTrue(o.out().contains("# xensim explore: " + expected + " runs"), expected + " runs expected:\n" + o.out());
        assertTrue(o.out().contains("| refcount | 0 | 0 | 0 | 0 | 0 |"), "no HANG:\n" + o.out());
        for (List<Integer> order : replayedOrders(o.out())) assertEquals(2, order.size(), order + ":\n" + o.out());
        String json = Files.readString(tmp.resolve("m").resolve("matrix.json"));
        assertTrue(json.contains("\"runs\" : " + expected), json);
    }

    /**
     * Issue 14: {@code --ebs-order} takes edk2 (the default: edk2's own queues), seeded or indexes,
     * as does the scenario key {@code firmware.ebs-order}; {@code --edk2} / {@code firmware.edk2}
     * pick the DXE core. Both are in RUN_BEGIN and the replay line. refcount with one disk: the bus's
     * event is created first (0), the device's later (1), both at TPL_CALLBACK, so edk2 runs 1,0.
     */
    @Test
    void runTakesEdk2SeededOrIndexesAndSaysWhichInRunBeginAndTheReplay() throws Exception {
        Cli.Result r = Cli.exec("run", "--out", tmp.resolve("edk2").toString());
        assertEquals(Main.EXIT_CLEAN, r.code(), r.out() + r.err());
        String log = Files.readString(tmp.resolve("edk2").resolve("events.jsonl"));
        assertTrue(log.lines().findFirst().orElseThrow().contains("\"firmware.edk2\":\"head\",\"firmware.ebs-order\":\"edk2\""), log.lines().findFirst().get());
        assertTrue(log.contains("\"ev\":\"EBS_BEGIN\",\"mapKey\":"), "premise");
        assertTrue(log.contains("\"notifies\":2,\"edk2Order\":\"1,0\",\"order\":\"edk2\""), "EBS_BEGIN gives edk2's order");
        List<String> ran = log.lines().filter(l -> l.contains("\"EBS_NOTIFY_BEGIN\"")).map(l -> l.replaceAll(".*\"registered\":(\\d+).*", "$1")).toList();
        assertEquals(List.of("1", "0"), ran, "the device's notify first, then the bus's");

        // a failing run prints its replay: naive-reset (one notify) fails on every seed
        Cli.Result dflt = Cli.exec("run", "--strategy", "naive-reset", "--out", tmp.resolve("dflt").toString());
        assertEquals(Main.EXIT_VIOLATION, dflt.code(), dflt.out() + dflt.err());
        assertTrue(dflt.out().contains("--edk2 head --ebs-order edk2"), dflt.out());
        Cli.Result seeded = Cli.exec("run", "--strategy", "naive-reset", "--ebs-order", "seeded", "--out", tmp.resolve("seeded").toString());
        assertEquals(Main.EXIT_VIOLATION, seeded.code(), seeded.out() + seeded.err());
        assertTrue(seeded.out().contains("--edk2 head --ebs-order seeded"), seeded.out());

        Path conf = Files.writeString(tmp.resolve("old.conf"), "xensim.firmware { edk2 = \"2022.11\", ebs-order = \"0\" }\n");
        Cli.Result old = Cli.exec("run", "--strategy", "naive-reset", "--scenario", conf.toString(), "--out", tmp.resolve("old").toString());
        assertEquals(Main.EXIT_VIOLATION, old.code(), old.out() + old.err());
        assertTrue(old.out().contains("--edk2 2022.11 --ebs-order 0"), old.out());
        String oldLog = Files.readString(tmp.resolve("old").resolve("events.jsonl"));
        assertFalse(oldLog.contains("BeforeExitBootServices"), "2022.11 signals no BeforeExitBootServices group");

        Cli.Result bad = Cli.exec("run", "--ebs-order", "backwards", "--out", tmp.resolve("bad").toString());
        assertEquals(Main.EXIT_BAD_INPUT, bad.code());
        assertEquals("xensim: command line, xensim.firmware.ebs-order: expected edk2, seeded or indexes like 1,0, got 'backwards'\n", bad.err());
        Cli.Result badEdk2 = Cli.exec("run", "--edk2", "202302", "--out", tmp.resolve("bad2").toString());
        assertEquals(Main.EXIT_BAD_INPUT, badEdk2.code());
        assertTrue(badEdk2.err().contains("xensim.firmware.edk2: expected head or 2022.11, got '202302'"), badEdk2.err());
    }

    /** {@code explore --orders all} lists how each order fared and marks the one edk2 itself runs; a design with no EBS notify runs once a seed. */
    @Test
    void exploreListsEveryOrderAndMarksEdk2s() throws Exception {
        Cli.Result o = Cli.exec("explore", "--strategy", "refcount", "--seeds", "2", "--orders", "all", "--no-progress",
                "--out", tmp.resolve("m").toString());
        assertEquals(Main.EXIT_CLEAN, o.code(), o.out() + o.err());
        assertTrue(o.out().contains("| refcount | 1,0 (edk2) | 2 | 0 | — |"), o.out());
        assertTrue(o.out().contains("| refcount | 0,1 | 2 | 0 | — |"), o.out());
        String json = Files.readString(tmp.resolve("m").resolve("matrix.json"));
        assertTrue(json.replaceAll("\\s+", "").contains("\"orders\":[{\"order\":[0,1],\"edk2\":false"), json);
        assertTrue(json.replaceAll("\\s+", "").contains("{\"order\":[1,0],\"edk2\":true,\"edk2Runs\":2,\"runs\":2"), json);

        Cli.Result none = Cli.exec("explore", "--strategy", "before-ebs", "--seeds", "2", "--orders", "all", "--no-progress",
                "--out", tmp.resolve("n").toString());
        assertEquals(Main.EXIT_CLEAN, none.code(), none.out() + none.err());
        assertTrue(none.out().contains("# xensim explore: 2 runs"), "no ExitBootServices notify: one run a seed\n" + none.out());
    }
}
