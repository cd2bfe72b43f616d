package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.HandshakeOutcome;
import org.dapstream.stream.Stream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The handshake caps against slowloris peers over real sockets: connections that never
 * finish the handshake hold slots only up to the caps and the setup deadline, and a
 * legitimate client from another address still gets through.
 */
@QuarkusTest
@TestProfile(HandshakeCapTest.SmallCaps.class)
class HandshakeCapTest {
    public static class SmallCaps implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dap.stream.security.handshake.max-concurrent", "8",
                    "dap.stream.security.handshake.max-per-address", "4");
        }
    }

    @Inject
    StreamEndpoint endpoint;

    @Test
    void slowlorisIsCappedAndALegitimateClientGetsThrough() throws Exception {
        int port = endpoint.server().port();
        long busyBefore = endpoint.counters().handshakes(HandshakeOutcome.REJECTED_BUSY);
        List<RawPeer> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                RawPeer p = new RawPeer(port, 10_000, "127.0.0.2");
                p.send(p.clientHello()); // starts, never finishes
                slow.add(p);
            }
            awaitInProgress(4);
            try (RawPeer fifth = new RawPeer(port, 10_000, "127.0.0.2")) {
                List<RawPeer.Frame> frames = fifth.readUntilClosed();
                assertEquals(1, frames.size(), "one ERROR, then the close: " + frames);
                assertEquals(PacketType.ERROR, frames.get(0).type());
                assertEquals(ErrorCode.HANDSHAKE_BUSY, frames.get(0).closeReason().errorCode());
            }
            assertEquals(busyBefore + 1, endpoint.counters().handshakes(HandshakeOutcome.REJECTED_BUSY));

            try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
                Stream stream = client.connect("127.0.0.1", port).get(10, TimeUnit.SECONDS);
                assertTrue(stream.encrypted(), "the legitimate client is set up while the slow ones wait");
                stream.close();
            }

            // Fill the total cap from a third address: now everyone is refused until slots free.
            for (int i = 0; i < 4; i++) {
                RawPeer p = new RawPeer(port, 10_000, "127.0.0.3");
                p.send(p.clientHello());
                slow.add(p);
            }
            awaitInProgress(8);
            try (RawPeer refused = new RawPeer(port, 10_000, "127.0.0.1")) {
                assertEquals(ErrorCode.HANDSHAKE_BUSY, refused.readUntilClosed().get(0).closeReason().errorCode());
            }
            // The setup deadline (2 s in the test profile) frees every slow slot.
            for (RawPeer p : slow) {
                assertEquals(ErrorCode.SETUP_TIMEOUT, p.readUntilClosed().stream().filter(f -> f.type() == PacketType.ERROR)
                        .findFirst().orElseThrow().closeReason().errorCode());
            }
            awaitInProgress(0);
            try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
                assertTrue(client.connect("127.0.0.1", port).get(10, TimeUnit.SECONDS).encrypted());
            }
        } finally {
            for (RawPeer p : slow) {
                p.close();
            }
        }
    }

    private void awaitInProgress(int expected) throws InterruptedException {
        // Proven too (CLIENT_HELLO read): a slot still waiting for its first frame could be evicted by the next connection.
        for (int i = 0; i < 200 && (endpoint.server().handshakesInProgress() != expected || endpoint.server().handshakesUnproven() != 0); i++) {
            Thread.sleep(25);
        }
        assertEquals(expected, endpoint.server().handshakesInProgress(), "handshakes in progress");
        assertEquals(0, endpoint.server().handshakesUnproven(), "handshakes without their first frame");
    }
}
