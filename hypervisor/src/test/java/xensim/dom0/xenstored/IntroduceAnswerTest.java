package xensim.dom0.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static xensim.abi.XsWire.*;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import xensim.abi.GrantTableAbi;
import xensim.abi.HvmParams;
import xensim.abi.PageBytes;
import xensim.abi.XenstoreRing;
import xensim.abi.XsMessage;
import xensim.platform.EventLog;
import xensim.platform.EventRecorder;
import xensim.platform.Mode;
import xensim.platform.SimSystem;
import xensim.xen.DomainConfig;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * C xenstored's do_introduce answers only after introduce_domain has mapped the guest's ring,
 * bound its event channel and reset the connection (domain_conn_reset zeroes the indexes). The
 * toolstack unpauses the guest after that answer, so nothing the guest writes to its ring can be
 * wiped by the reset. Once xenstored's main loop took virtual time, the model answered first and
 * mapped later: a guest started on the answer could write its first request, then see xenstored
 * zero req_prod under it, and wait for ever (threaded crash runs: "the guest never reached the OS").
 */
class IntroduceAnswerTest {
    static final long STORE_GFN = 0x80;

    @Test
    void theIntroduceAnswerComesAfterTheRingIsMappedAndReset() throws Exception {
        EventRecorder events = new EventRecorder();
        List<String> seen = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> answered = new CompletableFuture<>();
        PageBytes[] page = new PageBytes[1];
        SimSystem<Object> sim = SimSystem.start("introduce", Mode.DETERMINISTIC, 1, new EventLog(events), 1.0, seam -> Behaviors.setup(ctx -> {
            Hypervisor hv = new Hypervisor(seam.events());
            ActorRef<HypervisorActor.Command> hyp = ctx.spawn(HypervisorActor.create(seam, hv, 1000), "hypervisor");
            XenstoredCore core = new XenstoredCore(XenstoredCore.Flavour.DEFAULT, seam.events());
            ActorRef<XenstoredActor.Command> xs = ctx.spawn(XenstoredActor.create(seam, core, hyp), "xenstored");
            DomainConfig cfg = DomainConfig.ofRamPages(512);
            Hypervisor.DomainCreated dc = hv.createDomain(0, cfg);
            int dom = dc.domid();
            hv.addToPhysmap(dom, dom, HvmParams.XENMAPSPACE_grant_table, 0, cfg.firstHoleGfn());
            hv.seedGrantEntry(0, dom, GrantTableAbi.GNTTAB_RESERVED_XENSTORE, 0, STORE_GFN, false);
            int port = hv.evtchnAllocUnbound(0, dom, 0).port();
            page[0] = dc.memory().page(STORE_GFN);
            // what the page held before xenstored reset it: a stale producer index
            page[0].putInt(XenstoreRing.REQ_PROD, 7);
            page[0].putInt(XenstoreRing.REQ_CONS, 3);
            ActorRef<XsMessage> toolstack = ctx.spawnAnonymous(Behaviors.receiveMessage(m -> {
                // the moment the toolstack would unpause the guest
                seen.add(typeName(m.type()) + " req_prod=" + page[0].getInt(XenstoreRing.REQ_PROD)
                        + " req_cons=" + page[0].getInt(XenstoreRing.REQ_CONS) + " introduced=" + core.isIntroduced(dom));
                answered.complete(null);
                return Behaviors.same();
            }));
            xs.tell(new XenstoredActor.OpenLocal(0, toolstack, ctx.messageAdapter(XenstoredActor.Opened.class, o -> {
                xs.tell(new XenstoredActor.Request(o.connId(), XsMessage.of(XS_INTRODUCE, 1, 0,
                        String.valueOf(dom), String.valueOf(STORE_GFN), String.valueOf(port))));
                return "opened";
            })));
            return Behaviors.ignore();
        }));
        try {
            answered.get(10, TimeUnit.SECONDS);
            assertEquals(List.of("XS_INTRODUCE req_prod=0 req_cons=0 introduced=true"), seen,
                    "xenstored answers INTRODUCE only once it has reset the ring the guest will use");
            // and the answer follows the mapping in the log, as it does in C
            long map = events.events().stream().filter(e -> e.ev().equals("GRANT_MAP")).mapToLong(xensim.platform.Event::seq).min().orElse(-1);
            long rsp = events.events().stream().filter(e -> e.ev().equals("XS_RSP") && "XS_INTRODUCE".equals(e.getString("type")))
                    .mapToLong(xensim.platform.Event::seq).min().orElse(-1);
            assertTrue(map >= 0 && rsp > map, "GRANT_MAP #" + map + " before XS_RSP INTRODUCE #" + rsp);
        } finally {
            sim.close();
        }
    }
}
