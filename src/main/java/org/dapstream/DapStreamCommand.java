package org.dapstream;

import org.dapstream.bench.BenchCommand;
import org.dapstream.cli.ChannelCommand;
import org.dapstream.cli.Commands;
import org.dapstream.cli.Keygen;
import org.dapstream.cli.LocalCluster;
import org.dapstream.cli.Ping;
import org.dapstream.cli.Receive;
import org.dapstream.cli.Send;
import org.dapstream.cli.Status;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * The top of the command line: {@code dap-stream [COMMAND]}. Without a command it serves, as
 * the packaged application always did, so {@code java -jar quarkus-run.jar} and the container
 * image start a node. Only {@code serve} starts Quarkus: the tools are plain Java, start in
 * a fraction of a second, print nothing but their own output, and never touch a node's ports
 * or identity (docs/DECISIONS.md).
 */
@Command(name = Commands.PROGRAM, mixinStandardHelpOptions = true, versionProvider = Commands.Version.class,
        synopsisSubcommandLabel = "[COMMAND]",
        description = {"DAP Stream: secure, multi-channel node-to-node streaming.",
            "Without a command it runs the node (serve)."},
        footer = {"", "Run '" + Commands.PROGRAM + " COMMAND --help' for a command's options. Exit status: 0 done, 1 failed, "
                + "2 a wrong command line or usage asked for."})
final class DapStreamCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return new ServeCommand().call();
    }

    /** The whole command line, writing usage to {@code out} and errors to {@code err} (tools print their output there too). */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new DapStreamCommand());
        cl.addSubcommand(new ServeCommand());
        cl.addSubcommand(new Keygen(out, err));
        cl.addSubcommand(new BenchCommand(out, err));
        cl.addSubcommand(new Ping(out, err));
        cl.addSubcommand(new ChannelCommand(System.in, out, err));
        cl.addSubcommand(new Status(out, err));
        cl.addSubcommand(new Send(out, err));
        cl.addSubcommand(new Receive(out, err));
        cl.addSubcommand(new LocalCluster(out, err));
        return Commands.configure(cl, out, err);
    }
}
