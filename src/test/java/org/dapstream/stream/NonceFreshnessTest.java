package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The nonce of a frame under the stream key is (ch_id, epoch, seq_id): channel ids that close
 * and open again restart seq_id at 0, so the engine must move to a new epoch before it would
 * repeat one. Every frame either side commits is recorded with the epoch it was sealed under,
 * and no (direction, epoch, ch_id, seq_id) may appear twice.
 */
class NonceFreshnessTest {
    /** Ids the connector hands out before its allocator wraps: the odd ones, 1..65535. */
    private static final int CONNECTOR_IDS = 32_768;

    private record Nonce(long epoch, int chId, int seq) {
    }

    /** Records each committed frame's nonce inputs; fails at the first repeat. */
    private static final class NonceLog {
        private final Set<Nonce> seen = new HashSet<>();
        private final Stream sender;
        private final String side;
        long frames;

        NonceLog(Stream sender, String side) {
            this.sender = sender;
            this.side = side;
        }

        void frame(ByteBuffer frame) {
            ByteBuffer h = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int seq = h.getInt(5);
            int chId = h.getShort(9) & 0xFFFF;
            long epoch = sender.keys.sendEpoch();
            if (epoch < 0) {
                return; // the handshake's plaintext frames
            }
            if (!seen.add(new Nonce(epoch, chId, seq))) {
                throw new AssertionError(side + " sealed ch " + chId + " seq " + Integer.toUnsignedString(seq) + " twice under epoch " + epoch);
            }
            frames++;
        }
    }

    private static final NodeIdentity SERVER = NodeIdentity.generate(SignatureAlgorithm.ED25519, SecureStreamTest.RANDOM);
    private static final NodeIdentity CLIENT = NodeIdentity.generate(SignatureAlgorithm.ED25519, SecureStreamTest.RANDOM);

    @AfterAll
    static void wipe() {
        SERVER.close();
        CLIENT.close();
    }

    private static StreamPair securePairWithLogs(NonceLog[] logs) {
        StreamPair p = SecureStreamTest.pair(SecureStreamTest.security(CLIENT), SecureStreamTest.security(SERVER));
        logs[0] = new NonceLog(p.connector, "connector");
        logs[1] = new NonceLog(p.acceptor, "acceptor");
        p.connectorTransport.onCommit = logs[0]::frame;
        p.acceptorTransport.onCommit = logs[1]::frame;
        p.pump();
        assertEquals(StreamState.ACTIVE, p.connector.state());
        return p;
    }

    private static Channel openEcho(StreamPair p, RecordingHandler h) {
        CompletableFuture<Channel> f = p.connector.openChannel(ChannelType.ECHO, h);
        p.pump();
        assertTrue(f.isDone(), "open answered");
        return f.join();
    }

    @Test
    void aChannelIdOpenedAgainNeverRepeatsANonceEitherWay() {
        NonceLog[] logs = new NonceLog[2];
        StreamPair p = securePairWithLogs(logs);
        RecordingHandler h = new RecordingHandler();
        // The allocator hands out 1, 3, ... 65535, then 1 again: wrap it, and go on past the wrap.
        int cycles = CONNECTOR_IDS + 8;
        int firstId = -1;
        for (int i = 0; i < cycles; i++) {
            Channel ch = openEcho(p, h);
            if (i == 0) {
                firstId = ch.id();
            }
            if (i == CONNECTOR_IDS) {
                assertEquals(firstId, ch.id(), "the allocator wrapped to its first id");
            }
            ch.write(PacketType.DATA, new byte[] {(byte) i, (byte) (i >> 8)});
            p.pump();
            ch.close();
            p.pump();
        }
        assertEquals(cycles, h.payloads.size(), "every echo came back");
        assertEquals(StreamState.ACTIVE, p.connector.state());
        assertEquals(StreamState.ACTIVE, p.acceptor.state());
        // Both directions reused channel ids after the wrap: each moved to a new epoch for it,
        // and only as often as it had to (once per wrap, not once per channel).
        assertEquals(1, p.connector.keys.sendEpoch(), "connector epochs");
        assertEquals(1, p.acceptor.keys.sendEpoch(), "acceptor epochs");
        assertTrue(logs[0].frames > 3L * cycles && logs[1].frames > 2L * cycles, "frames were recorded");
    }
}
