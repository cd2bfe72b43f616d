package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dapstream.protocol.NodeAddress;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Two {@link Stream}s back to back, a connector and an acceptor, each on its own
 * {@link FakeTransport}, sharing one clock and scheduler. {@link #pump()} carries committed
 * bytes across in both directions (holding them while the receiving side has paused reading)
 * until nothing moves: an end-to-end engine test with no socket.
 */
final class StreamPair {
    static final NodeAddress CONNECTOR_NODE = NodeAddress.parse("C0C0::0000::0000::0001");
    static final NodeAddress ACCEPTOR_NODE = NodeAddress.parse("ACAC::0000::0000::0002");
    /** Largest slice delivered in one onBytes call, like a socket read. */
    private static final int READ_CHUNK = 4096;

    final FakeClock clock = new FakeClock();
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final FakeTransport connectorTransport = new FakeTransport(scheduler);
    final FakeTransport acceptorTransport = new FakeTransport(scheduler);
    final StreamCounters connectorCounters = new StreamCounters();
    final StreamCounters acceptorCounters = new StreamCounters();
    final Sessions sessions = new Sessions(clock);
    /** Served by the acceptor: echo, discard, and {@link StreamHarness#APP}. */
    final ChannelRegistry acceptorServices = ChannelRegistry.withDiagnostics();
    /** Served by the connector: {@link StreamHarness#APP}. */
    final ChannelRegistry connectorServices = new ChannelRegistry();
    final RecordingHandler acceptorApp = new RecordingHandler();
    final RecordingHandler connectorApp = new RecordingHandler();
    final Stream connector;
    final Stream acceptor;
    private final ByteArrayOutputStream toAcceptor = new ByteArrayOutputStream();
    private final ByteArrayOutputStream toConnector = new ByteArrayOutputStream();

    StreamPair(StreamConfig connectorConfig, StreamConfig acceptorConfig) {
        this(connectorConfig, acceptorConfig, null, null);
    }

    /** With security on both sides (or either: null for a plaintext side). */
    StreamPair(StreamConfig connectorConfig, StreamConfig acceptorConfig, StreamSecurity connectorSecurity, StreamSecurity acceptorSecurity) {
        acceptorServices.register(StreamHarness.APP, acceptorApp);
        connectorServices.register(StreamHarness.APP, connectorApp);
        connector = new Stream(StreamRole.CONNECTOR, connectorTransport, new LocalNode(connectorConfig, clock, connectorServices, null,
                CONNECTOR_NODE, connectorCounters, connectorSecurity), null);
        acceptor = new Stream(StreamRole.ACCEPTOR, acceptorTransport, new LocalNode(acceptorConfig, clock, acceptorServices, sessions,
                ACCEPTOR_NODE, acceptorCounters, acceptorSecurity), null);
        acceptor.start();
        connector.start();
    }

    StreamPair() {
        this(StreamConfig.defaults(), StreamConfig.defaults());
    }

    /** Started and set up: both streams ACTIVE. */
    static StreamPair active() {
        StreamPair p = new StreamPair();
        p.pump();
        assertEquals(StreamState.ACTIVE, p.connector.state());
        assertEquals(StreamState.ACTIVE, p.acceptor.state());
        return p;
    }

    /**
     * A channel the connector opened, kept and acknowledged as on a stream that agreed ACKS and
     * RESUMPTION: what it writes is kept in {@code store} until the peer acknowledges it.
     */
    Channel openKeptChannel(SessionStore store) {
        CompletableFuture<Channel> opened = connector.openChannel(StreamHarness.APP, new RecordingHandler());
        pump();
        Channel ch = Futures.done(opened);
        connector.acks.agree();
        connector.acks.useStore(store);
        ch.retained = new RetainedMessages();
        return ch;
    }

    /** Sees (and may change) every chunk of bytes on its way to the acceptor, before delivery; null: none. */
    java.util.function.UnaryOperator<byte[]> towardAcceptor;
    /** Likewise toward the connector. */
    java.util.function.UnaryOperator<byte[]> towardConnector;

    /** Moves bytes both ways, and runs queued loop tasks, until nothing is left to move. */
    void pump() {
        for (int round = 0; round < 100_000; round++) {
            boolean moved = connectorTransport.runPending() + acceptorTransport.runPending() > 0;
            // Take what a side sent just before delivering it, so a side that sent its last
            // frame and closed is seen to close only after that frame arrived.
            toAcceptor.writeBytes(intercept(towardAcceptor, connectorTransport.takeSent()));
            moved |= deliver(toAcceptor, acceptor, acceptorTransport, connectorTransport);
            toConnector.writeBytes(intercept(towardConnector, acceptorTransport.takeSent()));
            moved |= deliver(toConnector, connector, connectorTransport, acceptorTransport);
            if (!moved) {
                return;
            }
        }
        throw new AssertionError("the streams never went quiet");
    }

    private static byte[] intercept(java.util.function.UnaryOperator<byte[]> tap, byte[] bytes) {
        return tap == null || bytes.length == 0 ? bytes : tap.apply(bytes);
    }

    /** Delivers what {@code from} sent, a read at a time, while {@code to} is open and reading. */
    private static boolean deliver(ByteArrayOutputStream pending, Stream to, FakeTransport toTransport, FakeTransport fromTransport) {
        byte[] bytes = pending.toByteArray();
        int at = 0;
        while (at < bytes.length && !toTransport.paused() && !toTransport.closed()) {
            int n = Math.min(READ_CHUNK, bytes.length - at);
            to.onBytes(ByteBuffer.wrap(Arrays.copyOfRange(bytes, at, at + n)));
            at += n;
        }
        if (toTransport.closed()) {
            at = bytes.length; // a closed connection reads nothing more
        }
        pending.reset();
        pending.write(bytes, at, bytes.length - at);
        // A transport that closed (ours or the other side's) ends the connection for both.
        if (fromTransport.closed() && !toTransport.closed() && pending.size() == 0) {
            to.onTransportClosed();
        }
        return at > 0;
    }

    /** Bytes one side sent that the other has not read (held while it paused reading). */
    int heldForAcceptor() {
        return toAcceptor.size();
    }

    /** Advances time in {@code stepMillis} steps, pumping after each. */
    void run(Duration d, long stepMillis) {
        long steps = d.toMillis() / stepMillis;
        for (long i = 0; i < steps; i++) {
            scheduler.advanceMillis(stepMillis);
            pump();
        }
    }

    void assertTransportsUsedCorrectly() {
        assertEquals(List.of(), connectorTransport.misuse(), "connector transport");
        assertEquals(List.of(), acceptorTransport.misuse(), "acceptor transport");
    }
}
