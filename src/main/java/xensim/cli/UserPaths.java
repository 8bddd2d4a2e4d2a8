package xensim.cli;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Paths the user names on the command line, checked before any work starts: what cannot be read,
 * created, written or listened on is bad input ({@link BadInputException}, exit 2) with one line
 * that names the option, the path and the reason — never an internal error halfway through.
 */
final class UserPaths {
    private UserPaths() {}

    /** A file to read ({@code what} names it: "LOG", "--log", "scenario"). */
    static void inputFile(Path p, String what) {
        if (Files.isDirectory(p)) throw new BadInputException(what + " " + p + " is a directory, not a file");
        if (!Files.exists(p)) throw new BadInputException(p + ": no such file");
        if (!Files.isRegularFile(p)) throw new BadInputException(what + " " + p + " is not a regular file");
        if (!Files.isReadable(p)) throw new BadInputException(p + ": not readable");
    }

    /** A folder to write into: created with its parents when missing, and proved writable. */
    static Path outputDir(Path p, String option) {
        if (Files.exists(p) && !Files.isDirectory(p)) throw new BadInputException(option + " " + p + " exists and is not a directory");
        try {
            Files.createDirectories(p);
        } catch (IOException | SecurityException e) {
            throw new BadInputException(option + " " + p + ": cannot create the directory (" + reason(p, e) + ")");
        }
        try {
            Files.delete(Files.createTempFile(p, ".xensim-write-test", ""));
        } catch (IOException | SecurityException e) {
            throw new BadInputException(option + " " + p + ": cannot write in the directory (" + reason(p, e) + ")");
        }
        return p;
    }

    /** A file to write: its folder exists, it is not a folder, and it can be created or overwritten (an existing file is not touched). */
    static void outputFile(Path p, String option) {
        if (p == null) return;
        if (Files.isDirectory(p)) throw new BadInputException(option + " " + p + " is a directory, not a file");
        Path dir = p.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new BadInputException(option + " " + p + ": no such directory " + dir + notADirectory(dir));
        }
        try {
            if (Files.exists(p)) {
                if (!Files.isWritable(p)) throw new AccessDeniedException(p.toString());
            } else {
                Files.delete(Files.createFile(p));
            }
        } catch (IOException | SecurityException e) {
            throw new BadInputException(option + " " + p + ": cannot write it (" + reason(p, e) + ")");
        }
    }

    /**
     * A unix socket path to listen on: not a folder, in an existing folder, and — when nothing is
     * there yet — bindable (tried and removed at once). What to do with an existing file at the
     * path is the server's business.
     */
    static void socketPath(Path p, String option) {
        if (Files.isDirectory(p)) throw new BadInputException(option + " " + p + " is a directory");
        Path dir = p.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new BadInputException(option + " " + p + ": no such directory " + dir + notADirectory(dir));
        }
        if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (ServerSocketChannel ch = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(java.net.UnixDomainSocketAddress.of(p));
        } catch (IOException | IllegalArgumentException | SecurityException e) {
            throw new BadInputException(option + " " + p + ": cannot listen there (" + reason(p, e) + ")");
        } finally {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // the probe's socket file could not be removed: the server will say so when it binds
            }
        }
    }

    /** {@code p} or its nearest ancestor that exists (null: none does). */
    static Path nearestExisting(Path p) {
        for (Path a = p.toAbsolutePath(); a != null; a = a.getParent()) if (Files.exists(a)) return a;
        return null;
    }

    /** Removes the empty folders made under {@code existed} on the way to {@code dir} (and {@code dir}'s empty children). */
    static void removeCreated(Path dir, Path existed) {
        Path abs = dir.toAbsolutePath();
        if (existed == null || abs.equals(existed) || !abs.startsWith(existed)) return;
        try (var s = Files.walk(abs)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) if (Files.isDirectory(p)) Files.deleteIfExists(p);
            for (Path a = abs.getParent(); a != null && !a.equals(existed) && a.startsWith(existed); a = a.getParent()) Files.deleteIfExists(a);
        } catch (IOException e) {
            // a folder that is not empty (something else wrote there) stays
        }
    }

    /** " (X is not a directory)" when the nearest existing ancestor of {@code dir} is a file. */
    private static String notADirectory(Path dir) {
        for (Path a = dir; a != null; a = a.getParent()) {
            if (Files.exists(a)) return Files.isDirectory(a) ? "" : " (" + a + " is not a directory)";
        }
        return "";
    }

    /** What went wrong, in the words of the OS where it gave any. */
    static String reason(Path p, Exception e) {
        for (Path a = p.toAbsolutePath().getParent(); a != null; a = a.getParent()) {
            if (Files.exists(a)) {
                if (!Files.isDirectory(a)) return a + " is not a directory";
                break;
            }
        }
        if (e instanceof NoSuchFileException) return "no such file or directory";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileAlreadyExistsException) return "it already exists";
        if (e instanceof NotDirectoryException) return "not a directory";
        if (e instanceof FileSystemException f && f.getReason() != null) return lower(f.getReason());
        if (e.getMessage() != null) return lower(e.getMessage());
        return e.getClass().getSimpleName();
    }

    private static String lower(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
    }
}
