package xensim.platform;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;

/**
 * The events file's Logback encoder: a logging event whose argument is an {@link Event}, or a
 * batch of them (an {@code Event[]}, from {@link JsonLinesFileSink}), becomes those events' JSON
 * lines, written by {@link JsonLineWriter} straight to UTF-8 bytes (Jackson's bytes: the writer
 * hands Jackson whatever it does not write itself). It runs on the appender's own thread (behind
 * the AsyncAppender), so the simulation thread only hands the events over; any other logging event
 * is written as its message. One encoder per file; Logback calls it from one thread at a time (the
 * appender's lock).
 */
final class EventJsonEncoder extends EncoderBase<ILoggingEvent> {
    private static final byte[] NONE = new byte[0];

    private final JsonLineWriter out = new JsonLineWriter(64 * 1024);

    @Override
    public byte[] headerBytes() {
        return NONE;
    }

    @Override
    public byte[] encode(ILoggingEvent le) {
        Object[] args = le.getArgumentArray();
        if (args != null && args.length == 1 && (args[0] instanceof Event || args[0] instanceof Event[])) {
            out.reset();
            if (args[0] instanceof Event e) {
                out.line(e);
            } else {
                for (Event e : (Event[]) args[0]) {
                    if (e == null) break; // a batch's unused tail
                    out.line(e);
                }
            }
            return out.toByteArray();
        }
        return (le.getFormattedMessage() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] footerBytes() {
        return NONE;
    }
}
