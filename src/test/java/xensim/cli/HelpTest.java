package xensim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * {@code --help} on every command and subcommand prints that command's usage and exits 0 — the
 * list is read from the command tree, so a new command is covered the day it is added — and no
 * description is cut where it does not need to wrap.
 */
class HelpTest {

    /** Every command path below {@code xensim}, e.g. "run", "bench lifecycle". */
    static Stream<String> commands() {
        List<String> out = new ArrayList<>();
        collect(Main.commandLine(), "", out);
        return out.stream();
    }

    private static void collect(CommandLine cl, String prefix, List<String> out) {
        for (var e : cl.getSubcommands().entrySet()) {
            String path = (prefix + " " + e.getKey()).trim();
            out.add(path);
            collect(e.getValue(), path, out);
        }
    }

    /** The same with the top-level command (""). */
    static Stream<String> commandsAndTop() {
        return Stream.concat(Stream.of(""), commands());
    }

    @Test
    void theTreeHasEveryCommandTheReadmeNames() {
        List<String> all = commands().toList();
        for (String c : List.of("run", "explore", "timeline", "xenstored", "version", "bench", "bench lifecycle", "bench explore",
                "bench akka", "bench xenstored", "bench blkback", "bench timeline")) {
            assertTrue(all.contains(c), c + " in " + all);
        }
    }

    @ParameterizedTest
    @MethodSource("commands")
    void helpPrintsTheUsageAndExitsClean(String command) {
        for (String flag : List.of("--help", "-h")) {
            List<String> argv = new ArrayList<>(List.of(command.split(" ")));
            argv.add(flag);
            Cli.Result r = Cli.exec(argv.toArray(String[]::new));
            assertEquals(Main.EXIT_CLEAN, r.code(), command + " " + flag + ": " + r.err());
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("Usage: xensim " + command)), command + " " + flag + ":\n" + r.out());
            assertEquals("", r.err(), command + " " + flag);
        }
    }

    /** A description line breaks only where the next word would not fit (the timeline one was cut mid-sentence). */
    @ParameterizedTest
    @MethodSource("commandsAndTop")
    void descriptionsWrapOnlyAtTheWidth(String command) {
        CommandLine cl = Main.commandLine();
        for (String part : command.split(" ")) if (!part.isEmpty()) cl = cl.getSubcommands().get(part);
        int width = cl.getUsageHelpWidth();
        String help = cl.getHelp().description();
        List<String> lines = help.lines().toList();
        for (int i = 0; i + 1 < lines.size(); i++) {
            String line = lines.get(i).stripTrailing();
            String next = lines.get(i + 1).strip();
            if (line.isEmpty() || next.isEmpty() || line.endsWith(".")) continue; // a paragraph's end
            String firstWord = next.split("\\s+")[0];
            assertTrue(line.length() + 1 + firstWord.length() > width,
                    command + ": description broken early after '" + line + "' (next: '" + next + "'):\n" + help);
        }
        assertTrue(!help.isBlank(), command + " has a description");
    }
}
