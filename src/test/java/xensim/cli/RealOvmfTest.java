package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.firmware.ovmfc.OvmfBuild;
import xensim.firmware.ovmfc.OvmfCFirmware;

/**
 * edk2's own XenBusDxe and XenPvBlkDxe in the simulator (--firmware ovmf-c): they build from
 * Debian's edk2 source package, bind, read the GPT through XenPvBlkDxe's BlockIo, hand over at
 * EBS and the run gets the verdict; the same seed twice is byte-identical; a broken patch changes
 * the verdict and one that does not apply is exit 2; compare agrees with the model on verdicts.
 * Needs gcc and the source package (apt-get source edk2 with a deb-src entry): skipped locally
 * without them, a failure in CI (XENSIM_REQUIRE_NATIVE=1).
 */
class RealOvmfTest {
    static final Path PATCHES = Path.of("..", "examples", "ovmf-patches");

    @TempDir
    Path tmp;

    @BeforeAll
    static void drivers() {
        requireDrivers();
    }

    /** The real drivers built, or the test skipped (a failure under XENSIM_REQUIRE_NATIVE=1, as in CI). */
    static void requireDrivers() {
        try {
            OvmfCFirmware.library(List.of());
        } catch (OvmfBuild.BuildException e) {
            String why = "the real OVMF drivers cannot be built: " + e.getMessage();
            if ("1".equals(System.getenv("XENSIM_REQUIRE_NATIVE"))) fail(why + " — XENSIM_REQUIRE_NATIVE=1 forbids skipping");
            Assumptions.abort(why);
        }
    }

    @AfterEach
    void dispose() {
        OvmfCFirmware.disposeFinished();
    }

    private Cli.Result run(String out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--strategy", "disconnect", "--firmware", "ovmf-c", "--out",
                tmp.resolve(out).toString()));
        args.addAll(List.of(more));
        Cli.Result r = Cli.exec(args.toArray(String[]::new));
        OvmfCFirmware.disposeFinished();
        return r;
    }

    @Test
    void theRealDriversBootReadTheGptHandOverAndGetTheVerdictTheSameTwice() throws Exception {
        Cli.Result a = run("a");
        assertEquals(Main.EXIT_VIOLATION, a.code(), a.out() + a.err());
        assertTrue(a.out().contains("verdict: VIOLATION ALLOC_IN_EBS\n"), a.out());
        assertTrue(a.out().contains("--firmware ovmf-c"), "the replay names the drivers: " + a.out());
        String log = Files.readString(tmp.resolve("a/events.jsonl"));
        assertTrue(log.contains("\"firmware.drivers\":\"ovmf-c\""), "RUN_BEGIN records the drivers");
        assertTrue(log.contains("\"ev\":\"DRIVER_ENTRY\",\"driver\":\"XenBusDxe\",\"status\":\"EFI_SUCCESS\""), "XenBusDxe's entry point ran");
        assertTrue(log.contains("\"ev\":\"DRIVER_ENTRY\",\"driver\":\"XenPvBlkDxe\",\"status\":\"EFI_SUCCESS\""), "XenPvBlkDxe's entry point ran");
        assertTrue(log.contains("XenPvBlk: New disk with 131072 sectors of 512 bytes"), "edk2's own DEBUG output: the disk connected");
        assertTrue(log.contains("\"ev\":\"GPT_READ\""), "the GPT came through the C BlockIo");
        assertTrue(log.contains("\"ev\":\"BOOT_LOADER_LOADED\""), "the loader's payload verified");
        assertTrue(log.contains("\"ev\":\"EBS_NOTIFY_BEGIN\",\"driver\":\"XenBusDxe\""), "XenBusDxe's NotifyExitBoot ran at EBS");
        assertTrue(log.contains("\"ev\":\"OS_HANDOFF\""), "the OS took over");
        assertFalse(log.contains("FW_ASSERT") || log.contains("FW_SPIN") || log.contains("FW_SHIM"), "no ASSERT, spin or shim refusal");
        assertTrue(log.contains("\"vcpu\":\"coroutine\""), "deterministic: every fence is a shim call");
        assertTrue(log.contains("\"comp\":\"fw.ovmf\",\"ev\":\"GRANT_ACCESS\",\"ref\":2047,") && log.contains("\"comp\":\"fw.ovmf\",\"ev\":\"GRANT_END\",\"ref\":2047,\"ok\":true"),
                "the C drivers' grant stores reach the checker (edk2's free list hands out 2047 first)");
        Cli.Result b = run("b");
        assertEquals(a.code(), b.code());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/events.jsonl")), Files.readAllBytes(tmp.resolve("b/events.jsonl")),
                "the same seed twice: byte-identical events.jsonl");
    }

    @Test
    void aBrokenPatchChangesTheVerdictAndOneThatDoesNotApplyIsBadInput() throws Exception {
        Cli.Result broken = run("p", "--ovmf-patch", PATCHES.resolve("skip-shutdown-handshake.patch").toString());
        assertEquals(Main.EXIT_VIOLATION, broken.code(), broken.out() + broken.err());
        assertTrue(broken.out().contains("verdict: VIOLATION ALLOC_IN_EBS STALE_MAPPING STALE_GRANT\n"),
                "without XenPvBlockFrontShutdown's Closing/Closed handshake blkback still maps the ring the OS reclaims: " + broken.out());
        assertTrue(broken.out().contains("--ovmf-patch "), "the replay names the patch");
        assertTrue(Files.readString(tmp.resolve("p/events.jsonl")).contains("\"firmware.ovmf-patches\":\""), "RUN_BEGIN has its hash");
        Path bad = tmp.resolve("bad.patch");
        Files.writeString(bad, "--- a/OvmfPkg/XenPvBlkDxe/BlockFront.c\n+++ b/OvmfPkg/XenPvBlkDxe/BlockFront.c\n@@ -1,2 +1,2 @@\n"
                + "-no such line in edk2\n+nor this one\n context\n");
        Cli.Result r = run("x", "--ovmf-patch", bad.toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("does not apply") && r.err().contains("-no such line in edk2"), "the rejected hunk is shown: " + r.err());
    }

    /**
     * Threaded mode: the vCPU runs freely between boot services — MemoryFence and CpuPause stay on its thread, so
     * XenPvBlkDxe's polling loops read guest RAM while blkback, on its own thread, writes the responses into it —
     * and the run still boots, hands over and gets edk2's verdict (disconnect's DisconnectController in EBS).
     */
    @Test
    void threadedModeLetsTheVcpuPollRealSharedMemory() throws Exception {
        Cli.Result t = run("t", "--mode", "threaded");
        assertEquals(Main.EXIT_VIOLATION, t.code(), t.out() + t.err());
        assertTrue(t.out().contains("verdict: VIOLATION ALLOC_IN_EBS\n") && t.out().contains("ended COMPLETED"), t.out());
        String log = Files.readString(tmp.resolve("t/events.jsonl"));
        assertTrue(log.contains("\"vcpu\":\"free-running\""), "FW_START says the vCPU runs freely");
        assertTrue(log.contains("\"ev\":\"GPT_READ\"") && log.contains("\"ev\":\"OS_HANDOFF\""), "it read the GPT and handed over");
        assertFalse(log.contains("FW_ASSERT") || log.contains("FW_SPIN"), "no ASSERT, no spin");
    }

    /**
     * A loop that waits on the shared ring with no MemoryFence, CpuPause or boot service in it (the patch waits for one
     * response more than it asked for) runs against nothing in the coroutine vCPU: FW_SPIN after the bound, the
     * firmware parks, and the run is a modelling error (exit 3, one line, the log kept) — not the HANG verdict the
     * checker would otherwise give. In a process of its own: the spinning C thread cannot be stopped, only exited.
     */
    @Test
    void aSpinWithoutAShimCallIsAModellingErrorNotAHangVerdict() throws Exception {
        Path out = tmp.resolve("spin");
        try (CliProcess p = CliProcess.start(tmp, List.of("-Dxensim.ovmf.spinMillis=1500"), "run", "--strategy", "disconnect",
                "--firmware", "ovmf-c", "--ovmf-patch", PATCHES.resolve("spin-without-fence.patch").toAbsolutePath().toString(),
                "--out", out.toString())) {
            int code = p.awaitExit(300);
            assertEquals(Main.EXIT_INTERNAL, code, p.stdout() + p.stderr());
            String err = p.stderr().strip();
            assertTrue(err.startsWith("xensim: modelling error: the real OVMF drivers (XenPvBlkDxe) spun 1500 ms") && !err.contains("\n")
                    && !err.contains("Exception"), err);
            assertTrue(err.contains(" in XenPvBlockSync (OvmfPkg/XenPvBlkDxe/BlockFront.c:"), "the C function that spins, by name and source: " + err);
            String log = Files.readString(out.resolve("events.jsonl"));
            assertTrue(log.contains("\"ev\":\"FW_SPIN\",\"after\":\"XenHypercallEventChannelOp\",\"driver\":\"XenPvBlkDxe\",\"function\":\"XenPvBlockSync (OvmfPkg/XenPvBlkDxe/BlockFront.c:"),
                    "FW_SPIN names the function");
            assertTrue(log.contains("\"ev\":\"FW_SPIN\"") && log.contains("\"ev\":\"FW_PARKED\""), "the spin and the park are in the log");
            assertTrue(log.contains("\"ev\":\"EBS_BEGIN\""), "it spun in the hand-off (XenPvBlockSync at ExitBootServices)");
            assertTrue(Files.exists(out.resolve("report.html")), "the run's report is kept for the diagnosis");
        }
    }

    /** explore of edk2's drivers (its worker processes: OvmfExploreProcessesIT): what it does not combine with. */
    @Test
    void exploreOfEdk2sDriversRefusesWhatNeedsTheModelsOrOneProcess() {
        Cli.Result budget = Cli.exec("explore", "--firmware", "ovmf-c", "--jobs", "2", "--budget", "10s", "--out", tmp.resolve("b").toString());
        assertEquals(Main.EXIT_BAD_INPUT, budget.code(), budget.out() + budget.err());
        assertTrue(budget.err().strip().lines().count() == 1 && budget.err().contains("use --jobs 1"), budget.err());
        Cli.Result model = Cli.exec("explore", "--firmware", "ovmf-c", "--strategy", "refcount", "--out", tmp.resolve("r").toString());
        assertEquals(Main.EXIT_BAD_INPUT, model.code(), "refcount exists only as a model: " + model.out() + model.err());
        Cli.Result ex = Cli.exec("explore", "--firmware", "ovmf-c", "--exhaustive", "--out", tmp.resolve("x").toString());
        assertEquals(Main.EXIT_BAD_INPUT, ex.code(), ex.out() + ex.err());
        assertTrue(ex.err().contains("--exhaustive works on the Java models' steps"), ex.err());
    }

    @Test
    void compareAgreesWithTheModelOnTheVerdicts() throws Exception {
        Cli.Result r = Cli.exec("compare", "--seeds", "2", "--out", tmp.resolve("c").toString());
        OvmfCFirmware.disposeFinished();
        assertTrue(r.code() == Main.EXIT_CLEAN || r.code() == Main.EXIT_VIOLATION, r.out() + r.err());
        String md = Files.readString(tmp.resolve("c/compare.md"));
        assertTrue(md.contains("2 seeds: verdicts equal in 2"), md);
        assertTrue(md.contains("| 1 | linux ovmf c head | VIOLATION ALLOC_IN_EBS | VIOLATION ALLOC_IN_EBS |"), md);
    }

    @Test
    void otherDesignsAndAsyncIoAreNotEdk2sAndAreBadInput() {
        Cli.Result s = Cli.exec("run", "--strategy", "refcount", "--firmware", "ovmf-c", "--out", tmp.resolve("s").toString());
        assertEquals(Main.EXIT_BAD_INPUT, s.code(), s.out() + s.err());
        Cli.Result io = Cli.exec("run", "--strategy", "disconnect", "--firmware", "ovmf-c", "--firmware-io", "async", "--out",
                tmp.resolve("i").toString());
        assertEquals(Main.EXIT_BAD_INPUT, io.code(), io.out() + io.err());
        Cli.Result p = Cli.exec("run", "--ovmf-patch", "x.patch", "--out", tmp.resolve("m").toString());
        assertEquals(Main.EXIT_BAD_INPUT, p.code(), "a patch needs the real drivers: " + p.out() + p.err());
    }
}
