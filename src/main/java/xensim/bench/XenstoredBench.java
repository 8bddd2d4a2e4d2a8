package xensim.bench;

import static xensim.abi.XsWire.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import xensim.abi.GrantTableAbi;
import xensim.abi.HvmParams;
import xensim.abi.PageBytes;
import xensim.abi.XenstoreRing;
import xensim.abi.XsFramer;
import xensim.abi.XsMessage;
import xensim.dom0.xenstored.Connection;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.dom0.xenstored.XenstoredCore;
import xensim.dom0.xenstored.XenstoredSocketServer;
import xensim.platform.EventLog;
import xensim.platform.Mode;
import xensim.platform.SimSystem;
import xensim.xen.DomainConfig;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * xenstored request rates: through a guest's ring page (deterministic runtime: guest writes
 * requests, kicks the event channel, xenstored answers on the ring) and through the unix socket
 * (a real socket client, one request in flight). The event log is on but has no sinks, so the
 * figures include building every XS_REQ/XS_RSP event but no file I/O.
 */
public final class XenstoredBench {
    private XenstoredBench() {}

    private record Go(int type, int count) {}

    /** Requests per second of wall time over the ring, {@code window} requests in flight. */
    public static double ringRequestsPerSecond(int type, int count, int window) throws Exception {
        CompletableFuture<Long> done = new CompletableFuture<>();
        CompletableFuture<Void> ready = new CompletableFuture<>();
        long[] start = new long[1];
        try (SimSystem<Go> sim = SimSystem.start("bench-xs", Mode.DETERMINISTIC, 1, new EventLog(), 1.0, seam -> Behaviors.setup(ctx -> {
            Hypervisor hv = new Hypervisor(seam.events());
            ActorRef<HypervisorActor.Command> hyp = ctx.spawn(HypervisorActor.create(seam, hv, 0), "hypervisor");
            XenstoredCore core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, seam.events());
            ActorRef<XenstoredActor.Command> xs = ctx.spawn(XenstoredActor.create(seam, core, hyp), "xenstored");
            DomainConfig cfg = DomainConfig.ofRamPages(256);
            Hypervisor.DomainCreated dc = hv.createDomain(0, cfg);
            int dom = dc.domid();
            hv.addToPhysmap(dom, dom, HvmParams.XENMAPSPACE_grant_table, 0, cfg.firstHoleGfn());
            hv.seedGrantEntry(0, dom, GrantTableAbi.GNTTAB_RESERVED_XENSTORE, 0, 0x10, false);
            int port = hv.evtchnAllocUnbound(0, dom, 0).port();
            PageBytes page = dc.memory().page(0x10);
            Connection init = core.connect(0, "init", m -> { });
            core.handle(init, XsMessage.of(XS_MKDIR, 1, 0, "/local/domain/" + dom));
            core.handle(init, XsMessage.of(XS_SET_PERMS, 2, 0, "/local/domain/" + dom, "n" + dom));
            core.handle(init, new XsMessage(XS_WRITE, 3, 0, ("/local/domain/" + dom + "/name\0guest").getBytes(StandardCharsets.UTF_8)));
            core.disconnect(init);
            ActorRef<Go> self = ctx.getSelf();
            hv.bindUpcall(dom, port, (d, p) -> self.tell(new Go(-1, 0)));
            ActorRef<XsMessage> ignore = ctx.spawnAnonymous(Behaviors.ignore());
            xs.tell(new XenstoredActor.OpenLocal(0, ignore, ctx.messageAdapter(XenstoredActor.Opened.class, o -> {
                xs.tell(new XenstoredActor.Request(o.connId(), XsMessage.of(XS_INTRODUCE, 1, 0, "" + dom, "16", "" + port)));
                ready.complete(null);
                return new Go(-2, 0);
            })));
            XsFramer framer = new XsFramer();
            byte[] buf = new byte[1024];
            int[] state = new int[4]; // sent, received, type, total
            return Behaviors.<Go>receiveMessage(g -> {
                if (g.type() >= 0) {
                    state[2] = g.type();
                    state[3] = g.count();
                    start[0] = System.nanoTime();
                }
                int n;
                while ((n = XenstoreRing.readResponse(page, buf, 0, buf.length)) > 0) state[1] += framer.feed(buf, 0, n).size();
                if (state[3] > 0 && state[1] >= state[3]) {
                    done.complete(System.nanoTime() - start[0]);
                    state[3] = 0;
                    return Behaviors.same();
                }
                boolean wrote = false;
                while (state[3] > 0 && state[0] < state[3] && state[0] - state[1] < window) {
                    byte[] req = state[2] == XS_READ
                            ? XsMessage.of(XS_READ, state[0], 0, "name").encode()
                            : new XsMessage(XS_WRITE, state[0], 0, ("k" + (state[0] & 15) + "\0value").getBytes(StandardCharsets.UTF_8)).encode();
                    int cons = page.getInt(XenstoreRing.REQ_CONS);
                    int prod = page.getInt(XenstoreRing.REQ_PROD);
                    if (XSPACE - (prod - cons) < req.length) break; // whole messages only, for simplicity
                    XenstoreRing.writeRequest(page, req, 0, req.length);
                    state[0]++;
                    wrote = true;
                }
                if (wrote) hyp.tell(new HypervisorActor.EvtchnSend(dom, port, null));
                return Behaviors.same();
            });
        }))) {
            ready.get(10, TimeUnit.SECONDS);
            Thread.sleep(100);
            sim.system().tell(new Go(type, count));
            long ns = done.get(5, TimeUnit.MINUTES);
            return count / (ns / 1e9);
        }
    }

    private static final int XSPACE = XENSTORE_RING_SIZE;

    /** Requests per second over the unix socket, one in flight (a tool's round trip). */
    public static double socketRequestsPerSecond(int type, int count) throws Exception {
        Path dir = Files.createTempDirectory("xsbench");
        CompletableFuture<ActorRef<XenstoredActor.Command>> ref = new CompletableFuture<>();
        try (SimSystem<Void> sim = SimSystem.start("bench-xs-sock", Mode.THREADED, 1, new EventLog(), 1.0, seam -> Behaviors.setup(ctx -> {
            XenstoredCore core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, seam.events());
            core.initDom0("Domain-0");
            ref.complete(ctx.spawn(XenstoredActor.create(seam, core, null), "xenstored"));
            return Behaviors.empty();
        }));
             XenstoredSocketServer server = new XenstoredSocketServer(dir.resolve("s"), ref.get(10, TimeUnit.SECONDS));
             SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(server.path()));
            XsFramer framer = new XsFramer();
            ByteBuffer in = ByteBuffer.allocate(8192);
            long t0 = 0;
            for (int i = -1000; i < count; i++) { // 1000 warm-up requests
                if (i == 0) t0 = System.nanoTime();
                byte[] req = type == XS_READ ? XsMessage.of(XS_READ, i, 0, "/local/domain/0/name").encode()
                        : new XsMessage(XS_WRITE, i, 0, "/local/domain/0/bench\0v".getBytes(StandardCharsets.UTF_8)).encode();
                ByteBuffer b = ByteBuffer.wrap(req);
                while (b.hasRemaining()) ch.write(b);
                int got = 0;
                while (got == 0) {
                    in.clear();
                    int n = ch.read(in);
                    if (n < 0) throw new IOException("xenstored closed the socket");
                    got = framer.feed(in.array(), 0, n).size();
                }
            }
            return count / ((System.nanoTime() - t0) / 1e9);
        }
    }
}
