package org.dapstream.cli;

import org.dapstream.client.FileTransfers;
import org.dapstream.files.FileTransferException;
import org.dapstream.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/**
 * {@code send HOST:PORT FILE...}: puts files (and directories, file by file under their
 * relative paths) into the node's directory over a FILE channel, with a progress line. A cut
 * transfer continues where it stopped when sent again.
 */
@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Sends files and directories into a node's directory (dap.stream.file.directory).",
            "Size, SHA-256, mode and modification time are checked and kept; sending a file again after a cut continues it."},
        footer = {"", "Exit status: 0 every file sent, 1 a file refused or the connection failed, 2 bad options."})
public final class Send implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FileLink link;

    @Parameters(index = "1..*", paramLabel = "FILE", arity = "1..*", description = "files or directories to send")
    List<Path> files;

    @Option(names = "--to", paramLabel = "DIR", description = "directory under the node's directory to put them in (default: its top)")
    String to = "";

    private final PrintStream out;
    private final PrintStream err;

    public Send() {
        this(System.out, System.err);
    }

    public Send(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** One file to send and the path it gets on the node. */
    record Item(Path local, String remote) {
    }

    @Override
    public Integer call() throws InterruptedException {
        List<Item> items = new ArrayList<>();
        for (Path f : files) {
            if (!Files.exists(f)) {
                throw new ParameterException(spec.commandLine(), "no such file or directory: " + f);
            }
            collect(f, items);
        }
        FileLink.Open open;
        try {
            open = link.open();
        } catch (IllegalStateException e) {
            err.println("send: " + e.getMessage());
            return Commands.EXIT_FAILED;
        }
        try (open) {
            FileTransfers transfers = open.transfers;
            int failed = 0;
            boolean live = Terminal.isTerminal();
            for (Item item : items) {
                TransferMeter meter = new TransferMeter(err, live, item.remote());
                long start = System.nanoTime();
                try {
                    FileTransfers.Result r = transfers.put(item.local(), item.remote(), meter::bytes).get();
                    meter.finish();
                    double seconds = (System.nanoTime() - start) / 1e9;
                    out.printf(Locale.ROOT, "sent %s (%d bytes%s) in %.2f s, %s/s%n", r.path(), r.size(),
                            r.resumedFrom() > 0 ? ", continued from " + r.resumedFrom() : "", seconds,
                            TransferMeter.size((long) ((r.size() - r.resumedFrom()) / Math.max(seconds, 1e-3))));
                } catch (ExecutionException e) {
                    meter.finish();
                    err.println("send: " + item.remote() + ": " + FileTransferException.of(e));
                    failed++;
                }
            }
            return failed == 0 ? Commands.EXIT_OK : Commands.EXIT_FAILED;
        }
    }

    private void collect(Path f, List<Item> items) {
        String base = to.isEmpty() || to.endsWith("/") ? to : to + "/";
        if (!Files.isDirectory(f)) {
            items.add(new Item(f, base + f.getFileName()));
            return;
        }
        Path parent = f.toAbsolutePath().normalize().getParent();
        try (java.util.stream.Stream<Path> walk = Files.walk(f)) {
            walk.filter(Files::isRegularFile).sorted().forEach(p -> items.add(new Item(p,
                    base + parent.relativize(p.toAbsolutePath().normalize()).toString().replace('\\', '/'))));
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "cannot read directory " + f + ": " + e.getMessage());
        }
    }
}
