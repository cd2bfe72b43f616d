package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.SplitInput;
import org.junit.jupiter.api.AfterEach;

import java.util.List;
import java.util.function.Supplier;

/**
 * Fuzzes the stream engine on bytes: a {@link Stream} on the test {@link FakeTransport}
 * ({@link StreamHarness}) is put in a state, then fed the fuzzer's bytes in the fuzzer's
 * reads ({@link SplitInput}), the fake clock advancing between reads by the read's pause
 * (in units of {@link #PAUSE_UNIT_MILLIS}, so keepalive and setup deadlines are reached).
 *
 * <p>Whatever the bytes, the stream must either keep running or end with one ERROR on ch 0
 * carrying a defined code that is not INTERNAL_ERROR (the code the engine uses when it
 * caught an exception of its own) nor HANDLER_FAILED (the harness's handlers never throw),
 * send nothing after that ERROR, send only frames that decode, use the transport by its
 * contract, and let no exception out of onBytes.
 *
 * <p>Each target is one method: make a harness in the state to fuzz, then
 * {@link #feedAndCheck}. The secure handshake's reader becomes one more such method.
 * Option bit 0 of the input gives the stream small limits (2 channels, 1 KiB channel
 * buffers and write high-water mark) so RESOURCE_EXHAUSTED and back-pressure are reachable.
 */
class StreamFuzzTest {
    /** Fake-clock time per unit of a read's pause: 0..255 units is 0..12.75 s, past every deadline. */
    static final int PAUSE_UNIT_MILLIS = 50;
    private static final int SMALL_MAX_CHANNELS = 2;
    private static final int SMALL_BUFFER = 1024; // the least StreamConfig allows

    /** An accepting stream after HELLO/WELCOME: channel opens, data, keepalive, close, errors. */
    @FuzzTest
    void activeAcceptor(byte[] input) {
        SplitInput split = SplitInput.parse(input);
        feedAndCheck(() -> withEcho(StreamHarness.activeAcceptor(config(split))), split);
    }

    /** An accepting stream from its first byte: the stream setup (HELLO) reader. */
    @FuzzTest
    void setupAcceptor(byte[] input) {
        SplitInput split = SplitInput.parse(input);
        feedAndCheck(() -> withEcho(StreamHarness.acceptor(config(split))), split);
    }

    /** A connecting stream that sent HELLO and reads the peer's answer and what follows. */
    @FuzzTest
    void setupConnector(byte[] input) {
        SplitInput split = SplitInput.parse(input);
        feedAndCheck(() -> {
            StreamHarness h = withEcho(StreamHarness.connector(config(split)));
            h.peer.only(PacketType.CONTROL, 0); // our HELLO
            return h;
        }, split);
    }

    @AfterEach
    void forgetHarnesses() {
        // A fuzzing run makes millions of harnesses on this thread; the checks ran in feedAndCheck.
        StreamHarness.checkAllAndForget();
    }

    private static StreamConfig config(SplitInput split) {
        return (split.options() & 1) != 0
                ? StreamHarness.config(SMALL_MAX_CHANNELS, SMALL_BUFFER)
                : StreamHarness.defaults();
    }

    /** The harness also serves ECHO, so fuzzed data makes the stream write back. */
    private static StreamHarness withEcho(StreamHarness h) {
        h.services.register(new EchoService());
        return h;
    }

    /** Builds the harness, feeds the reads (advancing the clock by each read's pause), checks after every read. */
    static void feedAndCheck(Supplier<StreamHarness> setUp, SplitInput split) {
        StreamHarness h = setUp.get();
        h.peer.frames(); // what setting up sent is not the fuzzer's doing
        StreamWatch watch = new StreamWatch(h);
        try {
            for (SplitInput.Read read : split.reads()) {
                if (read.pause() > 0) {
                    h.advanceMillis((long) read.pause() * PAUSE_UNIT_MILLIS);
                    watch.check("after " + read.pause() * PAUSE_UNIT_MILLIS + " ms");
                }
                byte[] bytes = java.util.Arrays.copyOfRange(split.stream(), read.from(), read.to());
                h.peer.feed(bytes); // an exception out of onBytes fails the target here
                h.transport.runPending();
                watch.check("after the read " + read);
            }
        } finally {
            StreamHarness.checkAllAndForget();
        }
    }

    /** The checks after each step, with the memory they need (has the stream sent its ERROR yet). */
    private static final class StreamWatch {
        private final StreamHarness h;
        private Frame streamError;

        StreamWatch(StreamHarness h) {
            this.h = h;
        }

        void check(String when) {
            List<Frame> sent = h.peer.frames(); // fails if the stream sent bytes that do not decode
            for (Frame f : sent) {
                assertTrue(streamError == null, () -> "sent " + f + " after its ERROR " + streamError + ", " + when);
                if (f.type() == PacketType.ERROR || f.type() == PacketType.CLOSE) {
                    // The stream never echoes a peer's code: what it sends is its own.
                    CloseReason reason = f.reason(); // fails if the payload does not decode
                    assertNotNull(reason.errorCode(), () -> "undefined code in " + f + ", " + when);
                    assertNotEquals(ErrorCode.INTERNAL_ERROR, reason.errorCode(), () -> "the engine failed on its own: " + f + ", " + when);
                    // The harness's handlers (RecordingHandler, EchoService) never throw: a failure is a bug.
                    assertNotEquals(ErrorCode.HANDLER_FAILED, reason.errorCode(), () -> "a handler failed: " + f + ", " + when);
                }
                if (f.is(PacketType.ERROR, 0)) {
                    streamError = f;
                }
            }
            if (streamError != null) {
                assertEquals(StreamState.CLOSED, h.stream.state(), () -> "ERROR sent but the stream is " + h.stream.state());
                assertTrue(h.transport.closed(), "ERROR sent but the connection is open");
            }
            if (h.stream.closed().isDone()) {
                // Its reason is not checked: it may be the peer's own ERROR, INTERNAL_ERROR included
                // (a fuzzing finding, kept as the seed peer-sends-internal-error). The engine's own
                // failures all go out as an ERROR frame, checked above.
                assertEquals(StreamState.CLOSED, h.stream.state(), "closed future done but the stream is not CLOSED");
            }
            h.assertTransportUsedCorrectly();
        }
    }
}
