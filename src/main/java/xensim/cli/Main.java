package xensim.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./xensim} — the command line (DESIGN.md §7). Exit codes: 0 clean, 1 violation found,
 * 2 bad input, 3 internal error.
 */
@Command(name = "xensim",
        mixinStandardHelpOptions = true,
        // every command and subcommand, present and future, takes -h/--help (and -V/--version)
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = VersionProvider.class,
        description = "Simulates a Xen host and its guests to test how UEFI firmware hands paravirtual"
                + " devices over to the OS at ExitBootServices while dom0 backends still race requests.",
        subcommands = {
            VersionCommand.class,
            BenchCommand.class,
            XenstoredCommand.class,
            RunCommand.class,
            TimelineCommand.class,
            ExploreCommand.class,
            ShrinkCommand.class,
            CompareCommand.class,
            StressCommand.class,
            WorkerCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class Main implements Runnable {

    public static final int EXIT_CLEAN = 0;
    public static final int EXIT_VIOLATION = 1;
    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_INTERNAL = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Builds the command line with the project's exit-code conventions. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(t -> EXIT_INTERNAL);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof BadInputException) {
                line.getErr().println("xensim: " + ex.getMessage());
                return EXIT_BAD_INPUT;
            }
            if (ex instanceof ModellingErrorException) {
                line.getErr().println("xensim: modelling error: " + ex.getMessage());
                return EXIT_INTERNAL;
            }
            if (ex instanceof ClusterLostException) {
                line.getErr().println("xensim: " + ex.getMessage());
                return EXIT_INTERNAL;
            }
            line.getErr().println("xensim: internal error: " + ex);
            ex.printStackTrace(line.getErr());
            return EXIT_INTERNAL;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine line = ex.getCommandLine();
            line.getErr().println("xensim: " + ex.getMessage());
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, line.getErr())) {
                line.getErr().println("Try '" + line.getCommandSpec().qualifiedName() + " --help'.");
            }
            return EXIT_BAD_INPUT;
        });
        return cl;
    }

    public static void main(String[] args) {
        // bind SLF4J to Logback before any actor system logs concurrently (avoids the replay warning)
        org.slf4j.LoggerFactory.getILoggerFactory();
        System.exit(commandLine().execute(args));
    }
}
