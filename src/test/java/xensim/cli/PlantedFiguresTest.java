package xensim.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import xensim.planted.PlantedDesigns;

/**
 * The README's "Finding races" figures (not part of the suite: minutes of wall time). Run with
 * {@code -Dxensim.figures=true} (surefire argLine): per planted bug, runs and seconds to the first
 * failure under fifo, pct:3 and random ({@code explore --budget 60s --stop-on-first}), and the
 * shrink of a failing run with two guests and two faults it does not need.
 */
@EnabledIfSystemProperty(named = "xensim.figures", matches = "true")
class PlantedFiguresTest {

    static final Map<String, String> IO = Map.of("planted-end-in-flight", "async", "planted-timer-notify", "async");

    static String[] firstFailure(String out, String bug) {
        for (String l : out.split("\n")) {
            if ((l.startsWith("| " + bug + " ·") || l.startsWith("| " + bug + " |")) && l.split("\\|").length == 5 && !l.contains("---")) {
                String[] c = l.split("\\|");
                return new String[] {c[3].trim(), c[4].trim()};
            }
        }
        return null;
    }

    static String runsLine(String out) {
        for (String l : out.split("\n")) if (l.startsWith("  - runs:")) return l.substring(4);
        return "not shrunk";
    }

    @Test
    void figures() throws Exception {
        PlantedDesigns.register();
        List<String> rows = new ArrayList<>();
        rows.add("| planted bug | firmware-io | fifo: runs / s | pct:3: runs / s | random: runs / s | shrink (pct:3 failure, 2 guests, 2 extra faults) |");
        rows.add("|---|---|---|---|---|---|");
        for (Map.Entry<String, String> bug : PlantedDesigns.BUGS.entrySet()) {
            String io = IO.getOrDefault(bug.getKey(), "ovmf");
            StringBuilder row = new StringBuilder("| `" + bug.getKey() + "` (" + bug.getValue() + ") | " + io + " |");
            for (String s : List.of("fifo", "pct:3", "random")) {
                Cli.Result r = Cli.exec("explore", "--strategy", bug.getKey(), "--firmware-io", io, "--schedule", s, "--budget", "60s",
                        "--stop-on-first", "--no-progress", "--out", "/tmp/figures-" + bug.getKey() + "-" + s.replace(':', '_'));
                String[] ff = firstFailure(r.out(), bug.getKey());
                String total = r.out().lines().filter(x -> x.contains(" runs in ")).findFirst().orElse("?");
                row.append(' ').append(ff == null ? "not found (" + total.split(" runs in")[0] + " runs in 60 s)" : ff[0] + " / " + ff[1]).append(" |");
            }
            Cli.Result sh = Cli.exec("explore", "--strategy", bug.getKey(), "--firmware-io", io, "--schedule", "pct:3", "--guests", "2",
                    "--fault", "backend-slow@80ms:factor=2", "--fault", "evtchn-dup@p=0.01", "--budget", "60s", "--stop-on-first", "--shrink",
                    "--no-progress", "--out", "/tmp/figures-" + bug.getKey() + "-shrink");
            row.append(' ').append(runsLine(sh.out())).append(" |");
            rows.add(row.toString());
            System.out.println(row);
            System.out.println(sh.out());
        }
        // the backend class, planted as faults on the safe refcount design (PlantedBugsTest)
        rows.add(backendRow("`backend-lost-writes` + `backend-crash@requests=14` on refcount (a backend that acknowledges"
                + " writes it never performed after a crash)", "lost-writes",
                List.of("--fault", "backend-crash@requests=14", "--fault", "backend-lost-writes@requests=1")));
        rows.add(backendRow("`backend-respond-before-unmap` on refcount (a backend that answers before unmapping)", "respond-before-unmap",
                List.of("--fault", "backend-respond-before-unmap@requests=1")));
        rows.add(backendRow("`backend-respond-before-unmap` with `count=1` on refcount (only the first response early)", "respond-before-unmap-1",
                List.of("--fault", "backend-respond-before-unmap@requests=1:count=1")));
        Files.writeString(Path.of("/tmp/planted-figures.md"), String.join("\n", rows) + "\n");
        System.out.println(String.join("\n", rows));
    }

    /** One row of a backend bug planted as faults on refcount: first failure per schedule, then the shrink. */
    private static String backendRow(String label, String tag, List<String> planted) {
        StringBuilder row = new StringBuilder("| " + label + " | ovmf |");
        for (String s : List.of("fifo", "pct:3", "random")) {
            List<String> a = new ArrayList<>(List.of("explore", "--strategy", "refcount", "--schedule", s, "--budget", "60s",
                    "--stop-on-first", "--no-progress", "--out", "/tmp/figures-" + tag + "-" + s.replace(':', '_')));
            a.addAll(planted);
            Cli.Result r = Cli.exec(a.toArray(String[]::new));
            String[] ff = firstFailure(r.out(), "refcount");
            row.append(' ').append(ff == null ? "not found" : ff[0] + " / " + ff[1]).append(" |");
        }
        List<String> a = new ArrayList<>(List.of("explore", "--strategy", "refcount", "--schedule", "pct:3", "--guests", "2",
                "--fault", "backend-slow@80ms:factor=2", "--fault", "evtchn-dup@p=0.01", "--budget", "60s", "--stop-on-first", "--shrink",
                "--no-progress", "--out", "/tmp/figures-" + tag + "-shrink"));
        a.addAll(planted);
        Cli.Result sh = Cli.exec(a.toArray(String[]::new));
        row.append(' ').append(runsLine(sh.out())).append(" |");
        System.out.println(row);
        System.out.println(sh.out());
        return row.toString();
    }
}
