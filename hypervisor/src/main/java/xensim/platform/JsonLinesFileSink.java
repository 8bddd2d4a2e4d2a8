package xensim.platform;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/**
 * Writes each event as one JSON line to a file, through Logback: a per-run logger
 * ({@code xensim.events.<n>}, not additive) with an {@link AsyncAppender} that never drops and never
 * discards (queue full ⇒ the emitter blocks) in front of a {@link FileAppender} with an
 * {@link EventJsonEncoder} that serializes the events on the appender's thread. Per-run appenders
 * let many simulations log at once. Events go to Logback in batches of {@link #BATCH} (one logging
 * event each, in seq order; the last, shorter one at close): Logback's cost per logging event (the
 * event object, the queue's lock, waking the appender's thread) is then paid once per batch. The
 * file was never written event by event (a 256 KiB buffer, flushed when full and at close), so
 * what a reader of a running log sees is no later for it.
 */
public final class JsonLinesFileSink implements EventSink {
    private static final AtomicLong RUNS = new AtomicLong();

    private final Logger logger;
    private final AsyncAppender async;
    private final FileAppender<ILoggingEvent> file;

    public JsonLinesFileSink(Path path) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        String name = "xensim.events.run" + RUNS.incrementAndGet();

        EventJsonEncoder enc = new EventJsonEncoder();
        enc.setContext(ctx);
        enc.start();

        file = new FileAppender<>();
        file.setContext(ctx);
        file.setName(name + ".file");
        file.setFile(path.toString());
        file.setAppend(false);
        file.setImmediateFlush(false);
        file.setBufferSize(new ch.qos.logback.core.util.FileSize(256 * 1024));
        file.setEncoder(enc);
        file.start();

        async = new AsyncAppender();
        async.setContext(ctx);
        async.setName(name + ".async");
        async.setQueueSize(65536);
        async.setDiscardingThreshold(0);
        async.setNeverBlock(false);
        async.setMaxFlushTime(0); // on stop, wait for the whole queue
        async.addAppender(file);
        async.start();

        logger = ctx.getLogger(name);
        logger.setAdditive(false);
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        logger.addAppender(async);
    }

    /** Events per logging event. */
    static final int BATCH = 256;

    private Event[] batch = new Event[BATCH];
    private int batched;

    /** Called under the EventLog's lock (one thread at a time, in seq order). */
    @Override
    public void accept(Event event) {
        batch[batched++] = event;
        if (batched == BATCH) hand();
    }

    /** Hands the batch to Logback (the encoder writes its JSON on the appender's thread). */
    private void hand() {
        Event[] b = batch;
        if (batched < BATCH) b = java.util.Arrays.copyOf(b, batched);
        batch = new Event[BATCH];
        batched = 0;
        // no placeholder: Logback formats nothing here
        logger.info(MESSAGE, (Object) b);
    }

    private static final String MESSAGE = "events";

    @Override
    public void close() {
        if (batched > 0) hand();
        logger.detachAppender(async);
        async.stop();
        file.stop();
    }
}
