package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A path the user names that cannot be created, written, read or listened on is bad input: exit 2
 * and exactly one line on stderr that names it — never an internal error with a stack trace.
 */
class BadPathsTest {
    @TempDir
    Path tmp;

    /** Under a regular file: nothing can be created there, on any Unix, even as root. */
    static final String UNDER_A_FILE = "/etc/passwd/x";

    /** Runs a command that would serve forever if it wrongly accepted its paths. */
    private static Cli.Result exec(String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(120), () -> Cli.exec(args));
    }

    static Cli.Result badInput(String mustSay, String... args) {
        Cli.Result r = exec(args);
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), String.join(" ", args) + "\nout: " + r.out() + "\nerr: " + r.err());
        assertEquals(1, r.err().lines().count(), "exactly one line on stderr: " + r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), "no stack trace: " + r.err());
        assertTrue(r.err().contains(mustSay), "'" + mustSay + "' in: " + r.err());
        return r;
    }

    static void assumeProcRefusesNewFiles() {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc")) && !Files.exists(Path.of("/proc/x")), "Linux /proc");
    }

    @Test
    void runOutThatCannotBeCreated() throws Exception {
        badInput("--out /etc/passwd/x: cannot create the directory (/etc/passwd is not a directory)", "run", "--out", UNDER_A_FILE);
        Path file = Files.writeString(tmp.resolve("file"), "x");
        badInput("--out " + file + " exists and is not a directory", "run", "--out", file.toString());
        assumeProcRefusesNewFiles();
        badInput("--out /proc/x: cannot create the directory", "run", "--out", "/proc/x");
    }

    @Test
    void exploreOutThatCannotBeCreated() {
        badInput("--out /etc/passwd/x: cannot create the directory", "explore", "--strategy", "refcount", "--seeds", "1", "--no-progress",
                "--out", UNDER_A_FILE);
        assumeProcRefusesNewFiles();
        badInput("--out /proc/x: cannot create the directory", "explore", "--strategy", "refcount", "--seeds", "1", "--no-progress",
                "--out", "/proc/x");
    }

    @Test
    void xenstoredOutOrSocketThatCannotBeUsed() {
        badInput("--out /etc/passwd/x: cannot create the directory", "xenstored", "--socket", tmp.resolve("s").toString(),
                "--out", UNDER_A_FILE);
        badInput("--socket /etc/passwd/x: no such directory /etc/passwd (/etc/passwd is not a directory)", "xenstored", "--socket",
                UNDER_A_FILE);
        badInput("--socket " + tmp.resolve("nope/s") + ": no such directory", "xenstored", "--socket", tmp.resolve("nope/s").toString());
        badInput("--socket " + tmp.resolve("x".repeat(120)) + ": cannot listen there", "xenstored", "--socket",
                tmp.resolve("x".repeat(120)).toString()); // past sun_path's 108 bytes
        assumeProcRefusesNewFiles();
        badInput("--socket /proc/x: cannot listen there", "xenstored", "--socket", "/proc/x");
    }

    @Test
    void runXenstoreSocketThatCannotBeListenedOn() {
        badInput("--xenstore-socket /etc/passwd/x: no such directory", "run", "--out", tmp.resolve("r").toString(),
                "--xenstore-socket", UNDER_A_FILE);
        assumeProcRefusesNewFiles();
        badInput("--xenstore-socket /proc/x: cannot listen there", "run", "--out", tmp.resolve("r").toString(),
                "--xenstore-socket", "/proc/x");
    }

    @Test
    void timelineSaysItCannotWriteTheOutputNotThatItCannotReadTheLog() throws Exception {
        Path log = Files.writeString(tmp.resolve("events.jsonl"), TimelineCommandTest.cleanLog());
        badInput("--html /etc/passwd/x: no such directory /etc/passwd", "timeline", log.toString(), "--html", UNDER_A_FILE);
        badInput("--html " + tmp + " is a directory, not a file", "timeline", log.toString(), "--html", tmp.toString());
        if (Files.isWritable(Path.of("/dev/full"))) { // opens fine, every write fails: ENOSPC
            Cli.Result r = badInput("--html /dev/full: cannot write it (no space left on device)", "timeline", log.toString(), "--html",
                    "/dev/full");
            assertFalse(r.err().contains("cannot read"), r.err());
            badInput("--perfetto /dev/full: cannot write it (no space left on device)", "timeline", log.toString(), "--perfetto",
                    "/dev/full");
        }
        assumeProcRefusesNewFiles();
        Cli.Result r = badInput("--html /proc/x: cannot write it", "timeline", log.toString(), "--html", "/proc/x");
        assertFalse(r.err().contains("cannot read"), r.err());
        badInput("--perfetto /proc/x: cannot write it", "timeline", log.toString(), "--perfetto", "/proc/x");
    }

    @Test
    void aDirectoryWhereAFileIsExpectedIsNamedAsSuch() {
        badInput("LOG " + tmp + " is a directory, not a file", "timeline", tmp.toString());
        badInput("--log " + tmp + " is a directory, not a file", "bench", "timeline", "--log", tmp.toString());
        badInput("scenario " + tmp + " is a directory, not a file", "run", "--scenario", tmp.toString(), "--out",
                tmp.resolve("r").toString());
        badInput(tmp.resolve("none.jsonl") + ": no such file", "timeline", tmp.resolve("none.jsonl").toString());
    }
}
