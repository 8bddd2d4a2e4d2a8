package xensim.dom0.console;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import xensim.abi.GrantTableAbi;
import xensim.abi.PageBytes;
import xensim.abi.XenconsInterface;
import xensim.platform.Seam;
import xensim.xen.GrantMappingFault;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * The PV console backend (xenconsoled's part): maps the guest's console page (grant ref
 * GNTTAB_RESERVED_CONSOLE), binds the console event channel, and on every kick drains the
 * {@code xencons_interface} out-ring, logging each complete line as a CONSOLE event.
 */
public final class ConsoleBackend {
    private ConsoleBackend() {}

    public sealed interface Command {}

    /** Unmaps and stops; {@code replyTo} hears once the unmap has been sent to the hypervisor. */
    public record Shutdown(ActorRef<Stopped> replyTo) implements Command {}

    public record Stopped(int domid) {}

    private record Mapped(Hypervisor.GrantMapped g) implements Command {}

    private record Bound(Hypervisor.EvtchnPort p) implements Command {}

    private record Kick() implements Command {}

    public static Behavior<Command> create(Seam seam, int domid, int guestPort, ActorRef<HypervisorActor.Command> hv) {
        return Behaviors.setup(ctx -> {
            PageBytes[] page = new PageBytes[1];
            int[] handle = {-1};
            int[] localPort = {-1};
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            hv.tell(new HypervisorActor.MapGrantRef(0, domid, GrantTableAbi.GNTTAB_RESERVED_CONSOLE, false,
                    ctx.messageAdapter(Hypervisor.GrantMapped.class, Mapped::new)));
            hv.tell(new HypervisorActor.EvtchnBindInterdomain(0, domid, guestPort,
                    ctx.messageAdapter(Hypervisor.EvtchnPort.class, Bound::new)));
            Runnable drain = () -> {
                if (page[0] == null) return;
                byte[] out;
                try {
                    out = XenconsInterface.drainOut(page[0]);
                } catch (GrantMappingFault e) {
                    return;
                }
                if (out == null) {
                    seam.events().event(domid, "console", "CONSOLE_ERROR").with("detail", "bad out-ring indexes").emit();
                    return;
                }
                for (byte b : out) {
                    if (b == '\n') {
                        seam.events().event(domid, "console", "CONSOLE").with("line", line.toString(StandardCharsets.UTF_8)).emit();
                        line.reset();
                    } else if (b != '\r' && line.size() < 4096) {
                        line.write(b);
                    }
                }
            };
            return Behaviors.receive(Command.class)
                    .onMessage(Mapped.class, m -> {
                        if (m.g().status() == GrantTableAbi.GNTST_okay) {
                            page[0] = m.g().mapping();
                            handle[0] = m.g().handle();
                            drain.run();
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Bound.class, m -> {
                        if (m.p().rc() == 0) {
                            localPort[0] = m.p().port();
                            hv.tell(new HypervisorActor.BindUpcall(0, localPort[0],
                                    ctx.messageAdapter(HypervisorActor.EvtchnUpcall.class, u -> new Kick()), null));
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Kick.class, m -> {
                        drain.run();
                        return Behaviors.same();
                    })
                    .onMessage(Shutdown.class, m -> {
                        drain.run();
                        if (line.size() > 0) {
                            seam.events().event(domid, "console", "CONSOLE").with("line", line.toString(StandardCharsets.UTF_8)).emit();
                        }
                        if (handle[0] >= 0) hv.tell(new HypervisorActor.UnmapGrantRef(0, handle[0], null));
                        if (localPort[0] > 0) hv.tell(new HypervisorActor.EvtchnClose(0, localPort[0], null));
                        if (m.replyTo() != null) m.replyTo().tell(new Stopped(domid));
                        return Behaviors.stopped();
                    })
                    .build();
        });
    }
}
