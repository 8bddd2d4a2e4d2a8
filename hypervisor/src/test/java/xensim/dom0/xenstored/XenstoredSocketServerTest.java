package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;
import xensim.abi.XsFramer;
import xensim.abi.XsMessage;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.platform.Mode;
import xensim.platform.SimSystem;

/**
 * The unix socket under a hostile dom0 client: one that sends requests and never reads its
 * replies must not delay anybody else (C xenstored writes each connection's out_list only when
 * its fd polls writable).
 */
class XenstoredSocketServerTest {

    private static SocketChannel connect(Path p) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(p));
        return ch;
    }

    private static void send(SocketChannel ch, XsMessage m) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(m.encode());
        while (b.hasRemaining()) ch.write(b);
    }

    private static XsMessage receive(SocketChannel ch) throws IOException {
        XsFramer f = new XsFramer();
        ByteBuffer b = ByteBuffer.allocate(8192);
        while (true) {
            b.clear();
            if (ch.read(b) < 0) throw new IOException("closed");
            List<XsMessage> got = f.feed(b.array(), 0, b.position());
            if (!got.isEmpty()) return got.get(0);
        }
    }

    /** Floods {@code reads} READs of a ~4 KB value from one client that never reads; returns what the other saw. */
    private record Outcome(XsMessage answer, long steps, boolean flooderDropped) {}

    private static Outcome flood(Path dir, int reads) throws Exception {
        EventRecorder rec = new EventRecorder();
        CompletableFuture<ActorRef<XenstoredActor.Command>> ref = new CompletableFuture<>();
        SimSystem<Void> sim = SimSystem.start("xs-flood", Mode.DETERMINISTIC, 1, new EventLog(rec), 1.0, seam -> Behaviors.setup(ctx -> {
            XenstoredCore core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, seam.events());
            core.initDom0("Domain-0");
            ref.complete(ctx.spawn(XenstoredActor.create(seam, core, null), "xenstored"));
            return Behaviors.empty();
        }));
        Path sock = dir.resolve("socket");
        XenstoredSocketServer server = new XenstoredSocketServer(sock, ref.get(30, TimeUnit.SECONDS));
        try (SocketChannel flooder = connect(sock); SocketChannel other = connect(sock)) {
            send(flooder, new XsMessage(XS_WRITE, 1, 0, ("/local/domain/0/big\0" + "x".repeat(4000)).getBytes(StandardCharsets.UTF_8)));
            assertEquals(XS_WRITE, receive(flooder).type());
            Thread flood = new Thread(() -> {
                try {
                    for (int i = 0; i < reads; i++) send(flooder, XsMessage.of(XS_READ, 100 + i, 0, "/local/domain/0/big"));
                } catch (IOException e) {
                    // xenstored dropped us
                }
            }, "flooder");
            flood.start();
            flood.join(60_000);
            assertTrue(sim.executor().awaitQuiescence(30_000), "xenstored got through the flood");
            long before = sim.executor().executedTasks();
            CompletableFuture<XsMessage> answer = CompletableFuture.supplyAsync(() -> {
                try {
                    send(other, XsMessage.of(XS_READ, 7, 0, "/local/domain/0/domid"));
                    return receive(other);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            // a liveness guard, not a timing assertion: a blocked xenstored never answers at all
            XsMessage r = answer.get(60, TimeUnit.SECONDS);
            long steps = sim.executor().executedTasks() - before;
            assertTrue(sim.executor().awaitQuiescence(30_000));
            boolean dropped = rec.named("XS_RESET").stream().anyMatch(e -> "output-quota".equals(e.get("reason")));
            return new Outcome(r, steps, dropped);
        } finally {
            server.close();
            sim.close();
        }
    }

    @RepeatedTest(3)
    void aClientThatReadsNothingDelaysNoOtherClient(@TempDir Path dir) throws Exception {
        // 300 READs: 1.2 MB of replies, far past the socket's buffer, within the queue's limit
        Outcome o = flood(dir, 300);
        assertEquals(XS_READ, o.answer().type(), o.answer().toString());
        assertEquals("0", new String(o.answer().payload(), StandardCharsets.UTF_8));
        assertTrue(o.steps() < 100, "simulator steps from the other client's request to its answer: " + o.steps());
        assertTrue(!o.flooderDropped(), "under its quota the slow client keeps its connection");
    }

    @RepeatedTest(3)
    void aClientPastItsOutputQuotaIsDropped(@TempDir Path dir) throws Exception {
        // 20,000 READs: 80 MB of replies, past the 2.5 MiB queue
        Outcome o = flood(dir, 20_000);
        assertEquals("0", new String(o.answer().payload(), StandardCharsets.UTF_8));
        assertTrue(o.steps() < 100, "simulator steps from the other client's request to its answer: " + o.steps());
        assertTrue(o.flooderDropped(), "XS_RESET reason output-quota");
    }
}
