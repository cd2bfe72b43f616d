package org.dapstream.client;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.crypto.TicketSealer;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.SessionResumption;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A measurement, not a CI test (tagged {@code soak}, named so surefire does not pick it up by
 * default): messages per second that one application thread (not the event loop) writes on a
 * session's channel to the node's DISCARD service over loopback, with acknowledgements, waiting
 * on {@code whenWritable()} whenever {@code write} says false. Rounds alternate the message sizes
 * in one JVM; compare builds by running it in each, alternately.
 *
 * <pre>
 * ./mvnw -B -ntp -o test -Dtest=OffLoopWriteRateMeasurement -Ddap.test.excludedGroups=jazzer -Dsurefire.failIfNoSpecifiedTests=false [-Djvm=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java]
 * </pre>
 */
@Tag("soak")
class OffLoopWriteRateMeasurement {
    static final int ROUNDS = Integer.getInteger("dap.offloop.rounds", 3);
    static final Duration WINDOW = Duration.ofSeconds(Long.getLong("dap.offloop.seconds", 4));
    static final int[] SIZES = {64, 16 * 1024};

    @Test
    void messagesPerSecondFromAnApplicationThread() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[32];
        random.nextBytes(key);
        StreamServer server = new StreamServer(vertx, new StreamServerOptions("127.0.0.1", 0, 1, StreamConfig.defaults(),
                NodeAddress.NONE, StreamSecurity.of(HandshakeSettings.defaults(NodeIdentity.generate(SignatureAlgorithm.ED25519, random),
                random).withFeatures(Features.ACKS | Features.RESUMPTION)), null), ChannelRegistry.withDiagnostics(),
                new Sessions(StreamClock.SYSTEM, new SessionResumption(new TicketSealer((byte) 1, key, (byte) 0, null, random),
                        Duration.ofSeconds(60), Duration.ofHours(1))), new StreamCounters());
        server.start().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        StreamClient client = new StreamClient(ClientOptions.defaults());
        try {
            ClientSession session = client.connectSession("127.0.0.1", server.port()).get(20, TimeUnit.SECONDS);
            Channel ch = session.openChannel(ChannelType.DISCARD, null).get(20, TimeUnit.SECONDS);
            for (int size : SIZES) {
                rate(ch, size, Duration.ofSeconds(2)); // warm-up
            }
            for (int round = 1; round <= ROUNDS; round++) {
                for (int size : SIZES) {
                    double perSecond = rate(ch, size, WINDOW);
                    System.out.printf("offloop: round %d, %d B: %.0f messages/s (%.1f MiB/s)%n",
                            round, size, perSecond, perSecond * size / (1 << 20));
                    assertTrue(perSecond > 0);
                }
            }
        } finally {
            client.close();
            server.stop().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
    }

    private static double rate(Channel ch, int size, Duration window) throws Exception {
        byte[] message = new byte[size];
        long start = System.nanoTime();
        long end = start + window.toNanos();
        long written = 0;
        while (System.nanoTime() - end < 0) {
            for (int i = 0; i < 256; i++) {
                written++;
                if (!ch.write(PacketType.DATA, message)) {
                    ch.whenWritable().get(30, TimeUnit.SECONDS);
                }
            }
        }
        return written * 1e9 / (System.nanoTime() - start);
    }
}
