package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The toolstack's control/platform-feature-xs_reset_watches is a setting like the profiles: the
 * scenario key {@code toolstack.xs-reset-watches}, the flag {@code --xs-reset-watches}, written
 * to RUN_BEGIN and to the replay line; without it the OS (Linux's xs_reset_watches) sends no
 * XS_RESET_WATCHES.
 */
class XsResetWatchesFlagTest {
    @TempDir
    Path tmp;

    @Test
    void theFlagReachesTheToolstackRunBeginAndTheReplayLine() throws Exception {
        Path on = tmp.resolve("on");
        Cli.Result a = Cli.exec("run", "--out", on.toString());
        assertEquals(Main.EXIT_CLEAN, a.code(), a.out() + a.err());
        assertTrue(a.out().contains("as-left+reset-watches"), a.out());
        String onLog = Files.readString(on.resolve("events.jsonl"));
        assertTrue(onLog.contains("\"toolstack.xs-reset-watches\":\"on\""), "RUN_BEGIN records the default");
        assertTrue(onLog.contains("\"type\":\"XS_RESET_WATCHES\""), "the OS sent XS_RESET_WATCHES");

        Path off = tmp.resolve("off");
        Cli.Result b = Cli.exec("run", "--xs-reset-watches", "off", "--strategy", "naive-reset", "--out", off.toString());
        assertEquals(Main.EXIT_VIOLATION, b.code(), b.out() + b.err());
        assertTrue(b.out().contains("--xs-reset-watches off"), "the replay line keeps the setting: " + b.out());
        String offLog = Files.readString(off.resolve("events.jsonl"));
        assertTrue(offLog.contains("\"toolstack.xs-reset-watches\":\"off\""), "RUN_BEGIN records it");
        assertFalse(offLog.lines().anyMatch(l -> l.contains("\"type\":\"XS_WRITE\"") && l.contains("platform-feature-xs_reset_watches")),
                "the toolstack wrote no feature node");
        assertTrue(onLog.lines().anyMatch(l -> l.contains("\"type\":\"XS_WRITE\"") && l.contains("platform-feature-xs_reset_watches")),
                "where it did with the default");
        assertFalse(offLog.contains("\"type\":\"XS_RESET_WATCHES\""), "and the OS sent no XS_RESET_WATCHES");
        assertTrue(offLog.contains("\"ev\":\"OS_DONE\""), "the OS still did its work");

        Path sc = Files.writeString(tmp.resolve("off.conf"), "xensim.toolstack.xs-reset-watches = false\n");
        Cli.Result c = Cli.exec("run", "--scenario", sc.toString(), "--out", tmp.resolve("file").toString());
        assertEquals(Main.EXIT_CLEAN, c.code(), c.out() + c.err());
        assertFalse(c.out().contains("+reset-watches"), c.out());

        Cli.Result bad = Cli.exec("run", "--xs-reset-watches", "maybe", "--out", tmp.resolve("bad").toString());
        assertEquals(Main.EXIT_BAD_INPUT, bad.code(), bad.out() + bad.err());
        assertTrue(bad.err().contains("--xs-reset-watches: on or off"), bad.err());
    }
}
