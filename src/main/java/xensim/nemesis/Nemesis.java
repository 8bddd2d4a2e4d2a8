package xensim.nemesis;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import xensim.dom0.blkback.BlkbackActor;
import xensim.dom0.toolstack.Toolstack;
import xensim.dom0.xenstored.XenstoredActor;
import xensim.platform.EventSink;
import xensim.platform.Seam;
import xensim.xen.Hypervisor;
import xensim.xen.HypervisorActor;

/**
 * The nemesis: injects the configured {@link Fault}s into a running host. It watches the event
 * stream through a cheap {@link EventSink} (which only forwards the few events its triggers need,
 * as messages, so it never emits from inside another component's emission) and acts as an actor,
 * so in deterministic mode every injection happens at a reproducible point. Every injection is a
 * FAULT_INJECTED event (comp {@code nemesis}); a fault whose target does not exist when it fires is
 * a FAULT_SKIPPED event. Faults hit the simulated system only: the hypervisor, xenstored, the
 * backends and the toolstack take them through their own fault hooks.
 */
public final class Nemesis {
    private Nemesis() {}

    public sealed interface Msg {}

    /** A forwarded event: what it was, the guest domain it concerns, and (DOMAIN_CREATED) the guest's name. */
    record Observed(String ev, int dom, String name) implements Msg {}

    /** A time trigger comes due. */
    record Fire(int fault) implements Msg {}

    record GotBlkback(Toolstack.BlkbackRef ref) implements Msg {}

    /** The actors a fault can hit. {@code destroyGuest} asks the host to destroy a domain. */
    public record Targets(ActorRef<HypervisorActor.Command> hypervisor, ActorRef<XenstoredActor.Command> xenstored,
                          ActorRef<Toolstack.Command> toolstack, IntConsumer destroyGuest, int disksPerGuest) {}

    private static final String COMP = "nemesis";

    /** The sink that feeds the nemesis the events its faults' triggers need. */
    public static EventSink sink(List<Fault> faults, ActorRef<Msg> nemesis) {
        Set<String> wanted = new HashSet<>(List.of("DOMAIN_CREATED", "DOMAIN_DESTROYED"));
        for (Fault f : faults) {
            if (f.trigger() instanceof Fault.AtEvent a) wanted.add(a.ev());
            if (f.trigger() instanceof Fault.AfterRequests) wanted.add("RING_REQ");
            if (f.trigger() instanceof Fault.WithProbability) wanted.add(opportunity(f.kind()));
        }
        return EventSink.only(wanted, e -> {
            int dom = e.dom();
            if (dom == 0 && e.ev().equals("EVTCHN_SEND") && e.get("remoteDom") instanceof Number n) dom = n.intValue();
            if (dom == 0 && !e.ev().equals("XS_REQ")) return;
            nemesis.tell(new Observed(e.ev(), dom, e.ev().equals("DOMAIN_CREATED") ? e.getString("name") : null));
        });
    }

    /** The event that is one opportunity for a probability trigger of this kind. */
    static String opportunity(Fault.Kind k) {
        return switch (k) {
            case EVTCHN_DROP, EVTCHN_DUP, EVTCHN_DELAY -> "EVTCHN_SEND";
            case GRANT_MAP_EAGAIN -> "GRANT_MAP";
            case XENSTORED_RESTART -> "XS_REQ";
            default -> "RING_REQ";
        };
    }

    public static Behavior<Msg> create(Seam seam, List<Fault> faults, Targets targets) {
        return Behaviors.setup(ctx -> {
            Map<Integer, Integer> guestOfDom = new TreeMap<>();  // domid -> guest index
            Set<Integer> gone = new HashSet<>();
            Map<Integer, Long> requests = new HashMap<>();      // domid -> RING_REQs so far
            int[] fired = new int[faults.size()];
            List<java.util.random.RandomGenerator> dice = new ArrayList<>();
            for (int i = 0; i < faults.size(); i++) dice.add(seam.random("nemesis/" + i));
            ArrayDeque<Consumer<ActorRef<BlkbackActor.Command>>> blkbackWaiters = new ArrayDeque<>();
            ActorRef<Toolstack.BlkbackRef> blkbackAdapter = ctx.messageAdapter(Toolstack.BlkbackRef.class, GotBlkback::new);
            for (int i = 0; i < faults.size(); i++) {
                if (faults.get(i).trigger() instanceof Fault.AtTime t) seam.deliverAfter(t.nanos(), ctx.getSelf(), new Fire(i));
            }

            class Injector {
                void inject(int index, int dom) {
                    Fault f = faults.get(index);
                    fired[index]++;
                    var ev = seam.events().event(dom, COMP, "FAULT_INJECTED").with("kind", f.kind().cliName())
                            .with("trigger", f.trigger().text()).with("fault", f.text());
                    if (guestOfDom.containsKey(dom)) ev.with("guest", guestOfDom.get(dom));
                    ev.emit();
                    switch (f.kind()) {
                        case BACKEND_CRASH -> blkbacks(f, dom, b -> b.tell(new BlkbackActor.Crash()));
                        case BACKEND_STALL -> {
                            long ns = f.nanos("duration", 5_000_000);
                            blkbacks(f, dom, b -> b.tell(new BlkbackActor.Stall(ns)));
                        }
                        case BACKEND_SLOW -> {
                            double factor = f.number("factor", 10);
                            blkbacks(f, dom, b -> b.tell(new BlkbackActor.SlowDown(factor)));
                        }
                        case RING_CORRUPT -> {
                            xensim.dom0.blkback.RingCorruption what = xensim.dom0.blkback.RingCorruption.valueOf(f.what().toUpperCase(java.util.Locale.ROOT));
                            blkbacks(f, dom, b -> b.tell(new BlkbackActor.CorruptRing(what)));
                        }
                        case XENSTORED_RESTART -> targets.xenstored().tell(new XenstoredActor.Restart(f.nanos("duration", 5_000_000)));
                        case EVTCHN_DROP, EVTCHN_DUP, EVTCHN_DELAY -> {
                            Hypervisor.EvtchnFault kind = switch (f.kind()) {
                                case EVTCHN_DROP -> Hypervisor.EvtchnFault.DROP;
                                case EVTCHN_DUP -> Hypervisor.EvtchnFault.DUP;
                                default -> Hypervisor.EvtchnFault.DELAY;
                            };
                            targets.hypervisor().tell(new HypervisorActor.InjectEvtchnFault(dom, kind, f.count("count", 1),
                                    f.nanos("delay", 1_000_000), null));
                        }
                        case GRANT_MAP_EAGAIN -> targets.hypervisor().tell(new HypervisorActor.InjectGrantMapEagain(dom, f.count("count", 1), null));
                        case DOMAIN_DESTROY -> targets.destroyGuest().accept(dom);
                        case BACKEND_LOST_WRITES -> {
                            int count = f.count("count", Integer.MAX_VALUE);
                            blkbacks(f, dom, b -> b.tell(new BlkbackActor.PlantDefect(xensim.dom0.blkback.BackendDefect.LOST_WRITES, count)));
                        }
                        case BACKEND_RESPOND_BEFORE_UNMAP -> {
                            int count = f.count("count", Integer.MAX_VALUE);
                            blkbacks(f, dom, b -> b.tell(new BlkbackActor.PlantDefect(xensim.dom0.blkback.BackendDefect.RESPOND_BEFORE_UNMAP, count)));
                        }
                    }
                }

                void blkbacks(Fault f, int dom, Consumer<ActorRef<BlkbackActor.Command>> action) {
                    for (int d = 0; d < targets.disksPerGuest(); d++) {
                        if (f.disk() != Fault.ALL && f.disk() != d) continue;
                        blkbackWaiters.add(b -> {
                            if (b != null) action.accept(b);
                        });
                        targets.toolstack().tell(new Toolstack.GetBlkback(dom, 51712 + 16 * d, blkbackAdapter));
                    }
                }

                /** Fires fault {@code index} on every live guest it targets (xenstored-restart: once). */
                void fireOnTargets(int index) {
                    Fault f = faults.get(index);
                    List<Integer> doms = new ArrayList<>();
                    for (Map.Entry<Integer, Integer> g : guestOfDom.entrySet()) {
                        if (!gone.contains(g.getKey()) && f.targets(g.getValue())) doms.add(g.getKey());
                    }
                    if (doms.isEmpty()) {
                        seam.events().event(0, COMP, "FAULT_SKIPPED").with("kind", f.kind().cliName()).with("fault", f.text())
                                .with("reason", f.guest() == Fault.ALL ? "no live guest" : "guest " + f.guest() + " is not running").emit();
                        return;
                    }
                    if (f.kind() == Fault.Kind.XENSTORED_RESTART) doms = doms.subList(0, 1);
                    for (int dom : doms) inject(index, dom);
                }
            }
            Injector inj = new Injector();

            return Behaviors.receive(Msg.class)
                    .onMessage(Fire.class, m -> {
                        inj.fireOnTargets(m.fault());
                        return Behaviors.same();
                    })
                    .onMessage(GotBlkback.class, m -> {
                        Consumer<ActorRef<BlkbackActor.Command>> k = blkbackWaiters.poll();
                        if (k != null) k.accept(m.ref().ref());
                        return Behaviors.same();
                    })
                    .onMessage(Observed.class, m -> {
                        int dom = m.dom();
                        switch (m.ev()) {
                            case "DOMAIN_CREATED" -> {
                                if (m.name() != null && m.name().startsWith("guest")) {
                                    try {
                                        guestOfDom.put(dom, Integer.parseInt(m.name().substring("guest".length())));
                                    } catch (NumberFormatException e) {
                                        // a guest not named by the host: no fault targets it by index
                                    }
                                }
                                return Behaviors.same();
                            }
                            case "DOMAIN_DESTROYED" -> {
                                gone.add(dom);
                                return Behaviors.same();
                            }
                            default -> { }
                        }
                        Integer guest = guestOfDom.get(dom);
                        if (guest == null || gone.contains(dom)) return Behaviors.same();
                        long reqs = m.ev().equals("RING_REQ") ? requests.merge(dom, 1L, Long::sum) : 0;
                        for (int i = 0; i < faults.size(); i++) {
                            Fault f = faults.get(i);
                            if (!f.targets(guest)) continue;
                            if (f.trigger() instanceof Fault.AtEvent a && a.ev().equals(m.ev())) {
                                inj.inject(i, dom);
                            } else if (f.trigger() instanceof Fault.AfterRequests r && m.ev().equals("RING_REQ") && reqs == r.n()) {
                                inj.inject(i, dom);
                            } else if (f.trigger() instanceof Fault.WithProbability p && m.ev().equals(opportunity(f.kind()))
                                    && fired[i] < f.count("max", Integer.MAX_VALUE) && dice.get(i).nextDouble() < p.p()) {
                                inj.inject(i, dom);
                            }
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    /** For tests and the CLI: parses every fault, collecting the first error. */
    public static List<Fault> parseAll(List<String> texts) {
        List<Fault> out = new ArrayList<>();
        for (String t : texts) out.add(Fault.parse(t));
        return out;
    }
}
