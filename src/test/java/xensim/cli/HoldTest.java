package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import xensim.abi.XsFramer;
import xensim.abi.XsMessage;
import xensim.abi.XsWire;
import xensim.timeline.LogEvent;
import xensim.timeline.LogReader;

/**
 * {@code run --xenstore-socket PATH --hold}: the host, its guests and the socket stay up after
 * the workloads, real tools read and write the live store, a guest's watch sees their write, and
 * SIGTERM ends the run with its verdict, summary and RUN_END as without the hold.
 */
class HoldTest {

    private static final String SHUTDOWN = "/local/domain/1/control/shutdown";

    private static String waitFor(StringWriter out, String text) throws InterruptedException {
        for (int i = 0; i < 3000 && !out.toString().contains(text); i++) Thread.sleep(20); // a guard, 60 s
        return out.toString();
    }

    private static XsMessage request(Path sock, XsMessage m) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            ByteBuffer b = ByteBuffer.wrap(m.encode());
            while (b.hasRemaining()) ch.write(b);
            XsFramer f = new XsFramer();
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (true) {
                in.clear();
                if (ch.read(in) < 0) throw new IOException("closed");
                List<XsMessage> got = f.feed(in.array(), 0, in.position());
                if (!got.isEmpty()) return got.get(0);
            }
        }
    }

    /** The guest's control/shutdown watch fired after the tool's write (seq order). */
    private static void assertTheGuestsWatchSawTheWrite(Path events) throws IOException {
        List<LogEvent> log = new java.util.ArrayList<>();
        try (LogReader r = LogReader.open(events)) {
            for (LogEvent e = r.next(); e != null; e = r.next()) log.add(e);
        }
        long write = -1;
        boolean seen = false;
        for (LogEvent e : log) {
            if ("XS_REQ".equals(e.ev()) && e.dom() == 0 && "XS_WRITE".equals(e.get("type")) && SHUTDOWN.equals(e.get("path"))) {
                write = e.seq();
            }
            if (write >= 0 && "XS_WATCH_EVENT".equals(e.ev()) && e.dom() == 1 && "control/shutdown".equals(e.get("path"))
                    && "shutdown_watch".equals(e.get("token"))) {
                seen = true;
            }
        }
        assertTrue(write >= 0, "the tool's XS_WRITE is in the log");
        assertTrue(seen, "dom1's control/shutdown watch fired on the tool's write");
        LogEvent last = log.get(log.size() - 1);
        assertEquals("RUN_END", last.ev());
        assertEquals("COMPLETED", last.get("ending"));
        assertEquals("clean", last.get("verdict"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"deterministic", "threaded"})
    void aHeldRunServesItsSocketUntilReleased(String mode, @TempDir Path dir) throws Exception {
        Path sock = dir.resolve("xs.sock");
        RunCommand cmd = new RunCommand();
        cmd.holdRelease = new CountDownLatch(1);
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(cmd);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        int[] code = {-1};
        Thread t = new Thread(() -> code[0] = cl.execute("--mode", mode, "--out", dir.resolve("run").toString(),
                "--xenstore-socket", sock.toString(), "--hold"));
        t.start();
        assertTrue(waitFor(out, "holding the host up").contains("holding the host up"), out.toString());
        assertFalse(out.toString().contains("verdict"), "the run is not over while held");
        // the guest is alive and its store is served
        XsMessage name = request(sock, XsMessage.of(XsWire.XS_READ, 1, 0, "/local/domain/1/name"));
        assertEquals("guest0", new String(name.payload(), StandardCharsets.UTF_8));
        XsMessage w = request(sock, new XsMessage(XsWire.XS_WRITE, 2, 0, (SHUTDOWN + "\0poweroff").getBytes(StandardCharsets.UTF_8)));
        assertEquals(XsWire.XS_WRITE, w.type(), w.toString());
        cmd.holdRelease.countDown();
        t.join(60_000);
        assertEquals(Main.EXIT_CLEAN, code[0], out.toString());
        assertTrue(out.toString().contains("verdict: clean"), out.toString());
        assertFalse(Files.exists(sock), "the socket is removed when the run ends");
        assertTheGuestsWatchSawTheWrite(dir.resolve("run/events.jsonl"));
    }

    private record Tool(int code, String out, String err) {}

    private static Tool tool(Path sock, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("XENSTORED_PATH", sock.toString());
        Process p = pb.start();
        String o = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String e = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
        return new Tool(p.exitValue(), o, e);
    }

    @ParameterizedTest
    @ValueSource(strings = {"deterministic", "threaded"})
    void realXenstoreToolsAgainstAHeldRunThenSigterm(String mode, @TempDir Path dir) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/xenstore-ls"))) {
            if ("1".equals(System.getenv("XENSIM_REQUIRE_NATIVE"))) fail("xenstore-utils missing");
            Assumptions.abort("xenstore-utils not installed");
        }
        Path sock = dir.resolve("xs.sock");
        try (CliProcess p = CliProcess.start(dir, "run", "--mode", mode, "--out", dir.resolve("run").toString(),
                "--xenstore-socket", sock.toString(), "--hold")) {
            assertNotNull(p.awaitLine("holding the host up", 120), p.stdout());
            Tool ls = tool(sock, "xenstore-ls", "/local/domain/1");
            assertEquals(0, ls.code(), ls.err());
            assertTrue(ls.out().contains("name = \"guest0\""), ls.out());
            Tool write = tool(sock, "xenstore-write", SHUTDOWN, "poweroff");
            assertEquals(0, write.code(), write.err());
            Tool read = tool(sock, "xenstore-read", SHUTDOWN);
            assertEquals("poweroff\n", read.out(), read.err());
            p.terminate(); // SIGTERM ends the hold; the run finishes as usual
            int status = p.awaitExit(120);
            assertEquals(Main.EXIT_CLEAN, status, p.stdout() + p.stderr());
            assertTrue(p.stdout().contains("verdict: clean"), p.stdout());
            assertFalse(Files.exists(sock), "the socket is removed");
        }
        assertTheGuestsWatchSawTheWrite(dir.resolve("run/events.jsonl"));
    }
}
