package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: the six designs end to end under every profile combination (blkback linux/drain ×
 * firmware I/O ovmf/async × xenstored c-4.17/c-4.21/c-4.22/ocaml × edk2 head/2022.11), asserting
 * the verdicts the matrix prints, so that a change to the model that flips a verdict — or moves
 * one cell's count of failing seeds — shows up in review as a change to
 * {@code design-verdicts.txt}, not silently. The file is the matrix of
 * {@code ./xensim explore --strategy all --seeds 2 --profile linux,drain --firmware-io ovmf,async
 * --xenstored c-4.17,c-4.21,c-4.22,ocaml --edk2 head,2022.11}: each row a cell, then each
 * invariant with failing seeds (of 2) or "clean". When a model change is meant to move a cell,
 * the failure message prints the new file to review and commit, with the reason in the commit.
 */
class DesignVerdictMatrixTest {
    @TempDir
    Path tmp;

    static final int SEEDS = 2;
    static final int CELLS = 6 * 2 * 2 * 4 * 2;

    @Test
    void everyDesignUnderEveryProfileCombinationHasTheVerdictTheMatrixRecorded() throws Exception {
        Path out = tmp.resolve("m");
        Cli.Result o = Cli.exec("explore", "--strategy", "all", "--seeds", Integer.toString(SEEDS), "--profile", "linux,drain",
                "--firmware-io", "ovmf,async", "--xenstored", "c-4.17,c-4.21,c-4.22,ocaml", "--edk2", "head,2022.11",
                "--no-progress", "--out", out.toString());
        assertEquals(1, o.code(), "some designs fail, so explore exits 1\n" + o.out() + o.err());
        assertTrue(o.out().contains(CELLS * SEEDS + " runs"), "every cell ran every seed: " + o.out());
        List<String> actual = cells(Files.readString(out.resolve("matrix.md")));
        assertEquals(CELLS, actual.size(), "one row per design and combination:\n" + String.join("\n", actual));
        List<String> expected = expected();
        List<String> changed = new ArrayList<>();
        Map<String, String> want = byCell(expected);
        Map<String, String> got = byCell(actual);
        for (var e : got.entrySet()) {
            String w = want.get(e.getKey());
            if (!e.getValue().equals(w)) changed.add(e.getKey() + ": recorded " + w + ", now " + e.getValue());
        }
        for (String k : want.keySet()) if (!got.containsKey(k)) changed.add(k + ": recorded but not run");
        assertTrue(changed.isEmpty(), changed.size() + " cells changed verdict:\n  " + String.join("\n  ", changed)
                + "\n\nthe matrix now (review, then commit as src/test/resources/xensim/cli/design-verdicts.txt):\n"
                + String.join("\n", actual) + "\n");
        // and the verdicts the README's findings rest on are among them
        assertTrue(got.get("disconnect · linux ovmf c-4.22 head").startsWith("ALLOC_IN_EBS="), got.toString());
        assertEquals("clean", got.get("refcount · linux ovmf c-4.22 head"));
        assertTrue(got.get("bus-tracks · linux async c-4.22 head").contains("STALE_MAPPING="), got.toString());
        assertEquals("clean", got.get("bus-tracks · drain async c-4.22 head"));
        assertTrue(got.get("before-ebs · linux ovmf c-4.22 2022.11").contains("STALE_MAPPING="), got.toString());
        assertEquals("clean", got.get("before-ebs · linux ovmf c-4.22 head"));
    }

    /** The matrix table's rows as "cell: INV=n INV=n" (or "cell: clean"). */
    static List<String> cells(String md) {
        List<String> rows = new ArrayList<>();
        String[] header = null;
        for (String line : md.split("\n")) {
            if (!line.startsWith("| ")) continue;
            String[] f = line.substring(2, line.length() - 2).split(" \\| ");
            if (f[0].equals("strategy")) {
                header = f;
                continue;
            }
            if (header == null || f.length != header.length) continue;
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i < f.length; i++) {
                if (!f[i].equals("0")) sb.append(sb.length() == 0 ? "" : " ").append(header[i]).append('=').append(f[i]);
            }
            rows.add(f[0] + ": " + (sb.length() == 0 ? "clean" : sb));
        }
        return rows;
    }

    private static Map<String, String> byCell(List<String> rows) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String r : rows) {
            int i = r.lastIndexOf(": ");
            m.put(r.substring(0, i), r.substring(i + 2));
        }
        return m;
    }

    private static List<String> expected() throws Exception {
        try (InputStream in = DesignVerdictMatrixTest.class.getResourceAsStream("design-verdicts.txt")) {
            if (in == null) return List.of();
            List<String> rows = new ArrayList<>();
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!l.isBlank() && !l.startsWith("#")) rows.add(l);
            }
            return rows;
        }
    }
}
