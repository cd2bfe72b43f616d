package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** A client dialling a known node address over real sockets: the server must prove it. */
@QuarkusTest
class IdentityPinningTest {
    @Inject
    StreamEndpoint endpoint;

    @Test
    void theRightAddressConnectsAndAWrongOneIsRefused() throws Exception {
        NodeAddress server = endpoint.identity().address();
        int port = endpoint.server().port();
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
            Stream pinned = client.connect("127.0.0.1", port, server).get(10, TimeUnit.SECONDS);
            assertTrue(pinned.authorized(), "the server proved its key");
            assertEquals(server, pinned.node());
            assertEquals(server, pinned.peerIdentity().address());
            assertTrue(pinned.encrypted());
            assertNotNull(pinned.suite(), "a secure stream names its suite");
            assertEquals(endpoint.identity().algorithm(), pinned.peerSignatureAlgorithm(), "the server's key type");
            assertEquals(pinned.peerIdentity().algorithm(), pinned.peerSignatureAlgorithm());
            pinned.close();

            NodeAddress other = new NodeAddress(server.value() ^ 1);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.connect("127.0.0.1", port, other).get(10, TimeUnit.SECONDS));
            StreamException refused = assertInstanceOf(StreamException.class, e.getCause());
            assertEquals(ErrorCode.IDENTITY_MISMATCH, refused.reason().errorCode(), refused.getMessage());
            assertFalse(refused.getMessage().contains("PRIVATE"), "no key material in the message");
        }
    }

    @Test
    void aPlaintextClientCannotPinAnAddress() {
        try (StreamClient client = new StreamClient(ClientOptions.plaintext())) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.connect("127.0.0.1", endpoint.server().port(), endpoint.identity().address()).get(10, TimeUnit.SECONDS));
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
        }
    }
}
