package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.PacketType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Two engines back to back ({@link StreamPair}), plaintext and encrypted: large messages to a
 * pull-mode reader that reads only now and then get through whole and in order, with each
 * side's credit accounting agreeing with the other's (a disagreement shows as a stall or a
 * FLOW_CONTROL_VIOLATION).
 */
class FlowEndToEndTest extends EngineTest {

    @ParameterizedTest(name = "encrypted {0}")
    @ValueSource(booleans = {false, true})
    void largeAndSmallMessagesReachASlowPullReaderWholeAndInOrder(boolean encrypted) {
        StreamPair p = encrypted ? SecureStreamTest.securePair() : StreamPair.active();
        p.acceptorApp.pullMode();
        Channel out = SecureStreamTest.open(p, StreamHarness.APP, null);
        Channel in = p.acceptorApp.channel(out.id());
        List<byte[]> messages = List.of(Fragments.random(5 * 1024 * 1024, 1), Fragments.random(100, 2),
                Fragments.random(1024 * 1024 + 1, 3), Fragments.random(64 * 1024, 4), Fragments.random(3 * 1024 * 1024, 5));
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (byte[] m : messages) {
            sent.add(out.send(PacketType.DATA, m));
        }
        List<byte[]> received = new ArrayList<>();
        for (int round = 0; round < 1000 && received.size() < messages.size(); round++) {
            p.pump();
            assertEquals(StreamState.ACTIVE, p.acceptor.state(), () -> "acceptor ended: " + p.acceptor.closed().join());
            assertTrue(p.acceptor.heldBytes() <= 1024 * 1024 + FlowConfig.DEFAULT_MAX_MESSAGE_SIZE, "held " + p.acceptor.heldBytes());
            Packet next = in.read(); // one message per round: a slow reader
            if (next != null) {
                received.add(next.data());
            }
        }
        assertEquals(messages.size(), received.size());
        for (int i = 0; i < messages.size(); i++) {
            assertArrayEquals(messages.get(i), received.get(i), "message " + i);
            assertTrue(sent.get(i).isDone() && !sent.get(i).isCompletedExceptionally());
        }
        assertEquals(0, out.queuedBytes());
        p.assertTransportsUsedCorrectly();
    }
}
