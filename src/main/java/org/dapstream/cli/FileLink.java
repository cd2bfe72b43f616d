package org.dapstream.cli;

import org.dapstream.client.ClientOptions;
import org.dapstream.client.FileTransfers;
import org.dapstream.client.StreamClient;
import org.dapstream.files.FileIo;
import org.dapstream.stream.Stream;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What {@code send} and {@code receive} share: the node to reach (a picocli mixin of the
 * endpoint, timeout and plaintext options) and, once opened, the connection with its FILE
 * channel, closed together.
 */
public final class FileLink {
    @Parameters(index = "0", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "the node's stream endpoint (port " + HostPort.DEFAULT_STREAM_PORT + " when left out)")
    HostPort target;

    @Option(names = {"-W", "--timeout"}, paramLabel = "D", converter = Durations.class,
            description = "how long the connection and the handshake may take (default 5s)")
    Duration timeout = Duration.ofSeconds(5);

    @Option(names = "--plaintext", description = "no handshake and no encryption (the node must allow plaintext streams)")
    boolean plaintext;

    /** An open connection and its FILE channel. */
    static final class Open implements AutoCloseable {
        private final StreamClient client;
        private final FileIo io;
        private final Stream stream;
        final FileTransfers transfers;

        private Open(StreamClient client, FileIo io, Stream stream, FileTransfers transfers) {
            this.client = client;
            this.io = io;
            this.stream = stream;
            this.transfers = transfers;
        }

        @Override
        public void close() {
            stream.close();
            io.close();
            client.close();
        }
    }

    /**
     * Connects and opens a FILE channel.
     *
     * @throws IllegalStateException with what went wrong, in a tool's words, when it could not
     */
    Open open() throws InterruptedException {
        NodeContact.quietLogging();
        StreamClient client = new StreamClient(plaintext ? ClientOptions.plaintext() : ClientOptions.defaults());
        FileIo io = new FileIo(FileIo.DEFAULT_THREADS);
        try {
            Stream stream = client.connect(target.host(), target.port()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            FileTransfers transfers = FileTransfers.open(stream, io).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Open(client, io, stream, transfers);
        } catch (ExecutionException | TimeoutException e) {
            io.close();
            client.close();
            throw new IllegalStateException(NodeContact.why(target, e) + (String.valueOf(e.getMessage()).contains("UNSUPPORTED_CHANNEL_TYPE")
                    ? " (the node serves no FILE channels: set dap.stream.file.directory there)" : ""), e);
        }
    }
}
