package xensim.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench/compare.py on two fixture files, and on two files the JSON writer wrote. */
class BenchCompareTest {
    private static final Path SCRIPT = Path.of("..", "bench", "compare.py");
    private static final Path FIXTURES = Path.of("..", "bench", "fixtures");

    private record Ran(int code, String out) {}

    private static Ran compare(Path a, Path b) throws IOException, InterruptedException {
        assumeTrue(python(), "python3 is not installed");
        Process p = new ProcessBuilder("python3", SCRIPT.toString(), a.toString(), b.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Ran(p.exitValue(), out);
    }

    private static boolean python() {
        try {
            return new ProcessBuilder("python3", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** The cells of the row whose name starts with {@code row} and whose value column is {@code value}. */
    private static String[] line(String out, String row, String value) {
        for (String l : out.split("\n")) {
            if (!l.startsWith("blkback  " + row) && !l.startsWith("timeline  " + row)) continue;
            String[] cells = l.trim().split("\\s{2,}");
            if (cells.length >= 7 && cells[2].equals(value)) return cells;
        }
        throw new AssertionError("no row '" + row + "' / " + value + " in:\n" + out);
    }

    @Test
    void theFixturesRatiosSideBySide() throws Exception {
        Ran r = compare(FIXTURES.resolve("a.json"), FIXTURES.resolve("b.json"));
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("A: bench blkback, 2026-11-25T10:00:00Z, xensim 0.1.0-SNAPSHOT aaaaaaaaaaaa, 2 cores, load 0.5"), r.out());
        assertTrue(r.out().contains("B: bench blkback, 2026-12-02T03:00:00Z, xensim 0.1.0-SNAPSHOT bbbbbbbbbbbb, 2 cores, load 6.25"), r.out());
        // bench, row, value, unit, A, B, B/A, B/A per baseline
        assertEquals(List.of("5,000,000", "2,500,000", "0.50", "-"),
                List.of(line(r.out(), "raw Akka tell", "value")).subList(4, 8));
        String[] req = line(r.out(), "blkif 4 KiB READ", "value");
        assertEquals(List.of("200,000", "150,000", "0.75", "1.50"), List.of(req).subList(3, 7),
                "the machine was half as fast (the baseline): the change itself is 1.5x");
        String[] share = line(r.out(), "blkif 4 KiB READ", "share of bound");
        assertEquals(List.of("0.2", "0.3", "1.50", "-"), List.of(share).subList(4, 8));
        String[] onlyA = line(r.out(), "only in A", "value");
        assertEquals(List.of("7", "-", "-", "-"), List.of(onlyA).subList(3, 7));
        assertTrue(!r.out().contains("verdict"), "text rows only with --all");
    }

    @Test
    void twoFilesTheWriterWroteCompare(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.json");
        Path b = dir.resolve("b.json");
        write(a, 1_000_000, 250_000);
        write(b, 2_000_000, 1_000_000);
        Ran r = compare(a, b);
        assertEquals(0, r.code(), r.out());
        String[] check = line(r.out(), "timeline --check (events/s)", "value");
        assertEquals(List.of("events/s", "250,000", "1,000,000", "4.00", "2.00"), List.of(check).subList(3, 8), r.out());
        Ran bad = compare(a, FIXTURES.resolve("missing.json"));
        assertEquals(2, bad.code(), bad.out());
    }

    @Test
    void rowsOfOneNameAreToldApartByTheirTextCells(@TempDir Path dir) throws Exception {
        // bench blkback's table: two "deterministic" rows, one per image
        Path a = dir.resolve("a.json");
        Path b = dir.resolve("b.json");
        for (Path f : List.of(a, b)) {
            double k = f == a ? 1 : 2;
            BenchTable t = new BenchTable("runtime", "image", "requests/s")
                    .row("deterministic", "sparse (holes)", BenchTable.v(300_000 * k, "requests/s", BenchTable.num(300_000 * k)))
                    .row("deterministic", "written (pread)", BenchTable.v(100_000 * k, "requests/s", BenchTable.num(100_000 * k)));
            try (var out = Files.newOutputStream(f)) {
                BenchTable.writeJson(out, new BenchTable.Meta("blkback", "xensim bench blkback", "2026-12-02T00:00:00Z", "v", "c", 2, "17",
                        "Linux", 1L << 30, -1), List.of(t));
            }
        }
        Ran r = compare(a, b);
        assertEquals(0, r.code(), r.out());
        assertEquals(List.of("300,000", "600,000", "2.00"), List.of(line(r.out(), "deterministic (sparse (holes))", "requests/s")).subList(4, 7), r.out());
        assertEquals(List.of("100,000", "200,000", "2.00"), List.of(line(r.out(), "deterministic (written (pread))", "requests/s")).subList(4, 7), r.out());
    }

    private static void write(Path f, double raw, double check) throws IOException {
        BenchTable t = new BenchTable("measure", "value")
                .row("read the log, lines counted, no parse (lines/s)", BenchTable.v(raw, "lines/s", BenchTable.num(raw)))
                .row("timeline --check (events/s)", BenchTable.v(check, "events/s", BenchTable.num(check)))
                .baseline("read the log", raw, "lines/s").bound(raw, "lines/s", check / raw);
        try (var out = Files.newOutputStream(f)) {
            BenchTable.writeJson(out, new BenchTable.Meta("timeline", "xensim bench timeline", "2026-12-02T00:00:00Z", "v", "c", 2, "17",
                    "Linux", 1L << 30, -1), List.of(t));
        }
    }
}
