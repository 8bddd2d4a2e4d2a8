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
     * Guest 0 is destroyed at 1.7 ms: some seeds reach EBS before that, others not; seed 1 does not.
     * The asynchronous firmware boots in about that time (the synchronous OVMF driver takes ~3 ms).
     */
    @Test
    void exploreGivesEachSeedOrdersOfItsOwnLengthAndNoneToASeedThatNeverReachedEbs() throws Exception {
        String fault = "domain-destroy@1.7ms";
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
        assertTrue(reached > 0, "premise: some seed reaches EBS before 1.7 ms");

        Cli.Result o = Cli.exec("explore", "--strategy", "refcount", "--seeds", "4", "--orders", "all", "--fault", fault, "--no-progress",
                "--firmware-io", "async", "--out", tmp.resolve("m").toString());
        assertTrue(o.code() == Main.EXIT_CLEAN || o.code() == Main.EXIT_VIOLATION, o.out() + o.err());
        assertTrue(o.out().contains("# xensim explore: " + expected + " runs"), expected + " runs expected:\n" + o.out());
        assertTrue(o.out().contains("| refcount | 0 | 0 | 0 | 0 | 0 |"), "no HANG:\n" + o.out());
        for (List<Integer> order : replayedOrders(o.out())) assertEquals(2, order.size(), order + ":\n" + o.out());
        String json = Files.readString(tmp.resolve("m").resolve("matrix.json"));
        assertTrue(json.contains("\"runs\" : " + expected), json);
    }
}
