package org.dapstream.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An ECHO channel that shows a stream (or a channel of it) still flows: one small message
 * out, the same bytes back, timed.
 */
final class Probe {
    static final long TIMEOUT_MILLIS = 5_000;

    private final Channel channel;
    private final LinkedBlockingQueue<String> echoes;
    private final String name;
    private final int size;
    private int sent;

    private Probe(Channel channel, LinkedBlockingQueue<String> echoes, String name, int size) {
        this.channel = channel;
        this.echoes = echoes;
        this.name = name;
        this.size = size;
    }

    static Probe open(Stream stream, String name) throws Exception {
        return open(stream, name, 0);
    }

    /** Probes of at least {@code size} bytes (padded). */
    static Probe open(Stream stream, String name, int size) throws Exception {
        LinkedBlockingQueue<String> echoes = new LinkedBlockingQueue<>();
        Channel ch = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                echoes.add(StandardCharsets.UTF_8.decode(data).toString());
            }
        }).get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        return new Probe(ch, echoes, name, size);
    }

    /** One round trip; fails the test when the echo does not come back in time. Returns nanoseconds. */
    long roundTrip() throws InterruptedException {
        StringBuilder text = new StringBuilder(name).append(" #").append(++sent);
        while (text.length() < size) {
            text.append('.');
        }
        String probe = text.toString();
        long start = System.nanoTime();
        channel.write(PacketType.DATA, probe.getBytes(StandardCharsets.UTF_8));
        String echo = echoes.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        long elapsed = System.nanoTime() - start;
        assertNotNull(echo, name + ": no echo of " + probe + " within " + TIMEOUT_MILLIS + " ms");
        assertEquals(probe, echo, name + ": echoes come back in order");
        return elapsed;
    }

    int roundTrips() {
        return sent;
    }
}
