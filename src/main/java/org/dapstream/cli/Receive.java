package org.dapstream.cli;

import org.dapstream.client.FileTransfers;
import org.dapstream.files.FileTransferException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/**
 * {@code receive HOST:PORT REMOTE}: gets a file from the node's directory over a FILE channel,
 * with a progress line; a get cut earlier continues from the partial file it left.
 */
@Command(name = "receive", mixinStandardHelpOptions = true,
        description = {"Gets a file from a node's directory (dap.stream.file.directory).",
            "Size and SHA-256 are checked, mode and modification time kept; receiving again after a cut continues it."},
        footer = {"", "Exit status: 0 received, 1 refused, not found or the connection failed, 2 bad options."})
public final class Receive implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FileLink link;

    @Parameters(index = "1", paramLabel = "REMOTE", description = "the file's path under the node's directory, '/'-separated")
    String remote;

    @Option(names = {"-o", "--out"}, paramLabel = "PATH", description = "where to write it (default: its name, here)")
    Path outPath;

    private final PrintStream out;
    private final PrintStream err;

    public Receive() {
        this(System.out, System.err);
    }

    public Receive(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws InterruptedException {
        Path local = outPath != null ? outPath : Path.of(remote.substring(remote.lastIndexOf('/') + 1));
        FileLink.Open open;
        try {
            open = link.open();
        } catch (IllegalStateException e) {
            err.println("receive: " + e.getMessage());
            return Commands.EXIT_FAILED;
        }
        try (open) {
            FileTransfers transfers = open.transfers;
            TransferMeter meter = new TransferMeter(err, Terminal.isTerminal(), remote);
            long start = System.nanoTime();
            try {
                FileTransfers.Result r = transfers.get(remote, local, meter::bytes).get();
                meter.finish();
                double seconds = (System.nanoTime() - start) / 1e9;
                out.printf(Locale.ROOT, "received %s into %s (%d bytes%s) in %.2f s%n", r.path(), local, r.size(),
                        r.resumedFrom() > 0 ? ", continued from " + r.resumedFrom() : "", seconds);
                return Commands.EXIT_OK;
            } catch (ExecutionException e) {
                meter.finish();
                err.println("receive: " + remote + ": " + FileTransferException.of(e));
                return Commands.EXIT_FAILED;
            }
        }
    }
}
