package xensim.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import xensim.compare.ProtocolTrace;
import xensim.firmware.FirmwareImpl;
import xensim.firmware.ovmfc.OvmfCFirmware;
import xensim.platform.Mode;
import xensim.runtime.Host;
import xensim.runtime.HostConfig;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;
import xensim.scenario.Scenario;

/**
 * {@code xensim compare}: the Java {@code disconnect} model against edk2's own XenBusDxe and
 * XenPvBlkDxe ({@code --firmware ovmf-c}) on the same seeds and profiles. For each seed and
 * profile combination: both verdicts and the first difference in the protocol-visible event
 * sequences ({@link ProtocolTrace}). Exit 0 when every verdict and every sequence agrees, 1
 * otherwise (every difference is a model bug), 2 bad input. The runs are one after another in
 * this process (one guest at a time: the real drivers' guest RAM is the process's).
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Run the Java disconnect model and edk2's own drivers (--firmware ovmf-c) on the same seeds; report both verdicts and the first protocol-visible difference")
public final class CompareCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ProfileOptions profiles = new ProfileOptions();

    @Option(names = "--seeds", description = "seeds 1..N (default 20)")
    int seeds = 20;

    @Option(names = "--ovmf-patch", paramLabel = "FILE", description = "patch the real drivers (as run --ovmf-patch; repeatable)")
    List<Path> patches;

    @Option(names = "--out", description = "output folder: each run's events.jsonl and compare.md (default runs/compare-<date>/)")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (seeds < 1 || seeds > 10_000) throw new BadInputException("--seeds: between 1 and 10000, got " + seeds);
        List<Map<String, Object>> combos = profiles.combinations();
        Path dir = out != null ? out : Path.of("runs", "compare-" + LocalDate.now());
        UserPaths.outputDir(dir, out != null ? "--out" : "the default --out");
        PrintWriter pw = spec.commandLine().getOut();
        List<Path> patchList = patches == null ? List.of() : patches;
        // build (or find) the real drivers first: a missing compiler, source package or a bad patch is exit 2
        Scenario probe = RunCommand.scenario(null, "disconnect", 1L, "deterministic", 1, null, List.of(), combos.get(0))
                .withFirmware(FirmwareImpl.OVMF_C, patchList);
        FirmwareOptions.check(probe);
        StringBuilder md = new StringBuilder();
        md.append("| seed | profiles | model verdict | ovmf-c verdict | xenstore requests: first difference | guest hypercalls and EBS allocations: first difference | XenbusState: first difference | grant entries: first difference |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        int agree = 0, verdictsEqual = 0, total = 0;
        long t0 = System.nanoTime();
        for (Map<String, Object> combo : combos) {
            for (long seed = 1; seed <= seeds; seed++) {
                Scenario base = RunCommand.scenario(null, "disconnect", seed, "deterministic", 1, null, List.of(), combo);
                String prof = String.join(" ", base.profiles().values());
                Path sd = dir.resolve("seed-" + seed + "-" + prof.replace(' ', '_'));
                RunResult m = runOne(base, sd.resolve("model"));
                RunResult c = runOne(base.withFirmware(FirmwareImpl.OVMF_C, patchList), sd.resolve("ovmf-c"));
                OvmfCFirmware.disposeFinished();
                ProtocolTrace tm = ProtocolTrace.read(m.eventsFile(), 1);
                ProtocolTrace tc = ProtocolTrace.read(c.eventsFile(), 1);
                String dx = ProtocolTrace.describe(tm.xenstore(), tc.xenstore());
                String dg = ProtocolTrace.describe(tm.guest(), tc.guest());
                String ds = ProtocolTrace.describe(tm.states(), tc.states());
                String dn = ProtocolTrace.describe(tm.grants(), tc.grants());
                boolean same = m.verdictLine().equals(c.verdictLine());
                total++;
                if (same) verdictsEqual++;
                if (same && dx == null && dg == null && ds == null && dn == null) agree++;
                md.append("| ").append(seed).append(" | ").append(prof).append(" | ").append(verdict(m)).append(" | ").append(verdict(c))
                        .append(" | ").append(dx == null ? "none" : dx).append(" | ").append(dg == null ? "none" : dg).append(" | ").append(ds == null ? "none" : ds).append(" | ").append(dn == null ? "none" : dn).append(" |\n");
                pw.printf("seed %d (%s): model %s, ovmf-c %s%s%n", seed, prof, verdict(m), verdict(c),
                        dx == null && dg == null && ds == null && dn == null ? ", same protocol sequences" : ", sequences differ");
                pw.flush();
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        md.append("\n").append(total).append(" seeds: verdicts equal in ").append(verdictsEqual).append(", protocol sequences equal in ")
                .append(agree).append(String.format(" (%.1f s)%n", secs));
        Files.writeString(dir.resolve("compare.md"), md.toString(), StandardCharsets.UTF_8);
        pw.print(md);
        pw.println("compare: " + dir.resolve("compare.md"));
        pw.flush();
        return agree == total ? Main.EXIT_CLEAN : Main.EXIT_VIOLATION;
    }

    private static String verdict(RunResult r) {
        return r.verdictLine().replaceFirst("^verdict: ", "");
    }

    private static RunResult runOne(Scenario sc, Path dir) throws Exception {
        Files.createDirectories(dir.resolve("disks"));
        HostConfig cfg = sc.hostConfig(dir.resolve("disks"));
        ModellingErrorWatch modellingError = new ModellingErrorWatch();
        RunResult r = Simulation.run(new RunSpec(sc.seed(), Mode.DETERMINISTIC, sc.strategy(), sc.name(), dir, 1.0, 600_000)
                .withProfiles(sc.runBegin()), (seam, done) -> Host.create(seam, cfg, done), modellingError);
        modellingError.check(); // a seed the simulator could not run faithfully compares nothing
        try (var s = Files.list(dir.resolve("disks"))) {
            for (Path p : (Iterable<Path>) s::iterator) Files.deleteIfExists(p);
        }
        return r;
    }
}
