package org.dapstream.stream;

import static org.dapstream.stream.Futures.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.FrameLimits;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One {@link Stream} on a {@link FakeTransport} with a {@link Peer} on the other side, a
 * {@link FakeClock} and a {@link ManualScheduler}: the whole engine, no sockets, no sleeps.
 */
final class StreamHarness {
    static final NodeAddress LOCAL = NodeAddress.parse("0A0B::0C0D::0E0F::1011");
    /** A custom channel type the harness registers with {@link #service}. */
    static final ChannelType APP = ChannelType.custom(0x42);
    /** Another custom type, served by {@link #service2}. */
    static final ChannelType APP2 = ChannelType.custom(0x43);
    /** A session id a peer acceptor hands out in WELCOME. */
    static final int PEER_SESSION = 0x5E55_1011;

    final FakeClock clock = new FakeClock();
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final FakeTransport transport = new FakeTransport(scheduler);
    final StreamCounters counters = new StreamCounters();
    final Sessions sessions = new Sessions(clock);
    final ChannelRegistry services = new ChannelRegistry();
    /** Serves {@link #APP} channels the peer opens. */
    final RecordingHandler service = new RecordingHandler();
    /** Serves {@link #APP2} channels the peer opens. */
    final RecordingHandler service2 = new RecordingHandler();
    /** "active" and "closed REASON" from the stream's listener. */
    final List<String> lifecycle = new ArrayList<>();
    final StreamRole role;
    final StreamConfig config;
    final Stream stream;
    final Peer peer;

    /** Harnesses made on this thread since the last {@link #checkAllAndForget()}. */
    private static final ThreadLocal<List<StreamHarness>> MADE = ThreadLocal.withInitial(ArrayList::new);

    private StreamHarness(StreamRole role, StreamConfig config) {
        MADE.get().add(this);
        this.role = role;
        this.config = config;
        services.register(APP, service).register(APP2, service2);
        stream = new Stream(role, transport, new LocalNode(config, clock, services, role == StreamRole.ACCEPTOR ? sessions : null,
                LOCAL, counters), new StreamListener() {
                    @Override
                    public void active(Stream s) {
                        lifecycle.add("active");
                    }

                    @Override
                    public void closed(Stream s, CloseReason reason) {
                        lifecycle.add("closed " + reason);
                    }
                });
        peer = new Peer(stream, transport);
    }

    /** The defaults of {@link StreamConfig}: keepalive every 1 s, timeout 3 s, setup 5 s. */
    static StreamConfig defaults() {
        return StreamConfig.defaults();
    }

    /**
     * Windows that never grow, explicitly (the default too): for tests that pin the grant
     * arithmetic (every grant is half a window). With growth on, the manual clock, which does
     * not move between grants, would make every grant look fast; WindowGrowthTest tests that.
     */
    static StreamConfig fixedWindows() {
        FlowConfig flow = FlowConfig.defaults();
        return StreamConfig.defaults().withFlow(flow.withMaxWindows(flow.channelWindow(), flow.streamWindow()));
    }

    static StreamConfig config(int maxChannels, int writeHighWater) {
        return new StreamConfig(FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD, StreamConfig.DEFAULT_KEEPALIVE_INTERVAL,
                StreamConfig.DEFAULT_KEEPALIVE_TIMEOUT, StreamConfig.DEFAULT_SETUP_TIMEOUT, maxChannels,
                writeHighWater, FlowConfig.defaults());
    }

    /** An accepting stream, started (timers armed), still in setup. */
    static StreamHarness acceptor() {
        return acceptor(defaults());
    }

    static StreamHarness acceptor(StreamConfig config) {
        StreamHarness h = new StreamHarness(StreamRole.ACCEPTOR, config);
        h.stream.start();
        return h;
    }

    /** A connecting stream, started: its HELLO is waiting for the peer. */
    static StreamHarness connector() {
        return connector(defaults());
    }

    static StreamHarness connector(StreamConfig config) {
        StreamHarness h = new StreamHarness(StreamRole.CONNECTOR, config);
        h.stream.start();
        return h;
    }

    /** An accepting stream after HELLO/WELCOME; the peer's inbox is empty. */
    static StreamHarness activeAcceptor() {
        return activeAcceptor(defaults());
    }

    static StreamHarness activeAcceptor(StreamConfig config) {
        StreamHarness h = acceptor(config);
        h.peer.handshakeAsConnector();
        assertEquals(StreamState.ACTIVE, h.stream.state());
        return h;
    }

    /** A connecting stream after HELLO/WELCOME (peer timeout 3 s); the peer's inbox is empty. */
    static StreamHarness activeConnector() {
        return activeConnector(defaults());
    }

    static StreamHarness activeConnector(StreamConfig config) {
        StreamHarness h = connector(config);
        h.peer.handshakeAsAcceptor(PEER_SESSION, 3000);
        assertEquals(StreamState.ACTIVE, h.stream.state());
        h.peer.expectNothing();
        return h;
    }

    /** The peer opens {@code ch} of {@link #APP}; returns the stream's channel after OPEN_ACK. */
    Channel peerOpens(int ch) {
        return peerOpens(ch, APP, service);
    }

    Channel peerOpens(int ch, ChannelType type, RecordingHandler handler) {
        peer.open(ch, type);
        Frame ack = peer.next();
        assertEquals(new ControlMessage.OpenAck(ch), ack.control(), () -> "answer to OPEN_CHANNEL " + ch);
        return handler.channel(ch);
    }

    /** The stream opens a channel of {@code type}; the peer acknowledges it. */
    Channel openLocally(ChannelType type, ChannelHandler handler) {
        CompletableFuture<Channel> f = stream.openChannel(type, handler);
        Frame open = peer.only(PacketType.CONTROL, 0);
        ControlMessage.OpenChannel msg = (ControlMessage.OpenChannel) open.control();
        assertEquals(type, msg.type());
        peer.ack(msg.channelId());
        assertTrue(f.isDone(), "OPEN_ACK completes the open");
        return done(f);
    }

    void advance(Duration d) {
        scheduler.advance(d);
    }

    void advanceMillis(long ms) {
        scheduler.advanceMillis(ms);
    }

    /** Checks the transport of every harness made on this thread since the last call, then forgets them. */
    static void checkAllAndForget() {
        List<StreamHarness> made = new ArrayList<>(MADE.get());
        MADE.get().clear();
        for (StreamHarness h : made) {
            h.assertTransportUsedCorrectly();
        }
    }

    /** The transport was used by the contract throughout (call at the end of a test). */
    void assertTransportUsedCorrectly() {
        assertEquals(List.of(), transport.misuse(), "StreamTransport contract violations");
    }
}
