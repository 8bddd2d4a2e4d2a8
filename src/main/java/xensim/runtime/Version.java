package xensim.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The build's version, from {@code xensim/version.properties} (filtered by Maven). */
public final class Version {
    private static final String VERSION = load();

    private Version() {}

    public static String get() {
        return VERSION;
    }

    private static String load() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/xensim/version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException ignored) {
            // unknown
        }
        return p.getProperty("version", "unknown");
    }
}
