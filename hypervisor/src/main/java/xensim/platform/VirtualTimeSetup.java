package xensim.platform;

import akka.actor.setup.Setup;

/** Carries one simulation's {@link VirtualTimeExecutor} into its ActorSystem (no statics). */
public final class VirtualTimeSetup extends Setup {
    private final VirtualTimeExecutor executor;

    public VirtualTimeSetup(VirtualTimeExecutor executor) {
        this.executor = executor;
    }

    public VirtualTimeExecutor executor() {
        return executor;
    }
}
