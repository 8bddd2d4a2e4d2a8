package xensim.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ends a command that runs until stopped ({@code xenstored}, {@code run --hold}) cleanly on
 * SIGTERM or SIGINT (Ctrl-C): the JVM's shutdown hook releases the command's {@code stop} latch,
 * waits for the command to finish its own cleanup (socket file removed, log closed, summary
 * printed) and then ends the process with the command's exit code instead of the signal's
 * 143/130. Harness code, not simulation code: it waits on wall time.
 */
final class SignalStop implements AutoCloseable {
    /** How long the hook waits for the command to finish before letting the JVM go anyway. */
    static final long FINISH_WAIT_SECONDS = 120;

    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;
    private volatile int exitCode = Main.EXIT_INTERNAL;

    private SignalStop(CountDownLatch stop) {
        hook = new Thread(() -> {
            stop.countDown();
            try {
                if (finished.await(FINISH_WAIT_SECONDS, TimeUnit.SECONDS)) Runtime.getRuntime().halt(exitCode);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "xensim-signal-stop");
    }

    /** Installs the hook; {@link #close} removes it when the command ends by itself. */
    static SignalStop install(CountDownLatch stop) {
        SignalStop s = new SignalStop(stop);
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    /** The command is done (everything written and flushed) and ends with {@code code}. */
    void finished(int code) {
        exitCode = code;
        finished.countDown();
    }

    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it ends the process with exitCode
        }
    }
}
