package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MainTest {


    private static Cli.Result exec(String... args) {
        return Cli.exec(args);
    }

    @Test
    void helpListsCommandsAndExitsClean() {
        Cli.Result r = exec("--help");
        assertEquals(Main.EXIT_CLEAN, r.code());
        assertTrue(r.out().contains("ExitBootServices"), r.out());
        assertTrue(r.out().contains("version"), r.out());
    }

    @Test
    void versionNamesToolAkkaAndJava() {
        Cli.Result r = exec("version");
        assertEquals(Main.EXIT_CLEAN, r.code());
        assertTrue(r.out().matches("(?s)xensim \\d+\\.\\d+\\.\\d+.*\\nAkka 2\\.6\\.21, Java 17.*"), r.out());
    }

    @Test
    void unknownCommandIsBadInput() {
        Cli.Result r = exec("frobnicate");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertTrue(r.err().contains("frobnicate"), r.err());
    }

    @Test
    void unknownOptionIsBadInput() {
        Cli.Result r = exec("--no-such-flag");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
    }
}
