package xensim.platform;

import akka.dispatch.DispatcherPrerequisites;
import akka.dispatch.ExecutorServiceConfigurator;
import akka.dispatch.ExecutorServiceFactory;
import com.typesafe.config.Config;
import java.util.concurrent.ThreadFactory;

/**
 * Akka dispatcher executor for deterministic mode: hands Akka the ActorSystem's own
 * {@link VirtualTimeExecutor}, found in the system's {@link VirtualTimeSetup}. Set as
 * {@code akka.actor.default-dispatcher.executor}.
 */
public final class VirtualTimeExecutorConfigurator extends ExecutorServiceConfigurator {
    private final VirtualTimeExecutor executor;

    public VirtualTimeExecutorConfigurator(Config config, DispatcherPrerequisites prerequisites) {
        super(config, prerequisites);
        this.executor = prerequisites.settings().setup().get(VirtualTimeSetup.class)
                .orElseThrow(() -> new IllegalStateException(
                        "deterministic dispatcher needs a VirtualTimeSetup in the ActorSystemSetup"))
                .executor();
    }

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
        return () -> executor;
    }
}
