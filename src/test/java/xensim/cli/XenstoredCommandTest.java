package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    private static Cli.Result execWithin(long seconds, String... args) throws Exception {
        // a guard: a command that serves instead of refusing would never return
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> Cli.exec(args)).get(seconds, TimeUnit.SECONDS);
    }

    @Test
    void aFileAtTheSocketPathIsRefusedNotReplaced(@TempDir Path dir) throws Exception {
        Path precious = dir.resolve("notes.txt");
        Files.writeString(precious, "precious");
        Cli.Result r = execWithin(30, "xenstored", "--socket", precious.toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertEquals("xensim: --socket " + precious + " exists and is a file (not replacing it)\n", r.err());
        assertEquals("precious", Files.readString(precious), "the file is untouched");
        Cli.Result d = execWithin(30, "xenstored", "--socket", dir.toString());
        assertEquals(Main.EXIT_BAD_INPUT, d.code());
        assertEquals(1, d.err().lines().count(), d.err());
    }

    @Test
    void aLiveSocketIsRefusedAStaleOneIsReplaced(@TempDir Path dir) throws Exception {
        Path live = dir.resolve("live.sock");
        try (java.nio.channels.ServerSocketChannel other = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            other.bind(java.net.UnixDomainSocketAddress.of(live));
            Cli.Result r = execWithin(30, "xenstored", "--socket", live.toString());
            assertEquals(Main.EXIT_BAD_INPUT, r.code());
            assertEquals("xensim: --socket " + live + " is a socket a running server answers on\n", r.err());
        }
        // closed without unlinking: the socket file stays behind, stale, as after a crash
        Path stale = dir.resolve("stale.sock");
        java.nio.channels.ServerSocketChannel dead = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        dead.bind(java.net.UnixDomainSocketAddress.of(stale));
        dead.close();
        assertTrue(Files.exists(stale));
        XenstoredCommand cmd = new XenstoredCommand();
        cmd.stop = new CountDownLatch(1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(cmd);
        cl.setOut(new PrintWriter(out, true));
        int[] code = {-1};
        Thread t = new Thread(() -> code[0] = cl.execute("--socket", stale.toString()));
        t.start();
        for (int i = 0; i < 500 && !out.toString().contains("listening on"); i++) Thread.sleep(20);
        assertEquals("listening on " + stale + "\n", out.toString());
        try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(stale))) {
            assertTrue(c.isConnected(), "a live xenstored answers there now");
        }
        cmd.stop.countDown();
        t.join(30_000);
        assertEquals(0, code[0]);
        assertFalse(Files.exists(stale), "the socket is removed on exit");
    }

    @Test
    void sigtermRemovesTheSocketAndExitsClean(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("xs.sock");
        try (CliProcess p = CliProcess.start(dir, "xenstored", "--socket", sock.toString())) {
            assertEquals("listening on " + sock, p.awaitLine("listening on", 60), p.stdout());
            assertTrue(Files.exists(sock));
            p.terminate();
            assertEquals(0, p.awaitExit(60), "exit status after SIGTERM; stderr: " + p.stderr());
            assertFalse(Files.exists(sock), "the shutdown hook removed the socket");
        }
    }
}
