package xensim.firmware.ebs;

import java.util.List;

/** The six designs by name (what {@code --strategy} accepts). */
public final class Strategies {
    private Strategies() {}

    public static final List<String> NAMES = List.of("disconnect", "naive-reset", "exit-callback", "refcount", "bus-tracks", "before-ebs");

    /** Designs registered besides the six (test fixtures: planted bugs); never part of {@code all}. */
    private static final java.util.Map<String, java.util.function.Supplier<EbsStrategy>> EXTRA = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Registers another design by name, so runs, explore and shrink can select it like the six
     * (planted-bug fixtures in tests). {@code all} still means the six.
     */
    public static void register(String name, java.util.function.Supplier<EbsStrategy> factory) {
        if (NAMES.contains(name)) throw new IllegalArgumentException("'" + name + "' is one of the six designs");
        EXTRA.put(name, factory);
    }

    /** Whether {@code name} selects a design (one of the six or a registered one). */
    public static boolean known(String name) {
        return NAMES.contains(name) || EXTRA.containsKey(name);
    }

    /** A fresh instance (designs keep per-guest state); IllegalArgumentException for an unknown name. */
    public static EbsStrategy create(String name) {
        return switch (name) {
            case "disconnect" -> new Disconnect();
            case "naive-reset" -> new NaiveReset();
            case "exit-callback" -> new ExitCallback();
            case "refcount" -> new Refcount();
            case "bus-tracks" -> new BusTracks();
            case "before-ebs" -> new BeforeEbs();
            default -> {
                java.util.function.Supplier<EbsStrategy> extra = EXTRA.get(name);
                if (extra != null) yield extra.get();
                throw new IllegalArgumentException("unknown strategy '" + name + "' (expected one of " + String.join(", ", NAMES) + ")");
            }
        };
    }
}
