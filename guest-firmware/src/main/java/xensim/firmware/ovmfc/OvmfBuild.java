package xensim.firmware.ovmfc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Builds (once per patch set) and finds libxensim-ovmf.so: edk2's XenBusDxe and XenPvBlkDxe from
 * Debian's edk2 source package, with the shim. The build script and the shim are resources of this
 * jar ({@code xensim/ovmf/}); the source package, the unpacked tree and the builds live in the
 * cache folder ({@code $XENSIM_CACHE}, default {@code ~/.cache/xensim}), never in the repository.
 * A build is keyed by the hash of the script, the shim and the patches (in order), so
 * {@code --ovmf-patch} builds are cached side by side.
 */
public final class OvmfBuild {
    private OvmfBuild() {}

    public static final String LIB = "libxensim-ovmf.so";

    /** A build that cannot be done: {@code exitCode} 2 is the user's to fix (install, patch), 3 ours. */
    public static final class BuildException extends Exception {
        public final int exitCode;

        BuildException(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    /** A built library and the hash of each patch that went into it. */
    public record Built(Path library, String key, List<String> patchHashes) {}

    public static Path cacheDir() {
        String env = System.getenv("XENSIM_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "xensim");
    }

    private static byte[] resource(String name) {
        try (InputStream in = OvmfBuild.class.getResourceAsStream("/xensim/ovmf/" + name)) {
            if (in == null) throw new IllegalStateException("missing resource xensim/ovmf/" + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The patch files' hashes (sha256 of each file), or a BuildException (exit 2) for one that cannot be read. */
    public static List<String> patchHashes(List<Path> patches) throws BuildException {
        List<String> out = new ArrayList<>();
        for (Path p : patches) {
            try {
                out.add(sha256(Files.readAllBytes(p)));
            } catch (IOException e) {
                throw new BuildException(2, "--ovmf-patch " + p + ": cannot read it (" + e.getMessage() + ")");
            }
        }
        return out;
    }

    /** The library for {@code patches}, building it first if needed (serialised across processes by a lock file). */
    public static synchronized Built ensure(List<Path> patches) throws BuildException {
        byte[] script = resource("build.sh");
        byte[] shim = resource("shim.c");
        List<String> hashes = patchHashes(patches);
        StringBuilder key = new StringBuilder(sha256(script)).append(sha256(shim));
        for (String h : hashes) key.append(h);
        String k = sha256(key.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        Path cache = cacheDir().resolve("edk2");
        Path dir = cache.resolve("build").resolve(k);
        Path lib = dir.resolve(LIB);
        if (Files.isRegularFile(lib)) return new Built(lib, k, hashes);
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(cache.resolve("build.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = ch.lock()) {
                if (Files.isRegularFile(lib)) return new Built(lib, k, hashes);
                Path shimDir = dir.resolve("shim");
                Files.createDirectories(shimDir);
                Files.write(shimDir.resolve("build.sh"), script);
                Files.write(shimDir.resolve("shim.c"), shim);
                List<String> cmd = new ArrayList<>(List.of("bash", shimDir.resolve("build.sh").toString(), shimDir.toString(),
                        cache.toString(), lib.toString()));
                for (Path p : patches) cmd.add(p.toAbsolutePath().toString());
                Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                int rc = pr.waitFor();
                if (rc != 0 || !Files.isRegularFile(lib)) {
                    throw new BuildException(rc == 2 ? 2 : 3, out.strip().isEmpty() ? "xensim: building the real OVMF drivers failed (rc " + rc + ")" : out.strip());
                }
            }
        } catch (IOException e) {
            throw new BuildException(3, "xensim: building the real OVMF drivers: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildException(3, "xensim: building the real OVMF drivers was interrupted");
        }
        return new Built(lib, k, hashes);
    }
}
