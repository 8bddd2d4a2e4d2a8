package xensim.firmware.ebs;

import java.util.List;

/** The six designs by name (what {@code --strategy} accepts). */
public final class Strategies {
    private Strategies() {}

    public static final List<String> NAMES = List.of("disconnect", "naive-reset", "exit-callback", "refcount", "bus-tracks", "before-ebs");

    /** A fresh instance (designs keep per-guest state); IllegalArgumentException for an unknown name. */
    public static EbsStrategy create(String name) {
        return switch (name) {
            case "disconnect" -> new Disconnect();
            case "naive-reset" -> new NaiveReset();
            case "exit-callback" -> new ExitCallback();
            case "refcount" -> new Refcount();
            case "bus-tracks" -> new BusTracks();
            case "before-ebs" -> new BeforeEbs();
            default -> throw new IllegalArgumentException("unknown strategy '" + name + "' (expected one of " + String.join(", ", NAMES) + ")");
        };
    }
}
