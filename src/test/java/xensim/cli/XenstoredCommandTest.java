package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code xensim xenstored --socket P} serves real xenstore-ls a freshly booted host's tree. */
class XenstoredCommandTest {

    @Test
    void realXenstoreLsListsDom0AndTool(@TempDir Path dir) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/xenstore-ls"))) {
            if ("1".equals(System.getenv("XENSIM_REQUIRE_NATIVE"))) fail("xenstore-utils missing");
            Assumptions.abort("xenstore-utils not installed");
        }
        Path sock = dir.resolve("x.sock");
        XenstoredCommand cmd = new XenstoredCommand();
        cmd.stop = new CountDownLatch(1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(cmd);
        cl.setOut(new PrintWriter(out, true));
        int[] code = {-1};
        Thread t = new Thread(() -> code[0] = cl.execute("--socket", sock.toString(), "--out", dir.resolve("run").toString()));
        t.start();
        for (int i = 0; i < 300 && !out.toString().contains("listening on"); i++) Thread.sleep(20);
        assertEquals("listening on " + sock + "\n", out.toString());
        ProcessBuilder pb = new ProcessBuilder("xenstore-ls");
        pb.environment().put("XENSTORED_PATH", sock.toString());
        Process p = pb.start();
        String ls = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(String.join("\n", "tool = \"\"", " xenstored = \"\"", "local = \"\"", " domain = \"\"", "  0 = \"\"",
                "   domid = \"0\"", "   name = \"Domain-0\"", ""), ls);
        cmd.stop.countDown();
        t.join(20_000);
        assertEquals(0, code[0]);
        String events = Files.readString(dir.resolve("run/events.jsonl"));
        assertTrue(events.contains("\"ev\":\"XS_REQ\"") && events.contains("\"type\":\"XS_DIRECTORY\""), "the tool's requests are in the log");
    }

    @Test
    void badFlavourIsBadInput(@TempDir Path dir) {
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(new ByteArrayOutputStream(), true));
        assertEquals(Main.EXIT_BAD_INPUT, cl.execute("xenstored", "--socket", dir.resolve("s").toString(), "--flavour", "rust"));
    }
}
