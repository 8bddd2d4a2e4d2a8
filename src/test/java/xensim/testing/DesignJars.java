package xensim.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import xensim.design.EbsDesign;

/**
 * Builds design jars in a test as a user would: Java sources compiled with javac against the
 * design interface's classes alone (xensim/design/*.class, nothing else of xensim on the class
 * path), packed with their META-INF/services/xensim.design.EbsDesign.
 */
public final class DesignJars {
    private DesignJars() {}

    /** A folder holding only the design interface's classes (what the design-api jar holds). */
    public static Path apiOnly(Path tmp) throws IOException {
        Path classes;
        try {
            classes = Path.of(EbsDesign.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        Path out = tmp.resolve("design-api");
        Path pkg = out.resolve("xensim/design");
        Files.createDirectories(pkg);
        if (Files.isDirectory(classes)) {
            try (Stream<Path> s = Files.list(classes.resolve("xensim/design"))) {
                for (Path p : s.toList()) Files.copy(p, pkg.resolve(p.getFileName().toString()));
            }
        } else {
            try (var fs = java.nio.file.FileSystems.newFileSystem(classes)) {
                try (Stream<Path> s = Files.list(fs.getPath("xensim/design"))) {
                    for (Path p : s.toList()) Files.copy(p, pkg.resolve(p.getFileName().toString()));
                }
            }
        }
        return out;
    }

    /**
     * Compiles {@code sources} (class name → source) against the design interface alone and
     * writes {@code jar} with {@code services} as its services file (null: none).
     */
    public static Path build(Path tmp, String jarName, Map<String, String> sources, List<String> services) throws IOException {
        Path work = Files.createTempDirectory(tmp, jarName);
        Path src = work.resolve("src");
        Path classes = work.resolve("classes");
        Files.createDirectories(classes);
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-classpath", apiOnly(work).toString(), "--release", "17"));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path f = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
            args.add(f.toString());
        }
        if (!sources.isEmpty()) {
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            int rc = ToolProvider.getSystemJavaCompiler().run(null, null, err, args.toArray(String[]::new));
            if (rc != 0) throw new IOException("javac failed: " + err.toString(StandardCharsets.UTF_8));
        }
        Path jar = tmp.resolve(jarName + ".jar");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os)) {
            try (Stream<Path> s = Files.walk(classes)) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    jos.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                    jos.write(Files.readAllBytes(p));
                    jos.closeEntry();
                }
            }
            if (services != null) {
                jos.putNextEntry(new JarEntry("META-INF/services/" + EbsDesign.class.getName()));
                jos.write((String.join("\n", services) + "\n").getBytes(StandardCharsets.UTF_8));
                jos.closeEntry();
            }
        }
        return jar;
    }

    /** A design called {@code name} in class {@code pkg.cls} whose busStarted runs {@code body} (bus: the XenBus). */
    public static String design(String pkg, String cls, String name, String ctorBody, String busStartedBody) {
        return "package " + pkg + ";\n"
                + "import xensim.design.*;\n"
                + "public final class " + cls + " implements EbsDesign {\n"
                + "  public " + cls + "() { " + ctorBody + " }\n"
                + "  @Override public String name() { return \"" + name + "\"; }\n"
                + "  @Override public boolean allocationFreeXenStore() { return true; }\n"
                + "  @Override public void busStarted(XenBus bus) { " + busStartedBody + " }\n"
                + "}\n";
    }

    /** naive-reset written as a user would: the bus's EBS notify resets at once. */
    public static final String NAIVE_BODY = "bus.setExitBootEvent(bus.bootServices().createEvent(EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES,"
            + " EfiBootServices.TPL_CALLBACK, (e, done) -> bus.reset(done), XenBus.DRIVER));";
}
