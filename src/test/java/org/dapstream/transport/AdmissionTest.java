package org.dapstream.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.admission.AdmissionCap;
import org.dapstream.admission.HandshakeGate;
import org.dapstream.admission.StreamCaps;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.HandshakeOutcome;
import org.dapstream.stream.LocalNode;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamRole;
import org.dapstream.stream.StreamState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link Admission} alone: caps, setup slots, eviction, drain and the live-stream registry,
 * with streams on a {@link RecordingTransport} (no socket). Vert.x only runs the timers,
 * which the tests keep far away (a first-frame deadline of a minute, drains with nothing
 * left to wait for).
 */
class AdmissionTest {
    /** Longer than any test: the first-frame deadline never fires here. */
    private static final Duration NEVER = Duration.ofMinutes(1);
    private static final String A = "10.0.0.1";
    private static final String B = "10.0.1.1";

    private static Vertx vertx;
    private final StreamCounters counters = new StreamCounters();
    private final Sessions sessions = new Sessions();
    private final List<Admission> made = new ArrayList<>();

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void endStreams() {
        for (Admission a : made) {
            a.abortAll(ErrorCode.GOING_AWAY, "test over"); // cancels the first-frame timers
        }
    }

    private Admission admission(int maxStreams, int streamsPerAddress, int maxHandshakes, int handshakesPerAddress) {
        Admission a = new Admission(vertx, new HandshakeGate(maxHandshakes, handshakesPerAddress,
                Math.max(HandshakeGate.DEFAULT_MAX_PER_PREFIX, handshakesPerAddress), NEVER),
                new StreamCaps(maxStreams, streamsPerAddress), counters, true);
        made.add(a);
        return a;
    }

    /** What a transport does with an admitted ticket: the stream, built with the ticket's listener, started. */
    private Stream start(Admission.Ticket ticket) {
        assertNull(ticket.refusal(), "admitted");
        RecordingTransport transport = new RecordingTransport();
        Stream stream = new Stream(StreamRole.ACCEPTOR, transport, new LocalNode(StreamConfig.defaults(), StreamClock.SYSTEM,
                new ChannelRegistry(), sessions, NodeAddress.NONE, counters), ticket.listener());
        stream.start();
        ticket.started(stream);
        return stream;
    }

    private static CloseReason errorIn(byte[] frame) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(PacketType.ERROR.code(), b.get(FrameHeader.OFFSET_TYPE), "an ERROR frame");
        assertEquals(0, b.getShort(FrameHeader.OFFSET_CHANNEL), "on channel 0");
        assertEquals(frame.length - FrameHeader.SIZE, b.getInt(FrameHeader.OFFSET_SIZE), "one whole frame");
        return CloseReason.decode(b.position(FrameHeader.SIZE).slice());
    }

    @Test
    void theConnectionCapsRefuseWithResourceExhausted() throws Exception {
        Admission admission = admission(2, 1, 10, 10);
        start(admission.admit(A));
        Admission.Refusal perAddress = admission.admit(A).refusal();
        assertNotNull(perAddress);
        assertEquals(AdmissionCap.STREAMS_PER_ADDRESS, perAddress.cap());
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, errorIn(perAddress.frame()).errorCode());
        start(admission.admit(B));
        Admission.Refusal node = admission.admit("10.0.2.1").refusal();
        assertEquals(AdmissionCap.STREAMS, node.cap());
        assertEquals(1, counters.refused(AdmissionCap.STREAMS_PER_ADDRESS));
        assertEquals(1, counters.refused(AdmissionCap.STREAMS));
        assertEquals(2, counters.errorsSent(ErrorCode.RESOURCE_EXHAUSTED));
        assertEquals(2, admission.connections(), "refusals hold nothing");
        assertEquals(2, admission.handshakesInProgress());
        assertEquals(2, admission.streams().size());
    }

    @Test
    void aFullHandshakeCapRefusesWithHandshakeBusyAndGivesBackTheConnectionCount() throws Exception {
        Admission admission = admission(10, 10, 1, 1);
        Admission.Ticket first = admission.admit(A);
        start(first);
        first.proven(); // a proven slot is never evicted: the newcomer is refused
        Admission.Refusal busy = admission.admit(B).refusal();
        assertNotNull(busy);
        assertEquals(AdmissionCap.HANDSHAKES, busy.cap());
        CloseReason reason = errorIn(busy.frame());
        assertEquals(ErrorCode.HANDSHAKE_BUSY, reason.errorCode());
        assertTrue(reason.reason().contains("this node allows 1"), reason.reason());
        assertEquals(1, counters.refused(AdmissionCap.HANDSHAKES));
        assertEquals(1, counters.handshakes(HandshakeOutcome.REJECTED_BUSY), "a secure node counts the refusal as a handshake outcome");
        assertEquals(1, admission.connections(), "the refused connection's count was given back");
        assertThrows(IllegalStateException.class, () -> admission.admit(B).listener(), "a refusal has no stream to build");
    }

    @Test
    void aNewcomerEvictsTheOldestUnprovenConnection() {
        Admission admission = admission(10, 10, 1, 1);
        Stream old = start(admission.admit(A));
        Stream newcomer = start(admission.admit(A));
        assertEquals(StreamState.CLOSED, old.state(), "evicted");
        assertEquals(ErrorCode.HANDSHAKE_BUSY, old.closed().join().errorCode());
        assertEquals(Admission.EVICTED_REASON, old.closed().join().reason());
        assertEquals(StreamState.SETUP, newcomer.state());
        assertEquals(1, counters.evictions());
        assertEquals(List.of(newcomer), List.copyOf(admission.streams()));
        assertEquals(1, admission.connections(), "the evicted connection's count was given back");
    }

    @Test
    void aSlotAndACountAreReleasedOnceWhateverEndsTheStream() {
        Admission admission = admission(1, 1, 1, 1);
        Admission.Ticket ticket = admission.admit(A);
        Stream stream = start(ticket);
        stream.abort(ErrorCode.INTERNAL_ERROR, "ended by the test");
        assertEquals(0, admission.connections());
        assertEquals(0, admission.handshakesInProgress());
        assertTrue(admission.streams().isEmpty());
        // A second end (a late callback) must not count the connection out twice.
        ticket.listener().closed(stream, CloseReason.of(ErrorCode.CONNECTION_LOST, "again"));
        assertEquals(0, admission.connections());
        start(admission.admit(A));
        assertEquals(AdmissionCap.STREAMS, admission.admit(B).refusal().cap(), "the cap of one still holds");
    }

    @Test
    void aDrainEndsTheStreamsAndRefusesNewConnections() throws Exception {
        Admission admission = admission(10, 10, 10, 10);
        Stream inSetup = start(admission.admit(A));
        assertFalse(admission.draining());
        Admission.DrainOutcome outcome = admission.drain(Duration.ofSeconds(30), Duration.ofSeconds(30), s -> "")
                .get(5, TimeUnit.SECONDS);
        assertTrue(admission.draining());
        assertEquals(ErrorCode.GOING_AWAY, inSetup.closed().join().errorCode(), "a stream in setup ends at once");
        assertEquals(new Admission.DrainOutcome(1, 1, 0, 0), outcome);

        Stream late = start(admission.admit(B));
        assertEquals(StreamState.CLOSED, late.state(), "refused while draining");
        assertEquals(CloseReason.of(ErrorCode.GOING_AWAY, Admission.DRAIN_REASON), late.closed().join());
        assertEquals(0, admission.connections());
        assertEquals(0, admission.handshakesInProgress());
        assertTrue(admission.streams().isEmpty());
        assertTrue(admission.drain(Duration.ZERO, Duration.ZERO, s -> "").isDone(), "a second drain is the first one");
    }
}
