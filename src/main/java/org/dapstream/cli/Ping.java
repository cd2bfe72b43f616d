package org.dapstream.cli;

import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ping HOST:PORT}: is a node there, and who is it? Connects, runs the handshake (secure
 * unless {@code --plaintext}), prints the node's address, the cipher suite and the peer's
 * signature algorithm, then times {@code --count} round trips over an ECHO channel, one every
 * {@code --interval}, as ping(8) does. Exit 0 when every echo came back, 1 otherwise.
 */
@Command(name = "ping", mixinStandardHelpOptions = true,
        description = {"Connects to a node, prints its address and cipher suite and times round trips.",
            "The round trips go over an ECHO channel, one every --interval, as ping(8) does."},
        footer = {"", "Exit status: 0 every echo came back, 1 no connection or an echo missing, 2 bad options."})
public final class Ping implements Callable<Integer> {
    public static final int DEFAULT_COUNT = 4;
    /** As many as one can read; a longer look is bench's job. */
    public static final int MAX_COUNT = 10_000;
    /** Room for the sequence number each echo carries. */
    public static final int MIN_SIZE = Long.BYTES;
    /** One frame's payload, so a ping is never fragmented. */
    public static final int MAX_SIZE = 65_536;
    public static final int DEFAULT_SIZE = 64;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "the node's stream endpoint (port " + HostPort.DEFAULT_STREAM_PORT + " when left out)")
    HostPort target;

    @Option(names = {"-c", "--count"}, paramLabel = "N", description = "round trips, 1.." + MAX_COUNT + " (default " + DEFAULT_COUNT + ")")
    int count = DEFAULT_COUNT;

    @Option(names = {"-i", "--interval"}, paramLabel = "D", converter = Durations.class,
            description = "time between round trips, e.g. 200ms, 1s (default 1s)")
    Duration interval = Duration.ofSeconds(1);

    @Option(names = {"-s", "--size"}, paramLabel = "BYTES",
            description = "payload of each echo, " + MIN_SIZE + ".." + MAX_SIZE + " (default " + DEFAULT_SIZE + ")")
    int size = DEFAULT_SIZE;

    @Option(names = {"-W", "--timeout"}, paramLabel = "D", converter = Durations.class,
            description = "how long the connection, the handshake and each echo may take (default 5s)")
    Duration timeout = Duration.ofSeconds(5);

    @Option(names = "--plaintext", description = "no handshake and no encryption (the node must allow plaintext streams)")
    boolean plaintext;

    private final PrintStream out;
    private final PrintStream err;

    public Ping() {
        this(System.out, System.err);
    }

    public Ping(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (count < 1 || count > MAX_COUNT) {
            throw new ParameterException(spec.commandLine(), "--count must be 1.." + MAX_COUNT + ", got " + count);
        }
        if (size < MIN_SIZE || size > MAX_SIZE) {
            throw new ParameterException(spec.commandLine(), "--size must be " + MIN_SIZE + ".." + MAX_SIZE + ", got " + size);
        }
        if (timeout.isZero()) {
            throw new ParameterException(spec.commandLine(), "--timeout must be longer than 0, got 0");
        }
        NodeContact.quietLogging();
        try (StreamClient client = new StreamClient(plaintext ? ClientOptions.plaintext() : ClientOptions.defaults())) {
            long start = System.nanoTime();
            Stream stream;
            try {
                stream = client.connect(target.host(), target.port()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                err.println("ping: " + NodeContact.why(target, e));
                return Commands.EXIT_FAILED;
            }
            out.printf(Locale.ROOT, "connected to %s in %.1f ms: %s%n", target, (System.nanoTime() - start) / 1e6, NodeContact.describe(stream));
            try {
                return echoes(stream);
            } finally {
                stream.close();
            }
        }
    }

    /** Times the round trips; the exit status. */
    private int echoes(Stream stream) throws InterruptedException {
        AtomicReference<CompletableFuture<Long>> pending = new AtomicReference<>();
        Channel channel;
        try {
            channel = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
                @Override
                public void packetIn(Channel ch, PacketType type, ByteBuffer data) {
                    CompletableFuture<Long> f = pending.get();
                    if (f != null && data.remaining() >= Long.BYTES) {
                        f.complete(data.getLong(data.position()));
                    }
                }
            }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            err.println("ping: the node did not open an ECHO channel (" + NodeContact.reason(e)
                    + "); it answered the handshake, so it is up");
            return Commands.EXIT_FAILED;
        }
        double min = Double.MAX_VALUE;
        double max = 0;
        double sum = 0;
        int received = 0;
        byte[] payload = new byte[size];
        for (long seq = 1; seq <= count; seq++) {
            if (seq > 1) {
                Thread.sleep(interval.toMillis());
            }
            CompletableFuture<Long> answer = new CompletableFuture<>();
            pending.set(answer);
            ByteBuffer.wrap(payload).putLong(0, seq);
            long sent = System.nanoTime();
            channel.write(PacketType.DATA, payload.clone());
            try {
                long echoed = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                double ms = (System.nanoTime() - sent) / 1e6;
                if (echoed != seq) {
                    out.printf(Locale.ROOT, "echo %d: answer to %d instead%n", seq, echoed);
                    continue;
                }
                received++;
                min = Math.min(min, ms);
                max = Math.max(max, ms);
                sum += ms;
                out.printf(Locale.ROOT, "echo %d: %d bytes, rtt %.3f ms%n", seq, size, ms);
            } catch (ExecutionException | TimeoutException e) {
                out.printf(Locale.ROOT, "echo %d: no answer within %d ms%n", seq, timeout.toMillis());
            }
        }
        channel.close();
        if (received == 0) {
            out.printf(Locale.ROOT, "%d sent, 0 echoed%n", count);
            return Commands.EXIT_FAILED;
        }
        out.printf(Locale.ROOT, "%d sent, %d echoed; rtt min/avg/max = %.3f/%.3f/%.3f ms%n", count, received, min, sum / received, max);
        return received == count ? Commands.EXIT_OK : Commands.EXIT_FAILED;
    }
}
