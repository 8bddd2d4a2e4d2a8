package xensim.platform;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The events file's Logback encoder: a logging event whose argument is an {@link Event} becomes
 * that event's JSON line, written by Jackson straight to UTF-8 bytes. It runs on the appender's
 * own thread (behind the AsyncAppender), so the simulation thread only hands the event over; any
 * other logging event is written as its message. One encoder per file; Logback calls it from one
 * thread at a time (the appender's lock).
 */
final class EventJsonEncoder extends EncoderBase<ILoggingEvent> {
    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] NONE = new byte[0];

    private final ByteArrayBuilder buf = new ByteArrayBuilder(512);

    @Override
    public byte[] headerBytes() {
        return NONE;
    }

    @Override
    public byte[] encode(ILoggingEvent le) {
        Object[] args = le.getArgumentArray();
        if (args != null && args.length == 1 && args[0] instanceof Event e) {
            buf.reset();
            try (JsonGenerator g = JSON.createGenerator(buf, JsonEncoding.UTF8)) {
                e.writeJson(g);
            } catch (IOException x) {
                throw new UncheckedIOException(x);
            }
            buf.write('\n');
            return buf.toByteArray();
        }
        return (le.getFormattedMessage() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] footerBytes() {
        return NONE;
    }
}
