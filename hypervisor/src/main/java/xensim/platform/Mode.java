package xensim.platform;

import java.util.Locale;

/** Runtime mode of a simulation (DESIGN.md §5). */
public enum Mode {
    /** One thread, virtual clock: same seed, same run, byte for byte. */
    DETERMINISTIC,
    /** Akka's default dispatcher and real time: races are real. */
    THREADED;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Mode parse(String s) {
        for (Mode m : values()) if (m.cliName().equals(s)) return m;
        throw new IllegalArgumentException("unknown mode '" + s + "' (expected deterministic or threaded)");
    }
}
