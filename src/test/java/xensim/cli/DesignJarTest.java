package xensim.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.testing.DesignJars;

/**
 * Designs from {@code --design-jar}: found by ServiceLoader, selected by {@code --strategy} in
 * run and explore (and by the scenario key), replayed with their jar; a missing jar, a jar
 * without designs, a name clash and a design that throws are bad input: exit 2, one line naming
 * the jar and the class, no stack trace.
 */
class DesignJarTest {
    @TempDir
    Path tmp;

    /** examples/my-design's design, compiled here against the design interface alone. */
    private Path exampleJar() throws Exception {
        Path src = Path.of("..", "examples", "my-design", "src", "main", "java", "org", "example", "mydesign", "RefcountTplNotify.java");
        return DesignJars.build(tmp, "my-design", Map.of("org.example.mydesign.RefcountTplNotify", Files.readString(src)),
                List.of("org.example.mydesign.RefcountTplNotify"));
    }

    private static void oneLineNaming(Cli.Result r, String... parts) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        for (String p : parts) assertTrue(r.err().contains(p), "names " + p + ": " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void theExampleDesignRunsFromItsJarInRunAndExplore() throws Exception {
        Path jar = exampleJar();
        Cli.Result r = Cli.exec("run", "--design-jar", jar.toString(), "--strategy", "refcount-tpl-notify", "--out", tmp.resolve("r").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("strategy refcount-tpl-notify"), r.out());
        assertTrue(r.out().contains("verdict: clean"), r.out());
        assertTrue(r.out().contains("   1/1 "), "the disk connected: " + r.out());
        String log = Files.readString(tmp.resolve("r").resolve("events.jsonl"));
        // the child's notify at TPL_NOTIFY ran, then the bus's at TPL_CALLBACK
        int child = log.indexOf("\"ev\":\"EBS_NOTIFY_BEGIN\",\"driver\":\"XenPvBlkDxe/51712\"");
        int bus = log.indexOf("\"ev\":\"EBS_NOTIFY_BEGIN\",\"driver\":\"XenBusDxe\"");
        assertTrue(child > 0 && bus > child, "child before bus");
        assertTrue(log.contains("\"tpl\":\"TPL_NOTIFY\""));

        Cli.Result x = Cli.exec("explore", "--design-jar", jar.toString(), "--strategy", "all", "--seeds", "2", "--no-progress",
                "--out", tmp.resolve("x").toString());
        assertEquals(1, x.code(), x.out() + x.err()); // naive-reset and disconnect fail
        assertTrue(x.out().contains("14 runs"), x.out()); // six built-in designs and the jar's, 2 seeds each
        assertTrue(x.out().contains("| refcount-tpl-notify | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"), x.out());
        assertTrue(x.out().contains("--design-jar " + jar), "replay lines carry the jar: " + x.out());

        Cli.Result st = Cli.exec("stress", "--design-jar", jar.toString(), "--strategy", "refcount-tpl-notify", "--runs", "2", "--mode", "deterministic",
                "--jobs", "1");
        assertEquals(0, st.code(), st.out() + st.err());
        assertTrue(st.out().contains("strategy refcount-tpl-notify") && st.out().contains("runs: 2, clean: 2, failed: 0"), st.out());
    }

    @Test
    void aFailingDesignOfAJarIsJudgedAndReplayedWithItsJar() throws Exception {
        Path jar = DesignJars.build(tmp, "eager", Map.of("org.example.Eager",
                DesignJars.design("org.example", "Eager", "eager-reset", "", DesignJars.NAIVE_BODY)), List.of("org.example.Eager"));
        Cli.Result r = Cli.exec("run", "--design-jar", jar.toString(), "--strategy", "eager-reset", "--out", tmp.resolve("e").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("verdict: VIOLATION STALE_MAPPING RESET_ORDER"), r.out());
        String replay = r.out().lines().filter(l -> l.startsWith("replay: ")).findFirst().orElseThrow().substring("replay: ".length());
        assertTrue(replay.contains("--strategy eager-reset") && replay.contains("--design-jar " + jar), replay);
        // the scenario key does what the flag does
        Path sc = tmp.resolve("eager.conf");
        Files.writeString(sc, "xensim { strategy = eager-reset, firmware.design-jars = [\"" + jar + "\"] }\n");
        Cli.Result f = Cli.exec("run", "--scenario", sc.toString(), "--out", tmp.resolve("f").toString());
        assertEquals(1, f.code(), f.out() + f.err());
        assertTrue(f.out().contains("verdict: VIOLATION STALE_MAPPING RESET_ORDER"), f.out());
    }

    @Test
    void aNameClashIsBadInputNamingJarAndClass() throws Exception {
        Path jar = DesignJars.build(tmp, "clash", Map.of("org.example.Mine",
                DesignJars.design("org.example", "Mine", "refcount", "", DesignJars.NAIVE_BODY)), List.of("org.example.Mine"));
        Cli.Result r = Cli.exec("run", "--design-jar", jar.toString(), "--out", tmp.resolve("c").toString());
        oneLineNaming(r, jar.toString(), "org.example.Mine", "'refcount'", "xensim.firmware.ebs.Refcount");
        Path other = DesignJars.build(tmp, "other", Map.of("org.example.Eager",
                DesignJars.design("org.example", "Eager", "eager-reset", "", DesignJars.NAIVE_BODY)), List.of("org.example.Eager"));
        Cli.Result two = Cli.exec("explore", "--design-jar", other.toString(), "--design-jar", other.toString(), "--seeds", "1",
                "--no-progress", "--out", tmp.resolve("c2").toString());
        oneLineNaming(two, other.toString(), "org.example.Eager", "'eager-reset'", "clashes");
    }

    @Test
    void aJarWithoutDesignsOrMissingIsBadInput() throws Exception {
        Path empty = DesignJars.build(tmp, "empty", Map.of("org.example.Nothing", "package org.example; public class Nothing {}"), null);
        oneLineNaming(Cli.exec("run", "--design-jar", empty.toString(), "--out", tmp.resolve("a").toString()), empty.toString(), "no EBS design");
        oneLineNaming(Cli.exec("explore", "--design-jar", empty.toString(), "--seeds", "1", "--no-progress", "--out", tmp.resolve("b").toString()),
                empty.toString(), "no EBS design");
        Path missing = tmp.resolve("missing.jar");
        oneLineNaming(Cli.exec("run", "--design-jar", missing.toString(), "--out", tmp.resolve("m").toString()), missing.toString(), "no such file");
        Path notAJar = tmp.resolve("text.jar");
        Files.writeString(notAJar, "hello");
        oneLineNaming(Cli.exec("run", "--design-jar", notAJar.toString(), "--out", tmp.resolve("t").toString()), notAJar.toString(), "not a jar");
        // a services file naming a class the jar does not have, or one that is no design
        Path wrong = DesignJars.build(tmp, "wrong", Map.of("org.example.Nothing", "package org.example; public class Nothing {}"),
                List.of("org.example.Nothing", "org.example.Absent"));
        oneLineNaming(Cli.exec("run", "--design-jar", wrong.toString(), "--out", tmp.resolve("w").toString()), wrong.toString(), "org.example.Nothing");
    }

    @Test
    void aDesignThatThrowsIsBadInputNamingJarAndClass() throws Exception {
        Path ctor = DesignJars.build(tmp, "ctor", Map.of("org.example.Ctor",
                DesignJars.design("org.example", "Ctor", "ctor", "if (Boolean.TRUE) throw new IllegalStateException(\"no\");", "")),
                List.of("org.example.Ctor"));
        oneLineNaming(Cli.exec("run", "--design-jar", ctor.toString(), "--strategy", "ctor", "--out", tmp.resolve("a").toString()),
                ctor.toString(), "org.example.Ctor", "IllegalStateException: no");

        Path hook = DesignJars.build(tmp, "hook", Map.of("org.example.Hook",
                DesignJars.design("org.example", "Hook", "hook", "", "throw new UnsupportedOperationException(\"busStarted says no\");")),
                List.of("org.example.Hook"));
        Cli.Result r = Cli.exec("run", "--design-jar", hook.toString(), "--strategy", "hook", "--out", tmp.resolve("b").toString());
        oneLineNaming(r, hook.toString(), "design 'hook'", "org.example.Hook", "UnsupportedOperationException: busStarted says no", "Hook.busStarted(");
        assertFalse(r.out().contains("verdict:"), "no verdict for a design that threw: " + r.out());
        Cli.Result x = Cli.exec("explore", "--design-jar", hook.toString(), "--strategy", "hook", "--seeds", "3", "--no-progress",
                "--out", tmp.resolve("c").toString());
        oneLineNaming(x, hook.toString(), "org.example.Hook", "busStarted says no");

        // a notify function that throws during ExitBootServices, and one that misuses the interface
        Path notify = DesignJars.build(tmp, "notify", Map.of("org.example.Late",
                DesignJars.design("org.example", "Late", "late", "", "bus.setExitBootEvent(bus.bootServices().createEvent("
                        + "EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_CALLBACK, (e, done) -> { throw new"
                        + " IllegalStateException(\"in EBS\"); }, XenBus.DRIVER));"),
                "org.example.Misuse", DesignJars.design("org.example", "Misuse", "misuse", "",
                        "bus.bootServices().closeEvent(new EfiEvent() { public String owner() { return \"x\"; } public boolean isClosed() { return false; } });")),
                List.of("org.example.Late", "org.example.Misuse"));
        oneLineNaming(Cli.exec("run", "--design-jar", notify.toString(), "--strategy", "late", "--out", tmp.resolve("d").toString()),
                notify.toString(), "org.example.Late", "IllegalStateException: in EBS", "Late.lambda$busStarted$");
        oneLineNaming(Cli.exec("run", "--design-jar", notify.toString(), "--strategy", "misuse", "--out", tmp.resolve("e").toString()),
                notify.toString(), "org.example.Misuse", "ClassCastException");
        // a notify function that returns twice
        Path twice = DesignJars.build(tmp, "twice", Map.of("org.example.Twice",
                DesignJars.design("org.example", "Twice", "twice", "", "bus.setExitBootEvent(bus.bootServices().createEvent("
                        + "EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.TPL_CALLBACK, (e, done) -> { done.run(); done.run(); },"
                        + " XenBus.DRIVER));")), List.of("org.example.Twice"));
        oneLineNaming(Cli.exec("run", "--design-jar", twice.toString(), "--strategy", "twice", "--out", tmp.resolve("t").toString()),
                twice.toString(), "org.example.Twice", "called done twice", "Twice.lambda$busStarted$");
    }
}
