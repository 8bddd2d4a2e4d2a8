package xensim.design;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import xensim.firmware.DesignCatalog;
import xensim.firmware.uefi.EfiStatus;
import xensim.firmware.uefi.Tpl;
import xensim.firmware.uefi.UefiEvent;

/**
 * The design interface stands alone: its package names only the JDK and itself; the built-in
 * designs name only it; the drivers never name a design; the six are found by ServiceLoader
 * like any user's design; its constants are the firmware's.
 */
class DesignInterfaceTest {
    private static final Path MAIN = Path.of("src", "main", "java", "xensim");
    private static final Pattern XENSIM_REF = Pattern.compile("\\bxensim\\.([a-z]+(?:\\.[a-z]+)*)");

    /** Every xensim.* package a source file names (imports and qualified names). */
    private static List<String> named(Path file) throws IOException {
        String s = Files.readString(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
        List<String> out = new ArrayList<>();
        Matcher m = XENSIM_REF.matcher(s);
        while (m.find()) {
            String ref = m.group(1);
            if (!s.startsWith("package xensim." + ref, m.start() - "package ".length()) || m.start() < 8) out.add(ref);
        }
        return out;
    }

    private static List<Path> sources(String pkg) throws IOException {
        try (Stream<Path> s = Files.list(MAIN.resolve(pkg.replace('.', '/')))) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    @Test
    void theInterfacePackageNamesOnlyTheJdkAndItself() throws Exception {
        List<Path> files = sources("design");
        assertTrue(files.size() >= 9, "the interface's files: " + files);
        for (Path f : files) {
            for (String ref : named(f)) assertTrue(ref.equals("design") || ref.startsWith("design."), f + " names xensim." + ref);
            for (String line : Files.readAllLines(f)) {
                if (line.startsWith("import ")) assertTrue(line.startsWith("import java."), f + ": " + line);
            }
        }
        // and by reflection: every public signature of the interface's types is JDK or xensim.design
        for (Class<?> c : List.of(EbsDesign.class, EfiBootServices.class, EfiEvent.class, EfiHandle.class, XenBus.class,
                XenBusProtocol.class, PvBlockDevice.class, Status.class, XenbusState.class)) {
            for (var m : c.getMethods()) {
                List<Class<?>> types = new ArrayList<>(Arrays.asList(m.getParameterTypes()));
                types.add(m.getReturnType());
                for (Class<?> t : types) {
                    while (t.isArray()) t = t.getComponentType();
                    if (t.isPrimitive()) continue;
                    assertTrue(t.getName().startsWith("java.") || t.getPackageName().equals("xensim.design"), c + "." + m.getName() + " uses " + t);
                }
            }
        }
    }

    @Test
    void theBuiltInDesignsNameOnlyTheInterface() throws Exception {
        List<Path> files = sources("firmware.ebs");
        assertEquals(7, files.size(), "six designs and package-info: " + files);
        for (Path f : files) {
            for (String ref : named(f)) {
                assertTrue(ref.startsWith("design") || ref.equals("firmware.ebs") || f.endsWith("package-info.java") && ref.equals("firmware.DesignCatalog")
                        || f.endsWith("package-info.java") && ref.equals("firmware"), f + " names xensim." + ref);
            }
        }
    }

    @Test
    void noDriverNamesADesign() throws Exception {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(MAIN.resolve("firmware"))) {
            s.filter(p -> p.toString().endsWith(".java") && !p.startsWith(MAIN.resolve("firmware/ebs"))).forEach(files::add);
        }
        assertTrue(files.size() > 20);
        for (Path f : files) {
            for (String ref : named(f)) assertFalse(ref.startsWith("firmware.ebs"), f + " names xensim." + ref);
        }
    }

    @Test
    void serviceLoaderFindsTheSixInTheirOrder() {
        DesignCatalog c = DesignCatalog.builtIn();
        assertEquals(List.of("disconnect", "naive-reset", "exit-callback", "refcount", "bus-tracks", "before-ebs"), c.names());
        for (DesignCatalog.Entry e : c.entries()) {
            assertNull(e.jar());
            assertEquals("xensim.firmware.ebs", e.type().getPackageName());
            assertFalse(e.summary().isEmpty(), e.name());
            EbsDesign a = c.create(e.name());
            EbsDesign b = c.create(e.name());
            assertNotSame(a, b, "one instance per guest");
            assertEquals(e.name(), a.name());
        }
        assertThrows(IllegalArgumentException.class, () -> c.create("nope"));
    }

    @Test
    void theInterfaceConstantsAreTheFirmwares() {
        assertEquals(Tpl.APPLICATION, EfiBootServices.TPL_APPLICATION);
        assertEquals(Tpl.CALLBACK, EfiBootServices.TPL_CALLBACK);
        assertEquals(Tpl.NOTIFY, EfiBootServices.TPL_NOTIFY);
        assertEquals(Tpl.HIGH_LEVEL, EfiBootServices.TPL_HIGH_LEVEL);
        assertEquals(UefiEvent.EVT_NOTIFY_SIGNAL, EfiBootServices.EVT_NOTIFY_SIGNAL);
        assertEquals(UefiEvent.EVT_SIGNAL_EXIT_BOOT_SERVICES, EfiBootServices.EVT_SIGNAL_EXIT_BOOT_SERVICES);
        assertEquals(UefiEvent.EXIT_BOOT_SERVICES_GROUP, EfiBootServices.EXIT_BOOT_SERVICES_GROUP);
        assertEquals(UefiEvent.BEFORE_EXIT_BOOT_SERVICES_GROUP, EfiBootServices.BEFORE_EXIT_BOOT_SERVICES_GROUP);
        for (EfiStatus s : EfiStatus.values()) assertEquals(s.name(), "EFI_" + xensim.firmware.uefi.DesignBootServices.status(s).name());
        assertEquals(EfiStatus.values().length, Status.values().length);
        for (xensim.abi.XenbusState s : xensim.abi.XenbusState.values()) assertEquals(s.code(), XenbusState.valueOf(s.name()).code());
        assertEquals(xensim.abi.XenbusState.values().length, XenbusState.values().length);
    }
}
