package xensim.scenario;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import xensim.dom0.blkback.BlkbackProfile;
import xensim.dom0.xenstored.XenstoredCore;
import xensim.dom0.xenstored.XenstoredTiming;
import xensim.platform.Timing;
import xensim.firmware.FirmwareConfig;
import xensim.firmware.uefi.EbsOrder;
import xensim.firmware.uefi.Edk2Version;
import xensim.firmware.pvblk.FirmwareIo;
import xensim.firmware.DesignCatalog;
import xensim.nemesis.Fault;
import xensim.os.OsConfig;
import xensim.platform.Mode;
import xensim.runtime.HostConfig;
import xensim.timeline.VirtualTime;

/**
 * A scenario: everything a run needs besides its output folder, read from a HOCON file over the
 * defaults in {@code reference.conf} (section {@code xensim}). Every setting is checked here, so
 * a bad file fails before the run with {@link ScenarioException}: the file, the line, the key and
 * what was expected.
 */
public record Scenario(String name, long seed, Mode mode, String strategy, String flavour, int guests, long staggerNanos,
                       int memoryPages, int disks, long diskBytes, int firmwareQueueDepth, int ioBeforeEbs,
                       boolean bootRecordWrite, int ioAfterEbs, boolean resetState, long latencyMeanNanos,
                       double tailProbability, double tailFactor, int backendQueueDepth, List<Fault> faults,
                       BlkbackProfile backendProfile, FirmwareIo firmwareIo, Edk2Version edk2, EbsOrder ebsOrder,
                       Timing timing, XenstoredTiming xenstoredTiming, boolean xsResetWatches, DesignCatalog designs,
                       xensim.firmware.FirmwareImpl firmwareImpl, List<Path> ovmfPatches) {

    public Scenario {
        if (timing == null) timing = Timing.DEFAULTS;
        if (xenstoredTiming == null) xenstoredTiming = XenstoredTiming.DEFAULTS;
        if (designs == null) designs = DesignCatalog.builtIn();
        if (firmwareImpl == null) firmwareImpl = xensim.firmware.FirmwareImpl.MODEL;
        ovmfPatches = ovmfPatches == null ? List.of() : List.copyOf(ovmfPatches);
    }

    /** The Java drivers ({@code firmware.drivers = model}). */
    public Scenario(String name, long seed, Mode mode, String strategy, String flavour, int guests, long staggerNanos,
                    int memoryPages, int disks, long diskBytes, int firmwareQueueDepth, int ioBeforeEbs,
                    boolean bootRecordWrite, int ioAfterEbs, boolean resetState, long latencyMeanNanos,
                    double tailProbability, double tailFactor, int backendQueueDepth, List<Fault> faults,
                    BlkbackProfile backendProfile, FirmwareIo firmwareIo, Edk2Version edk2, EbsOrder ebsOrder,
                    Timing timing, XenstoredTiming xenstoredTiming, boolean xsResetWatches, DesignCatalog designs) {
        this(name, seed, mode, strategy, flavour, guests, staggerNanos, memoryPages, disks, diskBytes, firmwareQueueDepth, ioBeforeEbs,
                bootRecordWrite, ioAfterEbs, resetState, latencyMeanNanos, tailProbability, tailFactor, backendQueueDepth, faults,
                backendProfile, firmwareIo, edk2, ebsOrder, timing, xenstoredTiming, xsResetWatches, designs, xensim.firmware.FirmwareImpl.MODEL,
                List.of());
    }

    /** The same scenario with other firmware drivers ({@code --firmware}, {@code --ovmf-patch}). */
    public Scenario withFirmware(xensim.firmware.FirmwareImpl impl, List<Path> patches) {
        return new Scenario(name, seed, mode, strategy, flavour, guests, staggerNanos, memoryPages, disks, diskBytes, firmwareQueueDepth,
                ioBeforeEbs, bootRecordWrite, ioAfterEbs, resetState, latencyMeanNanos, tailProbability, tailFactor, backendQueueDepth,
                faults, backendProfile, firmwareIo, edk2, ebsOrder, timing, xenstoredTiming, xsResetWatches, designs, impl, patches);
    }

    /**
     * The behaviours that differ between real versions, as (scenario key, value): written to
     * RUN_BEGIN and to every replay line.
     */
    public Map<String, String> profiles() {
        Map<String, String> p = new java.util.LinkedHashMap<>();
        p.put("backend.profile", backendProfile.cliName());
        p.put("guests.firmware-io", firmwareIo.cliName());
        p.put("xenstored.flavour", flavour);
        p.put("firmware.edk2", edk2.cliName());
        return p;
    }

    /** What RUN_BEGIN records: the profiles, then the EBS notify order mode ({@code firmware.ebs-order}). */
    public Map<String, String> runBegin() {
        Map<String, String> p = profiles();
        p.put("firmware.ebs-order", ebsOrder.cliName());
        p.put("toolstack.xs-reset-watches", xsResetWatches ? "on" : "off");
        p.put("firmware.drivers", firmwareImpl.cliName());
        if (!ovmfPatches.isEmpty()) p.put("firmware.ovmf-patches", String.join(",", ovmfPatchHashes()));
        return p;
    }

    /** The sha256 of each {@code --ovmf-patch} file, in order (unreadable: "unreadable"). */
    public List<String> ovmfPatchHashes() {
        List<String> out = new ArrayList<>();
        for (Path f : ovmfPatches) {
            try {
                out.add(xensim.firmware.ovmfc.OvmfBuild.sha256(Files.readAllBytes(f)));
            } catch (java.io.IOException e) {
                out.add("unreadable");
            }
        }
        return out;
    }

    /** A bad scenario: the message names the file, the line, the key and what was expected. */
    public static final class ScenarioException extends Exception {
        public ScenarioException(String message) {
            super(message);
        }
    }

    /** The defaults alone (no file). */
    public static Scenario defaults() {
        try {
            return load(null, Map.of());
        } catch (ScenarioException e) {
            throw new IllegalStateException("reference.conf is broken: " + e.getMessage(), e);
        }
    }

    /**
     * Reads {@code file} (or nothing, when null) over the defaults, with {@code overrides} (keys
     * under {@code xensim}, e.g. {@code strategy}; from the command line) over both.
     */
    public static Scenario load(Path file, Map<String, Object> overrides) throws ScenarioException {
        Config parsed = file == null ? ConfigFactory.empty() : parseFile(file);
        Map<String, Object> flags = new java.util.LinkedHashMap<>();
        overrides.forEach((k, v) -> flags.put("xensim." + k, v));
        Config over = ConfigFactory.parseMap(flags, COMMAND_LINE);
        return from(over.withFallback(parsed), file == null ? "(defaults)" : file.toString());
    }

    /**
     * As {@link #load(Path, Map)}, from a scenario file's text ({@code text} null: no file) named
     * {@code file} (its name for messages, the default {@code xensim.name} and relative paths): how a
     * cluster worker reads the scenario its work item carries.
     */
    public static Scenario load(String text, String file, Map<String, Object> overrides) throws ScenarioException {
        Config parsed = ConfigFactory.empty();
        if (text != null) {
            try {
                parsed = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setOriginDescription(file));
            } catch (ConfigException e) {
                throw new ScenarioException("scenario " + file + ": " + describe(e, file));
            }
            String dflt = Path.of(file).getFileName().toString().replaceFirst("\\.conf$", "");
            if (!parsed.hasPath("xensim.name")) parsed = parsed.withFallback(ConfigFactory.parseMap(Map.of("xensim.name", dflt)));
        }
        Map<String, Object> flags = new java.util.LinkedHashMap<>();
        overrides.forEach((k, v) -> flags.put("xensim." + k, v));
        Config over = ConfigFactory.parseMap(flags, COMMAND_LINE);
        return from(over.withFallback(parsed), text == null ? "(defaults)" : file);
    }

    static final String COMMAND_LINE = "command line";

    private static Config parseFile(Path file) throws ScenarioException {
        String shown = file.toString();
        if (Files.isDirectory(file)) throw new ScenarioException("scenario " + shown + " is a directory, not a file");
        if (!Files.isRegularFile(file)) throw new ScenarioException("scenario " + shown + ": no such file");
        Config parsed;
        try {
            parsed = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException e) {
            throw new ScenarioException("scenario " + shown + ": " + describe(e, shown));
        }
        String dflt = file.getFileName().toString().replaceFirst("\\.conf$", "");
        if (!parsed.hasPath("xensim.name")) parsed = parsed.withFallback(ConfigFactory.parseMap(Map.of("xensim.name", dflt)));
        return parsed;
    }

    /** Parses HOCON text (tests, and {@code --scenario -} some day). */
    public static Scenario parse(String text, String shownAs) throws ScenarioException {
        Config parsed;
        try {
            parsed = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setOriginDescription(shownAs));
        } catch (ConfigException e) {
            throw new ScenarioException("scenario " + shownAs + ": " + describe(e, shownAs));
        }
        return from(parsed, shownAs);
    }

    private static Config reference() {
        return ConfigFactory.parseResources(Scenario.class.getClassLoader(), "reference.conf").getConfig("xensim");
    }

    private static Scenario from(Config file, String shown) throws ScenarioException {
        Config ref = reference();
        Config mine = file.hasPath("xensim") ? file.getConfig("xensim") : ConfigFactory.empty();
        // keys outside xensim, or unknown inside it, are typos: say so rather than ignore them
        for (Map.Entry<String, ConfigValue> e : file.root().entrySet()) {
            if (!e.getKey().equals("xensim")) {
                throw new ScenarioException(at(shown, e.getValue().origin(), e.getKey()) + "unknown top-level key (every setting lives under xensim { ... })");
            }
        }
        for (Map.Entry<String, ConfigValue> e : mine.entrySet()) {
            if (!ref.hasPath(e.getKey())) {
                throw new ScenarioException(at(shown, e.getValue().origin(), "xensim." + e.getKey())
                        + "unknown setting (see reference.conf for every setting)");
            }
        }
        Config c = mine.withFallback(ref).resolve();
        Reader r = new Reader(c, shown);
        List<java.nio.file.Path> jars = new ArrayList<>();
        try {
            for (String j : c.getStringList("firmware.design-jars")) jars.add(java.nio.file.Path.of(j));
        } catch (ConfigException | java.nio.file.InvalidPathException e) {
            throw r.bad("firmware.design-jars", "a list of paths to design jars");
        }
        DesignCatalog designs;
        try {
            designs = DesignCatalog.load(jars);
        } catch (DesignCatalog.DesignLoadException e) {
            throw new ScenarioException(e.getMessage());
        }
        String strategy = r.string("strategy");
        if (!designs.has(strategy)) {
            throw r.bad("strategy", "one of " + String.join(", ", designs.names())
                    + (jars.isEmpty() ? " or a design of --design-jar" : "") + ", got '" + strategy + "'");
        }
        String modeText = r.string("mode");
        Mode mode;
        try {
            mode = Mode.parse(modeText);
        } catch (IllegalArgumentException e) {
            mode = null;
        }
        if (mode == null) throw r.bad("mode", "deterministic or threaded, got '" + modeText + "'");
        String flavour = r.string("xenstored.flavour"); // as given: "c" stays the alias of the default version
        try {
            XenstoredCore.Flavour.parse(flavour);
        } catch (IllegalArgumentException e) {
            throw r.bad("xenstored.flavour", String.join(", ", XenstoredCore.Flavour.NAMES) + ", got '" + r.string("xenstored.flavour") + "'");
        }
        BlkbackProfile backendProfile;
        try {
            backendProfile = BlkbackProfile.named(r.string("backend.profile"));
        } catch (IllegalArgumentException e) {
            throw r.bad("backend.profile", "linux or drain, got '" + r.string("backend.profile") + "'");
        }
        FirmwareIo firmwareIo;
        try {
            firmwareIo = FirmwareIo.named(r.string("guests.firmware-io"));
        } catch (IllegalArgumentException e) {
            throw r.bad("guests.firmware-io", "ovmf or async, got '" + r.string("guests.firmware-io") + "'");
        }
        Edk2Version edk2;
        try {
            edk2 = Edk2Version.parse(r.string("firmware.edk2"));
        } catch (IllegalArgumentException e) {
            throw r.bad("firmware.edk2", "head or 2022.11, got '" + r.string("firmware.edk2") + "'");
        }
        EbsOrder ebsOrder;
        try {
            ebsOrder = EbsOrder.parse(r.string("firmware.ebs-order"));
        } catch (IllegalArgumentException e) {
            throw r.bad("firmware.ebs-order", "edk2, seeded or indexes like 1,0, got '" + r.string("firmware.ebs-order") + "'");
        }
        if (ebsOrder.kind() == EbsOrder.Kind.EXPLICIT && !ebsOrder.isPermutation()) {
            throw r.bad("firmware.ebs-order", "a permutation of 0..n-1 (one index per EBS notify function), got '" + ebsOrder.cliName() + "'");
        }
        long diskBytes = r.bytes("guests.disk-size");
        if (diskBytes < 1 << 20 || diskBytes % 512 != 0) throw r.bad("guests.disk-size", "at least 1MiB, a multiple of 512 bytes");
        double tailP = r.number("backend.tail-probability");
        if (tailP < 0 || tailP > 1) throw r.bad("backend.tail-probability", "a probability in [0, 1]");
        double tailF = r.number("backend.tail-factor");
        if (tailF < 1) throw r.bad("backend.tail-factor", "a factor >= 1");
        long latencyMean = r.nanos("backend.latency-mean");
        if (LONGEST_DRAW * latencyMean * tailF > Fault.LONGEST_NANOS) {
            throw r.bad("backend.tail-factor", "latency-mean x tail-factor x " + LONGEST_DRAW_TEXT
                    + " (the longest draw) of at most 1h of virtual time, got " + VirtualTime.format(latencyMean) + " x " + tailF);
        }
        long hypercall = r.nanos("hypervisor.hypercall");
        Timing timing = new Timing(hypercall, r.nanos("hypervisor.evtchn-latency"), r.nanos("guests.vcpu-preempt-interval"),
                r.nanos("guests.vcpu-preempt"));
        XenstoredTiming xsTiming = new XenstoredTiming(r.nanos("xenstored.wakeup"), r.nanos("xenstored.request"),
                r.nanos("xenstored.ring-copy"), hypercall, r.nanos("xenstored.loop"));
        List<Fault> faults = new ArrayList<>();
        List<String> texts;
        try {
            texts = c.getStringList("faults");
        } catch (ConfigException e) {
            throw r.bad("faults", "a list of strings like \"backend-stall@ebs-begin:duration=5ms\"");
        }
        for (String t : texts) {
            try {
                faults.add(Fault.parse(t));
            } catch (IllegalArgumentException e) {
                throw new ScenarioException(at(shown, c.getValue("faults").origin(), "xensim.faults") + e.getMessage());
            }
        }
        Scenario sc = new Scenario(r.string("name"), r.longValue("seed", Long.MIN_VALUE), mode, strategy, flavour,
                r.integer("guests.count", 1, 100_000), r.nanos("guests.stagger"), r.integer("guests.memory-pages", 256, 1 << 20),
                r.integer("guests.disks", 1, 8), diskBytes, r.integer("guests.firmware-queue-depth", 1, 32),
                r.integer("guests.io-before-ebs", 0, 32), r.bool("guests.boot-record-write"),
                r.integer("guests.io-after-ebs", 0, 1_000_000), r.bool("guests.reset-state"), latencyMean,
                tailP, tailF, r.integer("backend.queue-depth", 1, 32), List.copyOf(faults), backendProfile, firmwareIo, edk2, ebsOrder,
                timing, xsTiming, r.bool("toolstack.xs-reset-watches"), designs, firmwareImplOf(r), patchesOf(r, c, shown));
        for (Fault f : faults) {
            String why = sc.misfit(f);
            if (why != null) throw new ScenarioException(at(shown, c.getValue("faults").origin(), "xensim.faults") + why);
        }
        return sc;
    }

    private static xensim.firmware.FirmwareImpl firmwareImplOf(Reader r) throws ScenarioException {
        try {
            return xensim.firmware.FirmwareImpl.parse(r.string("firmware.drivers"));
        } catch (IllegalArgumentException e) {
            throw r.bad("firmware.drivers", "model or ovmf-c, got '" + r.string("firmware.drivers") + "'");
        }
    }

    /** firmware.ovmf-patches: files, relative to the scenario file's folder. */
    private static List<Path> patchesOf(Reader r, Config c, String shown) throws ScenarioException {
        Path file = shown.startsWith("(") ? null : Path.of(shown);
        List<String> texts;
        try {
            texts = c.getStringList("firmware.ovmf-patches");
        } catch (ConfigException e) {
            throw r.bad("firmware.ovmf-patches", "a list of patch files");
        }
        List<Path> out = new ArrayList<>();
        for (String t : texts) {
            Path p = Path.of(t);
            if (!p.isAbsolute() && file != null && file.getParent() != null) p = file.getParent().resolve(p);
            out.add(p);
        }
        return out;
    }

    /** -ln(2^-53): the longest exponential draw of the latency model, in means ({@code 1 - nextDouble()} is at least 2^-53). */
    static final double LONGEST_DRAW = 53 * Math.log(2);
    static final String LONGEST_DRAW_TEXT = "36.7";

    /**
     * Why {@code f} cannot run on this scenario's host, or null: it names a guest or a disk the
     * host does not have (it would be skipped without a word), {@code disk=} on a fault that hits
     * no disk, or a {@code backend-slow} factor that would let one request's service time pass
     * {@link Fault#LONGEST_NANOS} (1e308 overflowed it into an instant backend).
     */
    public String misfit(Fault f) {
        String what = "fault '" + f.text() + "': ";
        if (f.guest() != Fault.ALL && f.guest() >= guests) {
            return what + "guest=" + f.guest() + ", but the host has " + guests + (guests == 1 ? " guest (guest 0)" : " guests (guest 0.." + (guests - 1) + ")");
        }
        if (f.disk() != Fault.ALL && !f.hitsDisks()) {
            return what + "disk= applies to backend-crash, backend-stall, backend-slow and ring-corrupt only";
        }
        if (f.disk() != Fault.ALL && f.disk() >= disks) {
            return what + "disk=" + f.disk() + ", but each guest has " + disks + (disks == 1 ? " disk (disk 0)" : " disks (disk 0.." + (disks - 1) + ")");
        }
        if (f.kind() == Fault.Kind.BACKEND_SLOW) {
            double factor = f.number("factor", 10);
            double longest = LONGEST_DRAW * latencyMeanNanos * tailFactor;
            if (longest * factor > Fault.LONGEST_NANOS) {
                return what + "factor=" + f.params().get("factor") + " would let one request take longer than 1h of virtual time (at most "
                        + (long) Math.floor(Fault.LONGEST_NANOS / longest) + " with latency-mean " + VirtualTime.format(latencyMeanNanos)
                        + " and tail-factor " + tailFactor + ")";
            }
        }
        return null;
    }

    static String at(String shown, ConfigOrigin o, String key) {
        if (o != null && COMMAND_LINE.equals(o.description())) return "command line, " + key + ": ";
        int line = o == null ? -1 : o.lineNumber();
        return "scenario " + shown + (line > 0 ? ", line " + line : "") + ", key " + key + ": ";
    }

    private static String describe(ConfigException e, String shown) {
        String m = e.getMessage();
        // Typesafe Config prefixes "<origin>: "; the caller names the file already
        if (m != null && m.startsWith(shown + ": ")) m = m.substring(shown.length() + 2);
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** Typed reads that turn Typesafe Config's exceptions into file/line/key/expected messages. */
    private static final class Reader {
        final Config c;
        final String shown;

        Reader(Config c, String shown) {
            this.c = c;
            this.shown = shown;
        }

        ScenarioException bad(String key, String expected) {
            ConfigOrigin o = c.hasPath(key) ? c.getValue(key).origin() : null;
            if (o != null && o.resource() != null && o.resource().endsWith("reference.conf")) o = null;
            return new ScenarioException(at(shown, o, "xensim." + key) + "expected " + expected);
        }

        String string(String key) throws ScenarioException {
            try {
                return c.getString(key);
            } catch (ConfigException e) {
                throw bad(key, "a string");
            }
        }

        boolean bool(String key) throws ScenarioException {
            try {
                return c.getBoolean(key);
            } catch (ConfigException e) {
                throw bad(key, "true or false");
            }
        }

        double number(String key) throws ScenarioException {
            double v;
            try {
                v = c.getDouble(key);
            } catch (ConfigException e) {
                throw bad(key, "a number");
            }
            if (!Double.isFinite(v)) throw bad(key, "a finite number, got " + v);
            return v;
        }

        long longValue(String key, long min) throws ScenarioException {
            try {
                long v = c.getLong(key);
                if (v < min) throw bad(key, "a whole number >= " + min);
                return v;
            } catch (ConfigException e) {
                throw bad(key, "a whole number");
            }
        }

        int integer(String key, int min, int max) throws ScenarioException {
            long v;
            try {
                v = c.getLong(key);
            } catch (ConfigException e) {
                throw bad(key, "a whole number between " + min + " and " + max);
            }
            if (v < min || v > max) throw bad(key, "a whole number between " + min + " and " + max + ", got " + v);
            return (int) v;
        }

        long nanos(String key) throws ScenarioException {
            long v;
            try {
                v = c.getDuration(key).toNanos();
            } catch (ConfigException e) {
                throw bad(key, "a duration like 2ms or 400us");
            }
            if (v < 0) throw bad(key, "a duration >= 0");
            if (v > Fault.LONGEST_NANOS) throw bad(key, "a duration of at most 1h of virtual time");
            return v;
        }

        long bytes(String key) throws ScenarioException {
            try {
                return c.getBytes(key);
            } catch (ConfigException e) {
                throw bad(key, "a size like 64MiB");
            }
        }
    }

    /** The host this scenario describes, with disk images under {@code diskDir}. */
    public HostConfig hostConfig(Path diskDir) {
        return new HostConfig(guests, staggerNanos, memoryPages, disks, diskBytes / 512, latencyMeanNanos, tailProbability,
                tailFactor, backendQueueDepth, flavour, new FirmwareConfig(strategy, firmwareQueueDepth, ioBeforeEbs, bootRecordWrite, ebsOrder, firmwareIo, edk2, designs, firmwareImpl, ovmfPatches),
                new OsConfig(resetState, ioAfterEbs, true), diskDir, faults, backendProfile, xsResetWatches, timing, xenstoredTiming);
    }

    /**
     * A smaller variant of this scenario (shrink): these faults instead of its own, fewer guests,
     * disks and I/Os. The caller checks each fault's fit ({@link #misfit}).
     */
    public Scenario shrunk(List<Fault> newFaults, int newGuests, int newDisks, int newIoBefore, int newIoAfter) {
        return new Scenario(name, seed, mode, strategy, flavour, newGuests, staggerNanos, memoryPages, newDisks, diskBytes, firmwareQueueDepth,
                newIoBefore, bootRecordWrite, newIoAfter, resetState, latencyMeanNanos, tailProbability, tailFactor, backendQueueDepth,
                List.copyOf(newFaults), backendProfile, firmwareIo, edk2, ebsOrder, timing, xenstoredTiming, xsResetWatches, designs, firmwareImpl, ovmfPatches);
    }

    /** The same scenario under another seed (run --hosts: host k's). */
    public Scenario withSeed(long newSeed) {
        return new Scenario(name, newSeed, mode, strategy, flavour, guests, staggerNanos, memoryPages, disks, diskBytes, firmwareQueueDepth,
                ioBeforeEbs, bootRecordWrite, ioAfterEbs, resetState, latencyMeanNanos, tailProbability, tailFactor, backendQueueDepth,
                faults, backendProfile, firmwareIo, edk2, ebsOrder, timing, xenstoredTiming, xsResetWatches, designs, firmwareImpl, ovmfPatches);
    }

    /** The same scenario with more faults (the command line's come after the file's). */
    public Scenario withMoreFaults(List<Fault> more) {
        List<Fault> all = new ArrayList<>(faults);
        all.addAll(more);
        return new Scenario(name, seed, mode, strategy, flavour, guests, staggerNanos, memoryPages, disks, diskBytes, firmwareQueueDepth,
                ioBeforeEbs, bootRecordWrite, ioAfterEbs, resetState, latencyMeanNanos, tailProbability, tailFactor, backendQueueDepth,
                List.copyOf(all), backendProfile, firmwareIo, edk2, ebsOrder, timing, xenstoredTiming, xsResetWatches, designs, firmwareImpl, ovmfPatches);
    }
}
