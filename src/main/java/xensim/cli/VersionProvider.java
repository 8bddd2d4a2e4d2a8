package xensim.cli;

import picocli.CommandLine.IVersionProvider;

/** Reads the build's version from {@code xensim/version.properties} (filtered by Maven). */
public final class VersionProvider implements IVersionProvider {

    public static String version() {
        return xensim.runtime.Version.get();
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "xensim " + version(),
            "Akka " + akka.Version.current() + ", Java " + System.getProperty("java.version"),
        };
    }
}
