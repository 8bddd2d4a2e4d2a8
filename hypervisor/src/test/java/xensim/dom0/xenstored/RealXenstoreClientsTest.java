package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import xensim.platform.EventLog;
import xensim.platform.Mode;
import xensim.platform.SimSystem;

/**
 * Debian's xenstore-utils (4.17) and pyxs against the simulated xenstored's unix socket, exactly
 * as a user would poke a real host. Outputs are compared with what the tools print on a real host.
 */
class RealXenstoreClientsTest {
    private static SimSystem<Void> sim;
    private static XenstoredSocketServer server;
    private static Path dir;

    private record Out(int code, String stdout, String stderr) {}

    @BeforeAll
    static void start() throws Exception {
        boolean tools = Files.isExecutable(Path.of("/usr/bin/xenstore-ls"));
        boolean pyxs = Files.exists(Path.of("/usr/lib/python3/dist-packages/pyxs/__init__.py"));
        if (!(tools && pyxs)) {
            String why = "needs xenstore-utils and python3-pyxs (apt-get install xenstore-utils python3-pyxs)";
            if ("1".equals(System.getenv("XENSIM_REQUIRE_NATIVE"))) fail(why + " — XENSIM_REQUIRE_NATIVE=1 forbids skipping");
            Assumptions.abort(why);
        }
        dir = Files.createTempDirectory("xs");
        CompletableFuture<ActorRef<XenstoredActor.Command>> ref = new CompletableFuture<>();
        sim = SimSystem.start("xs-real", Mode.THREADED, 0, new EventLog(), 1.0, seam -> Behaviors.setup(ctx -> {
            XenstoredCore core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, seam.events());
            core.initDom0("Domain-0");
            ref.complete(ctx.spawn(XenstoredActor.create(seam, core, null), "xenstored"));
            return Behaviors.empty();
        }));
        server = new XenstoredSocketServer(dir.resolve("socket"), ref.get(30, TimeUnit.SECONDS));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
        if (sim != null) sim.close();
    }

    private static Out run(String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("XENSTORED_PATH", server.path().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
        return new Out(p.exitValue(), out, err);
    }

    @Test
    void freshHostListsDom0AndTool() throws Exception {
        Out ls = run("xenstore-ls", "/tool");
        assertEquals(0, ls.code(), ls.stderr());
        assertEquals("xenstored = \"\"\n", ls.stdout());
        Out dom0 = run("xenstore-ls", "/local/domain/0");
        assertTrue(dom0.stdout().startsWith("domid = \"0\"\nname = \"Domain-0\"\n"), dom0.stdout());
    }

    @Test
    void writeReadListExistsRm() throws Exception {
        assertEquals(0, run("xenstore-write", "/local/domain/0/t1/a", "hello", "/local/domain/0/t1/b", "x y").code());
        Out r = run("xenstore-read", "/local/domain/0/t1/a", "/local/domain/0/t1/b");
        assertEquals("hello\nx y\n", r.stdout());
        assertEquals("a\nb\n", run("xenstore-list", "/local/domain/0/t1").stdout());
        assertEquals(0, run("xenstore-exists", "/local/domain/0/t1/a").code());
        assertEquals(0, run("xenstore-rm", "/local/domain/0/t1/a").code());
        Out missing = run("xenstore-read", "/local/domain/0/t1/a");
        assertEquals(1, missing.code());
        assertEquals("xenstore-read: couldn't read path /local/domain/0/t1/a\n", missing.stderr());
        assertEquals(1, run("xenstore-exists", "/local/domain/0/t1/a").code());
    }

    @Test
    void chmodShowsInLsP() throws Exception {
        run("xenstore-write", "/local/domain/0/t2/node", "v");
        assertEquals(0, run("xenstore-chmod", "/local/domain/0/t2/node", "n0", "r5").code());
        Out ls = run("xenstore-ls", "-p", "/local/domain/0/t2");
        assertEquals(List.of("node = \"v\" . . . . . . . . . . . . . . . . . . . . . . . . .  (n0,r5)"),
                ls.stdout().lines().toList());
    }

    @Test
    void watchFiresOnAnotherClientsWrite() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("xenstore-watch", "-n", "2", "/local/domain/0/t3");
        pb.environment().put("XENSTORED_PATH", server.path().toString());
        Process watch = pb.start();
        // wait for the initial event (the watch is registered) before writing
        byte[] first = new byte["/local/domain/0/t3\n".length()];
        int got = 0;
        while (got < first.length) got += watch.getInputStream().read(first, got, first.length - got);
        run("xenstore-write", "/local/domain/0/t3/k", "1");
        String rest = new String(watch.getInputStream().readAllBytes());
        assertTrue(watch.waitFor(20, TimeUnit.SECONDS));
        assertEquals("/local/domain/0/t3\n/local/domain/0/t3/k\n", new String(first) + rest);
    }

    @Test
    void pyxsTransactionsAndWatches() throws Exception {
        String script = String.join("\n",
                "import pyxs",
                "sock = '" + server.path() + "'",
                "with pyxs.Client(unix_socket_path=sock) as c, pyxs.Client(unix_socket_path=sock) as d:",
                "    c.transaction(); c[b'/local/domain/0/py/a'] = b'1'; print('commit', c.commit())",
                "    print(c[b'/local/domain/0/py/a'].decode())",
                "    c.transaction(); c.read(b'/local/domain/0/py/a'); c[b'/local/domain/0/py/b'] = b'2'",
                "    d[b'/local/domain/0/py/a'] = b'changed'",
                "    print('conflict commit', c.commit(), c.exists(b'/local/domain/0/py/b'))",
                "    m = c.monitor(); m.watch(b'/local/domain/0/py', b'tok')",
                "    w = m.wait(); print(next(w))",
                "    d[b'/local/domain/0/py/c'] = b'3'; print(next(w))",
                "");
        Out out = run("/usr/bin/python3", "-c", script);
        assertEquals(0, out.code(), out.stderr());
        assertEquals(List.of("commit True", "1", "conflict commit False False",
                "Event(path=b'/local/domain/0/py', token=b'tok')",
                "Event(path=b'/local/domain/0/py/c', token=b'tok')"), out.stdout().lines().toList());
    }
    @Test
    void aDirectoryOverThePayloadLimitIsListedInParts() throws Exception {
        // 2,000 children: an 18,000-byte child list. xenstored answers DIRECTORY with E2BIG and
        // libxenstore's xs_directory falls back to DIRECTORY_PART, as against C xenstored
        List<String> args = new java.util.ArrayList<>(List.of("xenstore-write"));
        for (int i = 0; i < 2000; i++) {
            args.add(String.format("/local/domain/0/big/c%07d", i));
            args.add("v");
        }
        assertEquals(0, run(args.toArray(String[]::new)).code());
        Out ls = run("xenstore-ls", "/local/domain/0/big");
        assertEquals(0, ls.code(), ls.stderr());
        List<String> lines = ls.stdout().lines().toList();
        assertEquals(2000, lines.size());
        assertEquals("c0001999 = \"v\"", lines.get(1999));
        Out list = run("xenstore-list", "/local/domain/0/big");
        assertEquals(0, list.code(), list.stderr());
        assertEquals(2000, list.stdout().lines().count());
    }
}
