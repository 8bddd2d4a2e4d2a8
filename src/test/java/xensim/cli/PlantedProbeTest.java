package xensim.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import xensim.planted.PlantedDesigns;

@EnabledIfSystemProperty(named = "xensim.probe", matches = "true")
class PlantedProbeTest {
    @Test
    void probe() {
        PlantedDesigns.register();
        for (String bug : PlantedDesigns.BUGS.keySet()) {
            for (String io : new String[] {"ovmf", "async"}) {
                Cli.Result r = Cli.exec("explore", "--strategy", bug, "--schedule", "fifo,pct:3", "--seeds", "4", "--firmware-io", io,
                        "--no-progress", "--out", "/tmp/probe-" + bug + io);
                System.out.println("=== " + bug + " " + io + " exit " + r.code());
                for (String l : r.out().split("\n")) if (l.startsWith("| " + bug) || l.contains("runs in")) System.out.println(l);
                System.out.println(r.err());
            }
        }
    }
}
