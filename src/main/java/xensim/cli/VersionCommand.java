package xensim.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code xensim version}: the tool's, Akka's and Java's versions. */
@Command(name = "version", description = "Print the version of xensim, Akka and Java.")
public final class VersionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        for (String line : new VersionProvider().getVersion()) spec.commandLine().getOut().println(line);
        return Main.EXIT_CLEAN;
    }
}
