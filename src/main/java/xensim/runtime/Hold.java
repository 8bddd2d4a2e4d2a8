package xensim.runtime;

import java.util.concurrent.CompletableFuture;

/**
 * {@code run --hold}: the host and its guests stay up after the guests' workloads end — each OS
 * idles on its xenstore connection, xenstored keeps serving its socket — until {@link #release}.
 * Then the guests are destroyed and the run ends as it would have without the hold. While held
 * the run is not over: a deterministic executor with nothing to do waits for the socket's next
 * request instead of ending QUIESCED, and the wall-time limit does not run.
 */
public final class Hold {
    private final CompletableFuture<Void> reached = new CompletableFuture<>();
    private volatile Runnable onRelease;
    private volatile boolean released;

    /** Completes when every guest's workload has ended and the host is being held. */
    public CompletableFuture<Void> reached() {
        return reached;
    }

    /** True while the host is held: the workloads are over and nobody has released it yet. */
    public boolean holding() {
        return reached.isDone() && !released;
    }

    public boolean released() {
        return released;
    }

    /** Ends the hold (from any thread; the first call counts). */
    public synchronized void release() {
        if (released) return;
        Runnable r = onRelease;
        if (r != null) r.run(); // tell the host before the harness sees the hold end
        released = true;
    }

    /** The host: what to do on release (runs on the releasing thread; tell an actor). */
    synchronized void onRelease(Runnable r) {
        onRelease = r;
        if (released) r.run();
    }

    void reach() {
        reached.complete(null);
    }
}
