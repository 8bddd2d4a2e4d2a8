package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

    private record Result(int code, String out, String err) {}

    private static Result exec(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void helpListsCommandsAndExitsClean() {
        Result r = exec("--help");
        assertEquals(Main.EXIT_CLEAN, r.code());
        assertTrue(r.out().contains("ExitBootServices"), r.out());
        assertTrue(r.out().contains("version"), r.out());
    }

    @Test
    void versionNamesToolAkkaAndJava() {
        Result r = exec("version");
        assertEquals(Main.EXIT_CLEAN, r.code());
        assertTrue(r.out().matches("(?s)xensim \\d+\\.\\d+\\.\\d+.*\\nAkka 2\\.6\\.21, Java 17.*"), r.out());
    }

    @Test
    void unknownCommandIsBadInput() {
        Result r = exec("frobnicate");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertTrue(r.err().contains("frobnicate"), r.err());
    }

    @Test
    void unknownOptionIsBadInput() {
        Result r = exec("--no-such-flag");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
    }
}
