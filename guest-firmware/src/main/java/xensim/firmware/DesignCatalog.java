package xensim.firmware;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.jar.JarFile;
import xensim.design.EbsDesign;

/**
 * The EBS designs a run may select by name: those {@link ServiceLoader} finds on the firmware's
 * own class path (the six built-in ones, listed in this jar's
 * {@code META-INF/services/xensim.design.EbsDesign}), then those of each {@code --design-jar}, in
 * the order given. Each jar gets its own class loader (parent: the firmware's), so a jar sees the
 * design interface and nothing of another jar. Each design is instantiated once at load (to read
 * its name) and then once per guest. A jar that cannot be read, names no design, holds a class
 * that is not one or cannot be made, a design whose name is not a plain name, or a name another
 * design already has, is bad input: {@link DesignLoadException}, one line naming the jar and class.
 */
public final class DesignCatalog {

    /** What could not be loaded: one line naming the jar and the class. */
    public static final class DesignLoadException extends Exception {
        public DesignLoadException(String message) {
            super(message);
        }
    }

    /**
     * One design: its name, where it came from ({@code jar} null: built in), its class, and how
     * to make a fresh instance (one per guest).
     */
    public record Entry(String name, Path jar, Class<? extends EbsDesign> type, String summary, Supplier<EbsDesign> factory) {
        /** "class path" (the built-in designs, or a design on the class path) or the jar's path, as messages name it. */
        public String source() {
            return jar == null ? "class path" : jar.toString();
        }

        /**
         * The frame of the design's own code {@code t} was thrown from, or null when it was not
         * the design's: walking down from where it was thrown, past the JDK, the design views
         * and the boot services' argument checks (a design that misuses them threw), the first
         * other frame is in the design class's package (its lambdas, nested and helper classes).
         * An exception from deeper firmware code is the firmware's, not the design's.
         */
        public StackTraceElement threwFrom(Throwable t) {
            String pkg = type.getPackageName();
            for (StackTraceElement f : t.getStackTrace()) {
                String cls = f.getClassName();
                String fpkg = cls.lastIndexOf('.') < 0 ? "" : cls.substring(0, cls.lastIndexOf('.'));
                if (fpkg.equals(pkg) && (!pkg.isEmpty() || cls.startsWith(type.getName()))) return f;
                if (cls.startsWith("java.") || cls.startsWith("jdk.") || cls.startsWith("sun.") || cls.startsWith("xensim.design.")
                        || cls.startsWith("xensim.firmware.uefi.DesignBootServices") || cls.startsWith("xensim.firmware.xenbus.DesignXenBus")
                        || cls.startsWith("xensim.firmware.pvblk.XenPvBlkDxe$Device$")
                        || cls.equals("xensim.firmware.uefi.BootServices") && f.getMethodName().matches("createEvent(Ex)?|closeEvent|requireBootServices|allocCall")) {
                    continue;
                }
                return null;
            }
            return null;
        }

        /** The one line a design that threw is reported with (bad input). */
        public String failure(String where, String error) {
            return (jar == null ? "" : "--design-jar " + jar + ": ") + "design '" + name + "' (class " + type.getName()
                    + (jar == null ? ", on the class path" : "") + ") threw " + error + " at " + where;
        }
    }

    private static final Map<List<Path>, DesignCatalog> LOADED = new ConcurrentHashMap<>();
    private static volatile DesignCatalog builtIn;

    private final Map<String, Entry> entries;
    private final List<Path> jars;

    private DesignCatalog(Map<String, Entry> entries, List<Path> jars) {
        this.entries = Collections.unmodifiableMap(entries);
        this.jars = List.copyOf(jars);
    }

    /** The designs on the firmware's own class path (the built-in six, in their services file's order). */
    public static DesignCatalog builtIn() {
        DesignCatalog b = builtIn;
        if (b == null) {
            try {
                b = new DesignCatalog(discover(ServiceLoader.load(EbsDesign.class, DesignCatalog.class.getClassLoader()), null, null,
                        new LinkedHashMap<>()), List.of());
            } catch (DesignLoadException e) {
                throw new IllegalStateException(e.getMessage());
            }
            builtIn = b;
        }
        return b;
    }

    /** The built-in designs and those of {@code jars} (loaded once per list of jars and process). */
    public static DesignCatalog load(List<Path> jars) throws DesignLoadException {
        if (jars == null || jars.isEmpty()) return builtIn();
        List<Path> key = jars.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        DesignCatalog c = LOADED.get(key);
        if (c != null) return c;
        Map<String, Entry> all = new LinkedHashMap<>(builtIn().entries);
        for (Path jar : jars) {
            if (!Files.isRegularFile(jar) || !Files.isReadable(jar)) {
                throw new DesignLoadException("--design-jar " + jar + ": " + (Files.exists(jar) ? "not a readable file" : "no such file"));
            }
            try (JarFile jf = new JarFile(jar.toFile())) {
                jf.size();
            } catch (IOException e) {
                throw new DesignLoadException("--design-jar " + jar + ": not a jar (" + e.getMessage() + ")");
            }
            URLClassLoader loader;
            try {
                loader = new URLClassLoader("design-jar " + jar.getFileName(), new URL[] {jar.toUri().toURL()},
                        DesignCatalog.class.getClassLoader());
            } catch (MalformedURLException e) {
                throw new DesignLoadException("--design-jar " + jar + ": " + e.getMessage());
            }
            int before = all.size();
            discover(ServiceLoader.load(EbsDesign.class, loader), loader, jar, all);
            if (all.size() == before) {
                throw new DesignLoadException("--design-jar " + jar + ": no EBS design in it (a design jar lists its classes in "
                        + "META-INF/services/" + EbsDesign.class.getName() + ")");
            }
        }
        c = new DesignCatalog(all, jars);
        LOADED.put(key, c);
        return c;
    }

    /** Adds the providers {@code sl} finds (only those of {@code loader}'s own jar when it is not null) to {@code into}. */
    private static Map<String, Entry> discover(ServiceLoader<EbsDesign> sl, ClassLoader loader, Path jar, Map<String, Entry> into)
            throws DesignLoadException {
        String where = jar == null ? "" : "--design-jar " + jar + ": ";
        var it = sl.stream().iterator();
        while (true) {
            ServiceLoader.Provider<EbsDesign> p;
            try {
                if (!it.hasNext()) break;
                p = it.next();
            } catch (ServiceConfigurationError e) {
                throw new DesignLoadException(where + oneLine(e.getMessage()) + cause(e));
            }
            Class<? extends EbsDesign> type = p.type();
            if (loader != null && type.getClassLoader() != loader) continue; // the parent's (built in)
            EbsDesign d;
            String name;
            String summary;
            try {
                d = p.get();
                name = d.name();
                summary = d.summary();
                d.allocationFreeXenStore();
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                Throwable t = e instanceof ServiceConfigurationError && e.getCause() != null ? e.getCause() : e;
                throw new DesignLoadException(where + "class " + type.getName() + " could not be made or named: " + describe(t));
            }
            if (name == null || !name.matches("[a-z0-9][a-z0-9.-]*") || name.equals("all")) {
                throw new DesignLoadException(where + "class " + type.getName() + " names itself '" + name
                        + "': a design's name is lower case letters, digits, '.' and '-' (and not 'all')");
            }
            Entry old = into.get(name);
            if (old != null) {
                throw new DesignLoadException(where + "design '" + name + "' (" + type.getName() + ") clashes with "
                        + (old.jar() == null ? "the built-in " : old.jar() + "'s ") + old.type().getName());
            }
            into.put(name, new Entry(name, jar, type, summary == null ? "" : summary, p::get));
        }
        return into;
    }

    /** An exception as one line: its class's simple name and message. */
    public static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + oneLine(m));
    }

    private static String cause(Throwable e) {
        return e.getCause() == null ? "" : " (" + describe(e.getCause()) + ")";
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }

    /** The design names, built-in first, then each jar's in order. */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    /**
     * Designs registered in this process besides the class path's and the jars' (test fixtures:
     * the planted bugs of schedule exploration): selectable by name in every catalog, never part
     * of {@link #names()} and so never of {@code all}.
     */
    private static final Map<String, Entry> REGISTERED = new ConcurrentHashMap<>();

    /** Registers a design made by {@code factory} under its own name (which no built-in design may have). */
    public static void register(Supplier<EbsDesign> factory) {
        EbsDesign d = factory.get();
        if (builtIn().entries.containsKey(d.name())) throw new IllegalArgumentException("'" + d.name() + "' is a built-in design");
        @SuppressWarnings("unchecked")
        Class<? extends EbsDesign> type = (Class<? extends EbsDesign>) d.getClass();
        REGISTERED.put(d.name(), new Entry(d.name(), null, type, d.summary(), factory));
    }

    public boolean has(String name) {
        return entries.containsKey(name) || REGISTERED.containsKey(name);
    }

    /** The design called {@code name}; IllegalArgumentException for an unknown one. */
    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) e = REGISTERED.get(name);
        if (e == null) throw new IllegalArgumentException("unknown strategy '" + name + "' (expected one of " + String.join(", ", names()) + ")");
        return e;
    }

    /** A fresh instance of the design called {@code name} (designs keep per-guest state). */
    public EbsDesign create(String name) {
        return entry(name).factory().get();
    }

    /** The jars given, in order (empty: built-in designs only). */
    public List<Path> jars() {
        return jars;
    }

    public List<Entry> entries() {
        return new ArrayList<>(entries.values());
    }
}
