package org.dapstream.bench;

import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.crypto.ClientHandshake;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.FrameHeader;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures what a storm of handshakes costs an established stream on the same node: the echo
 * round trip of one secure stream (open loop, 64-byte messages, 1,000 a second, timed from
 * each message's scheduled send time) first on a quiet node, then while replayed
 * CLIENT_HELLOs arrive at a fixed rate (each on a new connection: hello, read the answer,
 * reset). A replayed CLIENT_HELLO costs the sender nothing and the node a signature.
 *
 * <pre>
 * java -cp target/test-classes:APP/app/*:APP/lib/main/* org.dapstream.bench.HandshakeStormLatency 127.0.0.1:8079 500 20
 * </pre>
 * Arguments: node, storm rate (hellos per second), seconds per phase.
 */
public final class HandshakeStormLatency {
    static final int ECHO_RATE = 1_000;
    static final int MESSAGE = 64;
    static final int WARMUP_SECONDS = 5;
    /** Storm connections in flight at most; a hello due beyond that is skipped and counted. */
    static final int STORM_IN_FLIGHT = 64;
    /** SERVER_HELLO of an ML-DSA-65 node is about 5 KB; an ERROR is far shorter and then the close. */
    static final int ANSWER_BYTES = 1_200;

    private HandshakeStormLatency() {
    }

    public static void main(String[] args) throws Exception {
        String[] hp = args[0].split(":");
        String host = hp[0];
        int port = Integer.parseInt(hp[1]);
        int stormRate = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
            Stream stream = client.connect(host, port).get(10, TimeUnit.SECONDS);
            AtomicReference<LatencyRecorder> recorder = new AtomicReference<>(new LatencyRecorder());
            Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
                @Override
                public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                    recorder.get().record(System.nanoTime() - data.getLong(data.position())); // on the client's one loop
                }
            }).get(10, TimeUnit.SECONDS);
            echoes(echo, WARMUP_SECONDS, null);
            recorder.set(new LatencyRecorder());
            echoes(echo, seconds, null);
            LatencyRecorder quiet = recorder.getAndSet(new LatencyRecorder());
            Thread.sleep(200); // the last echoes of the quiet phase are counted there
            Storm storm = new Storm(host, port, stormRate);
            echoes(echo, seconds, storm);
            LatencyRecorder stormy = recorder.get();
            storm.stop();
            System.out.println(line("quiet", quiet) + " (node " + args[0] + ")");
            System.out.println(line("storm " + stormRate + "/s", stormy) + String.format(Locale.ROOT,
                    "; storm: %d due, %d answered (%.0f/s), %d refused, %d skipped, %d failed",
                    storm.due.get(), storm.answered.get(), storm.answered.get() / (double) seconds, storm.refused.get(),
                    storm.skipped.get(), storm.failed.get()));
        }
    }

    private static String line(String phase, LatencyRecorder r) {
        return String.format(Locale.ROOT, "%-14s echo %,d: p50=%.1fus p90=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus", phase,
                r.count(), r.percentileMicros(50), r.percentileMicros(90), r.percentileMicros(99), r.percentileMicros(99.9),
                r.maxMicros());
    }

    /** Sends ECHO_RATE messages a second for {@code seconds}, each carrying its scheduled send time; runs the storm's schedule too. */
    private static void echoes(Channel echo, int seconds, Storm storm) {
        long period = TimeUnit.SECONDS.toNanos(1) / ECHO_RATE;
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        long next = start;
        byte[] message = new byte[MESSAGE];
        while (next < end) {
            long now = System.nanoTime();
            if (now < next) {
                LockSupport.parkNanos(next - now);
                continue;
            }
            ByteBuffer.wrap(message).putLong(0, next);
            echo.write(PacketType.DATA, message);
            next += period;
            if (storm != null) {
                storm.launchDue(System.nanoTime());
            }
        }
    }

    /** Replayed CLIENT_HELLOs at a fixed rate, each on a connection of its own. */
    static final class Storm {
        final AtomicLong due = new AtomicLong();
        final AtomicLong answered = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong skipped = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        private final AtomicInteger inFlight = new AtomicInteger();
        private final ExecutorService pool = Executors.newFixedThreadPool(STORM_IN_FLIGHT, r -> {
            Thread t = new Thread(r, "storm");
            t.setDaemon(true);
            return t;
        });
        private final String host;
        private final int port;
        private final long period;
        private final byte[] hello;
        private long next;

        Storm(String host, int port, int rate) {
            this.host = host;
            this.port = port;
            this.period = TimeUnit.SECONDS.toNanos(1) / rate;
            SecureRandom random = new SecureRandom();
            ClientHandshake hs = new ClientHandshake(HandshakeSettings.defaults(NodeIdentity.generate(SignatureAlgorithm.ED25519, random),
                    random));
            this.hello = FrameHeader.frame(PacketType.CONTROL, 0, 0, 0, hs.start());
            this.next = System.nanoTime();
        }

        void launchDue(long now) {
            while (next <= now) {
                next += period;
                due.incrementAndGet();
                if (inFlight.incrementAndGet() > STORM_IN_FLIGHT) {
                    inFlight.decrementAndGet();
                    skipped.incrementAndGet();
                    continue;
                }
                pool.execute(this::one);
            }
        }

        private void one() {
            try (Socket s = new Socket()) {
                s.setSoLinger(true, 0); // reset: no TIME_WAIT pile-up on either side
                s.setSoTimeout(10_000);
                s.connect(new InetSocketAddress(host, port), 10_000);
                s.getOutputStream().write(hello);
                InputStream in = s.getInputStream();
                byte[] buf = new byte[8192];
                int got = 0;
                while (got < ANSWER_BYTES) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    got += n;
                }
                if (got >= ANSWER_BYTES) {
                    answered.incrementAndGet();
                } else {
                    refused.incrementAndGet();
                }
            } catch (Exception e) {
                failed.incrementAndGet();
            } finally {
                inFlight.decrementAndGet();
            }
        }

        void stop() throws InterruptedException {
            pool.shutdown();
            pool.awaitTermination(15, TimeUnit.SECONDS);
        }
    }
}
