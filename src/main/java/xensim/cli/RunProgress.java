package xensim.cli;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import xensim.platform.Event;
import xensim.platform.EventSink;

/**
 * {@code run --guests N}'s progress bar (me.tongfei:progressbar, on stderr): guests finished
 * (DOMAIN_DESTROYED of a guest) out of N, and the violations so far (VIOLATION events). Shown only
 * for N &gt; 1, on a terminal, without {@code --no-progress}; otherwise nothing is printed. It only
 * reads events: the run is the same with or without it.
 */
final class RunProgress implements EventSink, AutoCloseable {
    private final ProgressBar bar;
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicInteger violations = new AtomicInteger();

    private RunProgress(ProgressBar bar) {
        this.bar = bar;
    }

    /** Whether a run shows the bar: more than one guest, a terminal, not --no-progress. */
    static boolean shows(int guests, boolean noProgress, boolean terminal) {
        return guests > 1 && !noProgress && terminal;
    }

    /** Whether this process talks to a terminal (System.console(): stdin and stdout are one). */
    static boolean onTerminal() {
        return System.console() != null;
    }

    /** The bar for {@code guests} guests, drawn on {@code err}; null when it is not to be shown. */
    static RunProgress start(int guests, boolean noProgress, boolean terminal, PrintStream err) {
        if (!shows(guests, noProgress, terminal)) return null;
        ProgressBar pb = new ProgressBarBuilder().setTaskName("guests").setInitialMax(guests).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250).setConsumer(new ConsoleProgressBarConsumer(err)).build();
        pb.setExtraMessage("violations: 0");
        return new RunProgress(pb);
    }

    /** The events {@link #accept} reads (the log builds no other for this sink). */
    @Override
    public boolean wants(String ev) {
        return switch (ev) {
            case "DOMAIN_DESTROYED", "VIOLATION" -> true;
            default -> false;
        };
    }

    @Override
    public void accept(Event e) {
        switch (e.ev()) {
            case "DOMAIN_DESTROYED" -> {
                if (e.dom() != 0) {
                    bar.stepTo(finished.incrementAndGet());
                    bar.setExtraMessage("violations: " + violations.get());
                }
            }
            case "VIOLATION" -> bar.setExtraMessage("violations: " + violations.incrementAndGet());
            default -> { }
        }
    }

    int finished() {
        return finished.get();
    }

    int violations() {
        return violations.get();
    }

    private boolean closed;

    /** Draws the last state and ends the bar's line (once; before the run's summary is printed). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        bar.close();
    }
}
