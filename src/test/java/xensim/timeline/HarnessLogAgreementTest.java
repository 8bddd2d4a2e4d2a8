package xensim.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import xensim.check.Invariant;
import xensim.platform.EventLog;
import xensim.platform.Mode;
import xensim.platform.Seam;
import xensim.runtime.RunResult;
import xensim.runtime.RunSpec;
import xensim.runtime.Simulation;

/**
 * The whole path a real run takes: events emitted inside an actor system with virtual time, the
 * online checker as a sink, events.jsonl written through Logback's async appender, RUN_BEGIN and
 * RUN_END by the harness — then {@code timeline --check}'s analysis of that file must reach the
 * run's own verdict.
 */
class HarnessLogAgreementTest {
    record Step(int i) {}

    static Behavior<Step> replay(Seam seam, CompletableFuture<Object> done, List<RandomStreams.Spec> specs) {
        return Behaviors.setup(ctx -> {
            ctx.getSelf().tell(new Step(0));
            return Behaviors.receiveMessage(s -> {
                if (s.i() == specs.size()) {
                    done.complete("replayed " + specs.size());
                    return Behaviors.same();
                }
                RandomStreams.Spec sp = specs.get(s.i());
                EventLog.Builder b = seam.events().event(sp.dom(), sp.comp(), sp.ev());
                sp.fields().forEach(b::with);
                b.emit();
                seam.deliverAfter(sp.dt(), ctx.getSelf(), new Step(s.i() + 1));
                return Behaviors.same();
            });
        });
    }

    @Test
    void theOfflineVerdictOfAHarnessWrittenLogIsTheRunsVerdict(@TempDir Path dir) throws Exception {
        int violated = 0;
        for (long seed = 1; seed <= 12; seed++) {
            List<RandomStreams.Spec> specs = RandomStreams.generate(seed * 7919, RandomStreams.Shape.CONTRACT);
            RunResult run = Simulation.run(new RunSpec(seed, Mode.DETERMINISTIC, "exit-callback", "replay", dir.resolve("r" + seed), 1.0, 30_000),
                    (seam, done) -> replay(seam, done, specs));
            Set<String> online = new LinkedHashSet<>();
            for (Invariant i : run.verdict()) online.add(i.name());
            if (!online.isEmpty()) violated++;
            TimelineAnalysis.Result r = TimelineAnalysis.analyse(run.eventsFile(), TimelineAnalysis.Options.checkOnly());
            assertEquals(0, r.warningCount(), r.warnings().toString());
            assertEquals(run.events(), r.run().events(), "every event reached the file");
            assertEquals(online, new LinkedHashSet<>(r.checker().verdict()), "seed " + seed);
            assertEquals(online, r.run().onlineVerdict(), "RUN_END's verdict read back");
            assertTrue(r.agrees());
            assertEquals(seed, ((Number) r.run().begin().get("seed")).longValue());
        }
        assertTrue(violated > 0, "some runs violate something");
    }
}
