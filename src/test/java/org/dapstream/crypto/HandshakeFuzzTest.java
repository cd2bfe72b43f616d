package org.dapstream.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.HandshakeCodec;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.ProtocolException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The handshake reader under fuzzing: the codec and both state machines fed arbitrary bytes
 * where a peer's message goes. The codec either refuses with MALFORMED_HANDSHAKE or returns
 * a message that encodes back to the same bytes; a state machine either accepts or throws
 * {@link HandshakeException} with a code (never another exception), and a failed one stays
 * FAILED. The state machines run with the fixed identities and randomness of the test
 * vectors, so the seeds (the vectors' messages, see {@link #main}) reach the deep checks.
 */
class HandshakeFuzzTest {

    @FuzzTest
    void codec(byte[] payload) {
        HandshakeMessage message;
        try {
            message = HandshakeCodec.decode(ByteBuffer.wrap(payload));
        } catch (ProtocolException e) {
            assertEquals(ErrorCode.MALFORMED_HANDSHAKE, e.code(), e::toString);
            return;
        }
        assertArrayEquals(payload, HandshakeCodec.encode(message), () -> "re-encoding " + message);
    }

    @FuzzTest
    void serverReadsClientHello(byte[] clientHello) {
        ServerHandshake server = server();
        try {
            assertNotNull(server.onClientHello(clientHello, node -> 1, 3000));
        } catch (HandshakeException e) {
            failedCleanly(e, server.state() == ServerHandshake.State.FAILED);
        }
    }

    @FuzzTest
    void serverReadsClientFinish(byte[] clientFinish) throws Exception {
        ServerHandshake server = server();
        server.onClientHello(Vectors.CLIENT_HELLO, node -> 1, 3000);
        try {
            assertNotNull(server.onClientFinish(clientFinish).result().secrets());
        } catch (HandshakeException e) {
            failedCleanly(e, server.state() == ServerHandshake.State.FAILED);
        }
    }

    @FuzzTest
    void clientReadsServerHello(byte[] serverHello) {
        ClientHandshake client = client();
        client.start();
        try {
            assertNotNull(client.onServerHello(serverHello));
        } catch (HandshakeException e) {
            failedCleanly(e, client.state() == ClientHandshake.State.FAILED);
        }
    }

    @FuzzTest
    void clientReadsServerFinish(byte[] serverFinish) throws Exception {
        ClientHandshake client = client();
        client.start();
        client.onServerHello(Vectors.SERVER_HELLO);
        try {
            assertNotNull(client.onServerFinish(serverFinish).secrets());
        } catch (HandshakeException e) {
            failedCleanly(e, client.state() == ClientHandshake.State.FAILED);
        }
    }

    private static void failedCleanly(HandshakeException e, boolean failedState) {
        assertNotNull(e.code(), "a refusal has a code");
        assertTrue(failedState, "a refused message leaves the handshake FAILED");
    }

    /** The test vectors' two sides (docs/PROTOCOL.md §21). */
    static ServerHandshake server() {
        return new ServerHandshake(HandshakeSettings.defaults(Vectors.SERVER, new HandshakeVectorsTest.CountingRandom(0x80))
                .withPeerPolicy(AuthPolicy.allowList(Set.of(Vectors.CLIENT.address()))));
    }

    static ClientHandshake client() {
        return new ClientHandshake(HandshakeSettings.defaults(Vectors.CLIENT, new HandshakeVectorsTest.CountingRandom(0x00)));
    }

    /** The vector handshake's messages, computed once. */
    static final class Vectors {
        static final NodeIdentity CLIENT = NodeIdentity.ofEd25519(HandshakeVectorsTest.counting(0xA0, 32), new SecureRandom());
        static final NodeIdentity SERVER = NodeIdentity.ofEd25519(HandshakeVectorsTest.counting(0xC0, 32), new SecureRandom());
        static final byte[] CLIENT_HELLO;
        static final byte[] SERVER_HELLO;
        static final byte[] CLIENT_FINISH;
        static final byte[] SERVER_FINISH;

        static {
            try {
                ClientHandshake c = client();
                ServerHandshake s = server();
                CLIENT_HELLO = c.start();
                SERVER_HELLO = s.onClientHello(CLIENT_HELLO, node -> HandshakeVectorsTest.SESSION_ID, HandshakeVectorsTest.KEEPALIVE_MS);
                CLIENT_FINISH = c.onServerHello(SERVER_HELLO);
                SERVER_FINISH = s.onClientFinish(CLIENT_FINISH).serverFinish();
            } catch (HandshakeException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /** The seed corpus per target: the vector messages, and short or cut variants. */
    static Map<String, Map<String, byte[]>> seeds() {
        Map<String, Map<String, byte[]>> all = new LinkedHashMap<>();
        Map<String, byte[]> codec = new LinkedHashMap<>();
        codec.put("client-hello", Vectors.CLIENT_HELLO);
        codec.put("server-hello", Vectors.SERVER_HELLO);
        codec.put("client-finish", Vectors.CLIENT_FINISH);
        codec.put("server-finish", Vectors.SERVER_FINISH);
        codec.put("server-hello-cut", java.util.Arrays.copyOf(Vectors.SERVER_HELLO, 1200));
        all.put("codec", codec);
        all.put("serverReadsClientHello", Map.of("valid", Vectors.CLIENT_HELLO, "cut", java.util.Arrays.copyOf(Vectors.CLIENT_HELLO, 100)));
        all.put("serverReadsClientFinish", Map.of("valid", Vectors.CLIENT_FINISH, "cut", java.util.Arrays.copyOf(Vectors.CLIENT_FINISH, 40)));
        all.put("clientReadsServerHello", Map.of("valid", Vectors.SERVER_HELLO, "cut", java.util.Arrays.copyOf(Vectors.SERVER_HELLO, 1175)));
        all.put("clientReadsServerFinish", Map.of("valid", Vectors.SERVER_FINISH, "cut", java.util.Arrays.copyOf(Vectors.SERVER_FINISH, 20)));
        return all;
    }

    /** Writes the seed corpus where Jazzer's regression mode reads it: run from the project root. */
    public static void main(String[] args) throws IOException {
        Path root = Path.of("src/test/resources/org/dapstream/crypto/HandshakeFuzzTestInputs");
        for (Map.Entry<String, Map<String, byte[]>> target : seeds().entrySet()) {
            Path dir = root.resolve(target.getKey());
            Files.createDirectories(dir);
            for (Map.Entry<String, byte[]> seed : target.getValue().entrySet()) {
                Files.write(dir.resolve(seed.getKey()), seed.getValue());
            }
        }
    }
}
