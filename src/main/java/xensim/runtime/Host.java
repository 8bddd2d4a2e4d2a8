package xensim.runtime;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import xensim.dom0.toolstack.GuestSpec;
import xensim.dom0.toolstack.Toolstack;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.dom0.xenstored.XenstoredCore;
import xensim.firmware.FirmwareActor;
import xensim.firmware.GuestMsg;
import xensim.nemesis.Nemesis;
import xensim.os.GuestOs;
import xensim.os.OsDone;
import xensim.platform.Seam;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * The root of one simulation: a Xen host (hypervisor, xenstored, toolstack with its backends)
 * and its guests, each a vCPU actor that runs the firmware and then the OS. Guests start
 * staggered; when a guest's OS is done the toolstack destroys it; when every guest is gone the
 * host completes {@code done} with the per-guest summaries. With a {@link Hold}, guests whose OS
 * is done stay up (idle, their xenstore connections and watches alive) until the hold is
 * released; then they are destroyed as above.
 */
public final class Host {
    private Host() {}

    public sealed interface Msg {}

    record StartGuest(int index) implements Msg {}

    record Created(Toolstack.Created c) implements Msg {}

    record Done(OsDone d) implements Msg {}

    record Destroyed(Toolstack.Destroyed d) implements Msg {}

    /** The nemesis's domain-destroy: the guest's vCPU stops and the toolstack destroys the domain. */
    record DestroyGuest(int domid) implements Msg {}

    /** {@link Hold#release}: destroy the guests kept up since their OS finished. */
    record Release() implements Msg {}

    /** A guest's line in the run summary. */
    public record GuestSummary(int index, int domid, String name, long createdAt, long handoffAt, long doneAt, int devices,
                               int connected, long ios, long verifyFailures, String xenstore, int deferredGrants,
                               int poisonCorrupted, int leakedGrants) {}

    public record Report(List<GuestSummary> guests) {}

    /** Hooks the host offers to the nemesis: the actors it may hit. */
    public record Parts(Seam seam, Hypervisor hypervisor, ActorRef<HypervisorActor.Command> hv,
                        ActorRef<XenstoredActor.Command> xenstored, ActorRef<Toolstack.Command> toolstack) {}

    public static Behavior<Msg> create(Seam seam, HostConfig cfg, CompletableFuture<Object> done) {
        return create(seam, cfg, done, null);
    }

    /** @param onParts called once the host's actors exist (the nemesis attaches here); may be null */
    public static Behavior<Msg> create(Seam seam, HostConfig cfg, CompletableFuture<Object> done,
                                       java.util.function.BiConsumer<Parts, ActorContext<Msg>> onParts) {
        return create(seam, cfg, done, onParts, null);
    }

    /** @param hold keeps finished guests up until released (run --hold); null: destroy them at once */
    public static Behavior<Msg> create(Seam seam, HostConfig cfg, CompletableFuture<Object> done,
                                       java.util.function.BiConsumer<Parts, ActorContext<Msg>> onParts, Hold hold) {
        return Behaviors.setup(ctx -> {
            Hypervisor core = new Hypervisor(seam.events());
            if (cfg.firmware().impl() == xensim.firmware.FirmwareImpl.OVMF_C) { // edk2's C drivers dereference guest-physical addresses
                core.setMemoryBacking((domid, dc) -> xensim.firmware.ovmfc.NativeRam.create(domid, dc.ramPages(), dc.maxGfn()));
            }
            ActorRef<HypervisorActor.Command> hv = ctx.spawn(HypervisorActor.create(seam, core, cfg.timing().evtchnNanos()), "hypervisor");
            XenstoredCore.Flavour flavour = XenstoredCore.Flavour.parse(cfg.xenstoredFlavour());
            XenstoredCore xsCore = new XenstoredCore(flavour, seam.events());
            xsCore.initDom0("Domain-0");
            ActorRef<XenstoredActor.Command> xs = ctx.spawn(XenstoredActor.create(seam, xsCore, hv, cfg.xenstoredTiming()), "xenstored");
            ActorRef<Toolstack.Command> ts = ctx.spawn(Toolstack.create(seam, hv, xs, cfg.xsResetWatchesFeature()), "toolstack");
            if (onParts != null) onParts.accept(new Parts(seam, core, hv, xs, ts), ctx);
            if (!cfg.faults().isEmpty()) {
                ActorRef<Msg> self = ctx.getSelf();
                ActorRef<Nemesis.Msg> nemesis = ctx.spawn(Nemesis.create(seam, cfg.faults(), new Nemesis.Targets(hv, xs, ts,
                        dom -> self.tell(new DestroyGuest(dom)), cfg.disksPerGuest())), "nemesis");
                seam.events().addSink(Nemesis.sink(cfg.faults(), nemesis));
            }
            java.util.Set<Integer> killed = new java.util.HashSet<>();
            ActorRef<Toolstack.Created> createdAdapter = ctx.messageAdapter(Toolstack.Created.class, Created::new);
            ActorRef<OsDone> doneAdapter = ctx.messageAdapter(OsDone.class, Done::new);
            ActorRef<Toolstack.Destroyed> destroyedAdapter = ctx.messageAdapter(Toolstack.Destroyed.class, Destroyed::new);
            Map<Integer, long[]> created = new TreeMap<>(); // domid -> {index, createdAt}
            Map<Integer, OsDone> osDone = new TreeMap<>();
            List<GuestSummary> summaries = new ArrayList<>();
            int[] remaining = {cfg.guests()};
            // workloads over (OS done, creation failed, or destroyed by the nemesis): the hold begins at all
            int[] ended = {0};
            boolean[] holding = {hold != null};
            java.util.Set<Integer> kept = new java.util.TreeSet<>();
            Runnable workloadEnded = () -> {
                if (++ended[0] == cfg.guests() && holding[0]) hold.reach();
            };
            if (hold != null) {
                ActorRef<Msg> self = ctx.getSelf();
                hold.onRelease(() -> self.tell(new Release()));
            }
            if (cfg.guests() == 0) {
                if (hold != null) hold.reach();
                else done.complete(new Report(List.of()));
            }
            for (int i = 0; i < cfg.guests(); i++) {
                if (i == 0) ctx.getSelf().tell(new StartGuest(0));
                else seam.deliverAfter(i * cfg.staggerNanos(), ctx.getSelf(), new StartGuest(i));
            }
            return Behaviors.receive(Msg.class)
                    .onMessage(StartGuest.class, m -> {
                        List<GuestSpec.Disk> disks = new ArrayList<>();
                        for (int d = 0; d < cfg.disksPerGuest(); d++) {
                            Path img = cfg.diskDir().resolve("guest" + m.index() + "-xvd" + (char) ('a' + d) + ".img");
                            BootDisk.create(img, cfg.diskSectors(), Seam.deriveSeed(seam.seed(), "disk/" + m.index() + "/" + d));
                            disks.add(new GuestSpec.Disk(51712 + 16 * d, img, false, cfg.latencyMeanNanos(), cfg.tailProbability(),
                                    cfg.tailFactor(), cfg.backendQueueDepth(), cfg.backendProfile()));
                        }
                        ts.tell(new Toolstack.Create(new GuestSpec("guest" + m.index(), cfg.ramPages(), disks), createdAdapter));
                        return Behaviors.same();
                    })
                    .onMessage(Created.class, m -> {
                        Toolstack.Created c = m.c();
                        if (c.error() != null) {
                            seam.events().event(0, "runtime", "GUEST_CREATE_FAILED").with("error", c.error()).emit();
                            workloadEnded.run();
                            if (--remaining[0] == 0 && !holding[0]) done.complete(new Report(summaries));
                            return Behaviors.same();
                        }
                        int index = Integer.parseInt(c.spec().name().substring("guest".length()));
                        created.put(c.domid(), new long[] {index, seam.nowNanos()});
                        ActorRef<GuestMsg> vcpu = ctx.spawn(FirmwareActor.create(seam, hv, c.domid(), c.memory(), cfg.firmware(),
                                h -> GuestOs.create(seam, h, cfg.os(), doneAdapter), cfg.timing()), "dom" + c.domid());
                        vcpu.tell(new GuestMsg.PowerOn());
                        return Behaviors.same();
                    })
                    .onMessage(DestroyGuest.class, m -> {
                        int dom = m.domid();
                        if (!created.containsKey(dom) || osDone.containsKey(dom) || !killed.add(dom)) return Behaviors.same();
                        ctx.getChild("dom" + dom).ifPresent(ctx::stop);
                        ts.tell(new Toolstack.Destroy(dom, destroyedAdapter));
                        return Behaviors.same();
                    })
                    .onMessage(Done.class, m -> {
                        if (killed.contains(m.d().domid())) return Behaviors.same();
                        osDone.put(m.d().domid(), m.d());
                        if (holding[0]) kept.add(m.d().domid()); // the OS idles until the hold is released
                        else ts.tell(new Toolstack.Destroy(m.d().domid(), destroyedAdapter));
                        workloadEnded.run();
                        return Behaviors.same();
                    })
                    .onMessage(Release.class, m -> {
                        if (!holding[0]) return Behaviors.same();
                        holding[0] = false;
                        for (int dom : kept) ts.tell(new Toolstack.Destroy(dom, destroyedAdapter));
                        kept.clear();
                        if (remaining[0] == 0) { // nobody was kept: every guest is gone already
                            summaries.sort(java.util.Comparator.comparingInt(GuestSummary::index));
                            done.complete(new Report(List.copyOf(summaries)));
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Destroyed.class, m -> {
                        int dom = m.d().domid();
                        OsDone d = osDone.get(dom);
                        long[] c = created.get(dom);
                        if (c == null) return Behaviors.same();
                        if (d == null) { // destroyed by the nemesis before its OS finished
                            workloadEnded.run();
                            summaries.add(new GuestSummary((int) c[0], dom, "guest" + c[0], c[1], -1, seam.nowNanos(), cfg.disksPerGuest(),
                                    0, 0, 0, "destroyed", 0, 0, m.d().leakedGrants()));
                        } else {
                            summaries.add(new GuestSummary((int) c[0], dom, "guest" + c[0], c[1], d.handoffNanos(), d.doneNanos(),
                                    d.devices(), d.connected(), d.ios(), d.verifyFailures(), d.xenstoreMethod(), d.deferredGrants(),
                                    d.poisonCorrupted(), m.d().leakedGrants()));
                        }
                        ctx.getChild("dom" + dom).ifPresent(ctx::stop);
                        if (--remaining[0] == 0 && !holding[0]) {
                            summaries.sort(java.util.Comparator.comparingInt(GuestSummary::index));
                            done.complete(new Report(List.copyOf(summaries)));
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
