package org.dapstream.cli;

import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code channel HOST:PORT --type T}: a channel to type into. Opens one channel of the given
 * type, sends each line read from stdin as one DATA message (UTF-8, without the line end) and
 * prints every message that comes back, as text when it is UTF-8 and as hex otherwise. End of
 * input (Ctrl-D) closes the channel, waiting up to {@code --linger} for what is still in
 * flight; the node closing it ends the command.
 */
@Command(name = "channel", mixinStandardHelpOptions = true,
        description = {"Opens a channel on a node: stdin lines go out as messages, what comes back is printed.",
            "Each line is one DATA message (UTF-8); answers print as text, or as hex when not UTF-8. Ctrl-D closes it."},
        footer = {"", "Exit status: 0 closed normally, 1 no connection or the channel refused or broken, 2 bad options."})
public final class ChannelCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "the node's stream endpoint (port " + HostPort.DEFAULT_STREAM_PORT + " when left out)")
    HostPort target;

    @Option(names = {"-t", "--type"}, paramLabel = "TYPE", converter = TypeConverter.class,
            description = "echo (default), discard, file, service, media, or a custom type's number (16..255, or 0x10..0xff)")
    ChannelType type = ChannelType.ECHO;

    @Option(names = "--plaintext", description = "no handshake and no encryption (the node must allow plaintext streams)")
    boolean plaintext;

    @Option(names = {"-W", "--timeout"}, paramLabel = "D", converter = Durations.class,
            description = "how long the connection, the handshake and the channel's opening may take (default 5s)")
    Duration timeout = Duration.ofSeconds(5);

    @Option(names = "--linger", paramLabel = "D", converter = Durations.class,
            description = "after the end of input, how long answers still in flight may take before the channel closes (default 1s)")
    Duration linger = Duration.ofSeconds(1);

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    public ChannelCommand() {
        this(System.in, System.out, System.err);
    }

    public ChannelCommand(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws InterruptedException, IOException {
        NodeContact.quietLogging();
        try (StreamClient client = new StreamClient(plaintext ? ClientOptions.plaintext() : ClientOptions.defaults())) {
            Stream stream;
            try {
                stream = client.connect(target.host(), target.port()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                err.println("channel: " + NodeContact.why(target, e));
                return Commands.EXIT_FAILED;
            }
            err.println("connected to " + target + ": " + NodeContact.describe(stream));
            try {
                return converse(stream);
            } finally {
                stream.close();
            }
        }
    }

    private int converse(Stream stream) throws InterruptedException, IOException {
        Channel channel;
        try {
            channel = stream.openChannel(type, new Printer()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            err.println("channel: the node did not open a " + type + " channel: " + NodeContact.reason(e)
                    + " (is a service for that type registered on the node?)");
            return Commands.EXIT_FAILED;
        }
        err.println("channel " + type + " open; each line is one message, Ctrl-D closes");
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = lines.readLine()) != null) {
            if (channel.closed().isDone()) {
                break;
            }
            try {
                channel.send(PacketType.DATA, line.getBytes(StandardCharsets.UTF_8)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                err.println("channel: sending failed: " + NodeContact.reason(e));
                return Commands.EXIT_FAILED;
            }
        }
        if (!channel.closed().isDone()) {
            // Answers to the last lines may still be on their way: give them --linger, then close.
            try {
                channel.closed().get(linger.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                channel.close();
            }
        }
        try {
            CloseReason reason = channel.closed().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            err.println("channel closed: " + reason);
            return reason.errorCode() == ErrorCode.NORMAL ? Commands.EXIT_OK : Commands.EXIT_FAILED;
        } catch (ExecutionException | TimeoutException e) {
            err.println("channel: did not close within " + timeout.toMillis() + " ms: " + NodeContact.reason(e));
            return Commands.EXIT_FAILED;
        }
    }

    /** Prints each message that arrives, on its own line. */
    private final class Printer implements ChannelHandler {
        @Override
        public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
            out.println(type == PacketType.DATA ? text(data) : type + " " + HexFormat.of().formatHex(bytes(data)));
            out.flush();
        }
    }

    /** The message as text when it is UTF-8, else {@code hex:} and its bytes. */
    static String text(ByteBuffer data) {
        byte[] b = bytes(data);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return chars.toString();
        } catch (CharacterCodingException e) {
            return "hex:" + HexFormat.of().formatHex(b);
        }
    }

    private static byte[] bytes(ByteBuffer data) {
        byte[] b = new byte[data.remaining()];
        data.duplicate().get(b);
        return b;
    }

    /** {@code --type}: a name of a built-in type, or a custom type's number. */
    static final class TypeConverter implements ITypeConverter<ChannelType> {
        @Override
        public ChannelType convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            switch (v) {
                case "echo":
                    return ChannelType.ECHO;
                case "discard":
                    return ChannelType.DISCARD;
                case "file":
                    return ChannelType.FILE;
                case "service":
                    return ChannelType.SERVICE;
                case "media":
                    return ChannelType.MEDIA;
                default:
                    break;
            }
            int code;
            try {
                code = v.startsWith("0x") ? Integer.parseInt(v.substring(2), 16) : Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a channel type: echo, discard, file, service, media, "
                        + "or a custom type's number 16..255");
            }
            if (code < ChannelType.FIRST_CUSTOM || code > 0xFF) {
                throw new TypeConversionException("'" + value + "' is not a custom channel type: custom types are 16..255 (0x10..0xff)");
            }
            return ChannelType.custom(code);
        }
    }
}
