package org.dapstream.bench;

import org.dapstream.cli.Commands;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bench [options]}: the load generator's command line. Picocli splits it into options
 * ({@code --name value} or {@code --name=value}) and refuses unknown, repeated and valueless
 * ones; {@link BenchOptions#from} checks the values and their combination, with messages that
 * name the option and the value. The option names are those of docs/BENCHMARKS.md.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures throughput or latency of an embedded node or of --target, one line per phase.",
            "Progress goes to stderr each second (a live line on a terminal); results go to stdout."},
        footer = {"", "Exit status: 0 done, 1 the run failed, 2 bad options."})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--target", paramLabel = "HOST:PORT", description = "node to load (default: embedded server on 127.0.0.1, random port)")
    String target;
    @Option(names = "--connections", paramLabel = "N",
            description = "connections; handshake: concurrent connectors (default 1, handshake 8; max 1024)")
    String connections;
    @Option(names = "--channels", paramLabel = "N", description = "channels per connection, one producer each (default 1, max 1024)")
    String channels;
    @Option(names = "--size", paramLabel = "BYTES", description = "message payload (default 64, 1..65536; pingpong needs >= 8)")
    String size;
    @Option(names = "--duration", paramLabel = "D", description = "measured time, e.g. 500ms, 10s, 1m (default 10s)")
    String duration;
    @Option(names = "--warmup", paramLabel = "D", description = "time before measuring (default 2s)")
    String warmup;
    @Option(names = "--count", paramLabel = "N", description = "measure N messages instead of a duration")
    String count;
    @Option(names = "--rate", paramLabel = "N",
            description = {"messages/s over all channels, 0 = unlimited (default 0); handshake: setups started per second",
                "(open loop, --connections in flight at most, default 64; a setup due beyond that is skipped and counted);",
                "broadcast: publishes/s, paced in 1 ms ticks"})
    String rate;
    @Option(names = {"--mode", "--workload"}, paramLabel = "MODE",
            description = {"oneway|pingpong|handshake|broadcast: throughput to a discard channel, echo latency, stream setups",
                "per second (each connector loops connect -> ready -> close), or broadcast across a cluster of member nodes",
                "in this JVM: one publisher session on node 0, --members sessions spread over the nodes (default oneway)"})
    String mode;
    @Option(names = "--nodes", paramLabel = "N",
            description = "broadcast: member nodes, each with its own cluster port, client port and identity (default 3, max 16)")
    String nodes;
    @Option(names = "--members", paramLabel = "N", description = "broadcast: member sessions (default 30, max 1024)")
    String members;
    @Option(names = "--in-flight", paramLabel = "auto|off|N",
            description = {"broadcast: messages published beyond what the slowest member has received; auto = 512 KiB of",
                "messages, half a member's send buffer, so no member gets a gap; off = the node's back-pressure alone"})
    String inFlight;
    @Option(names = "--transport", paramLabel = "stream|raw|both|websocket|stream+websocket",
            description = {"DAP Stream, the raw-socket baseline, or raw then stream with the ratio stream/raw (default stream; raw needs",
                "the embedded server); websocket: DAP Stream over WebSocket (with --target, the node's HTTP port; path /stream);",
                "stream+websocket: TCP then WebSocket with the ratio websocket/stream"})
    String transport;
    @Option(names = "--server-loops", paramLabel = "N", description = "event loops of the embedded server (default 1)")
    String serverLoops;
    @Option(names = "--client-loops", paramLabel = "N", description = "event loops of the client (default 1)")
    String clientLoops;
    @Option(names = "--security", paramLabel = "on|off|both",
            description = {"secure handshake and AES-256-GCM frames, plaintext, or plaintext then secure with the ratio",
                "secure/plaintext (default on; the raw baseline is always plaintext; both needs --transport stream)"})
    String security;
    @Option(names = "--identity", paramLabel = "ml-dsa-65|ed25519", description = "signature algorithm of the generated identities (default ml-dsa-65)")
    String identity;
    @Option(names = "--payload", paramLabel = "random|json|pattern",
            description = "message content: incompressible random bytes, JSON log lines, or the bytes 0..255 repeated (default random)")
    String payload;
    @Option(names = "--link-rate", paramLabel = "BYTES",
            description = "bytes/s each client stream may put on the wire (a stream rate limit standing for a slower link; 0 = none, the default)")
    String linkRate;
    @Option(names = "--compression", paramLabel = "on|off|both",
            description = "channels offer adaptive LZ4 (the product default), do not, or off then on with the ratio compressed/uncompressed (default on)")
    String compression;
    @Option(names = "--acks", paramLabel = "on|off|both",
            description = {"the client offers acknowledgements (each side keeps what it wrote until the other acknowledges it),",
                "does not (the client's default), or off then on with the ratio acknowledged/unacknowledged; secure streams only"})
    String acks;
    @Option(names = "--writes", paramLabel = "copied|given",
            description = {"one-way producers write their message (the stream copies what it keeps beyond the call; the default)",
                "or give it (Channel.give: the stream keeps the producer's unchanging array itself)"})
    String writes;
    @Option(names = "--compression-goal", paramLabel = "throughput|bytes",
            description = "what compressing channels optimise while held back: payload per second (the product default) or bytes on the wire")
    String compressionGoal;
    @Option(names = "--hgrm", paramLabel = "FILE",
            description = {"write the latency histogram (HdrHistogram percentile distribution, microseconds) there;",
                "pingpong, handshake and broadcast; a run of two phases writes FILE's name with -PHASE before the extension"})
    Path hgrm;
    @Option(names = "--html", paramLabel = "FILE",
            description = "write an HTML report there: the options, the result lines and the latency percentile plot (inline SVG)")
    Path html;

    private final PrintStream out;
    private final PrintStream err;

    public BenchCommand() {
        this(System.out, System.err);
    }

    public BenchCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        BenchOptions options = options(spec.commandLine().getParseResult());
        BenchReports reports = new BenchReports(hgrm, html);
        String problem = reports.problem(options);
        if (problem != null) {
            throw new ParameterException(spec.commandLine(), problem);
        }
        return Bench.run(options, reports, Progress.to(err), out, err);
    }

    /** The checked options of a parsed command line; a wrong value or combination is a {@link ParameterException}. */
    BenchOptions options(ParseResult parsed) {
        Map<String, String> given = new LinkedHashMap<>();
        for (OptionSpec o : parsed.matchedOptions()) {
            String name = o.names()[0]; // --workload is --mode, as the workload is called in result lines
            if (!name.equals("--hgrm") && !name.equals("--html") && !o.usageHelp() && !o.versionHelp()) {
                given.put(name, parsed.matchedOptionValue(name, ""));
            }
        }
        try {
            return BenchOptions.from(given);
        } catch (OptionException e) {
            throw new ParameterException(parsed.commandSpec().commandLine(), e.getMessage());
        }
    }

    /** The options of {@code bench ARGS}, as the command would run them. */
    static BenchOptions parse(String... args) {
        BenchCommand command = new BenchCommand();
        CommandLine cl = new CommandLine(command);
        return command.options(cl.parseArgs(args));
    }

    /** Runs {@code bench} with the arguments after the word; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Commands.execute(new BenchCommand(out, err), out, err, args);
    }
}
