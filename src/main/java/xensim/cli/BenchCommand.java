package xensim.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import xensim.bench.BenchTable;
import xensim.bench.RawTellBench;
import xensim.platform.Mode;

/** {@code xensim bench}: performance figures as ratios measured in one run. */
@Command(name = "bench", description = "Measure performance (figures are ratios within one run).",
        subcommands = {BenchCommand.Akka.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "akka", description = "Raw Akka tell throughput on both runtimes (the baseline of every other figure).")
    static final class Akka implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--messages", defaultValue = "2000000", description = "messages per ping-pong pair (default ${DEFAULT-VALUE})")
        long messages;

        @Option(names = "--pairs", defaultValue = "2", description = "concurrent pairs (default ${DEFAULT-VALUE})")
        int pairs;

        @Override
        public Integer call() throws Exception {
            if (messages < 1 || pairs < 1) throw new BadInputException("--messages and --pairs must be >= 1");
            PrintWriter out = spec.commandLine().getOut();
            double threaded = RawTellBench.messagesPerSecond(Mode.THREADED, pairs, messages, 3);
            double det = RawTellBench.messagesPerSecond(Mode.DETERMINISTIC, pairs, messages, 3);
            new BenchTable("runtime", "msg/s", "ratio")
                    .row("threaded (Akka default dispatcher)", BenchTable.num(threaded), "1.00")
                    .row("deterministic (virtual-time executor)", BenchTable.num(det), String.format("%.2f", det / threaded))
                    .print(out);
            return Main.EXIT_CLEAN;
        }
    }
}
