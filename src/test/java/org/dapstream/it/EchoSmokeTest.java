package org.dapstream.it;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
class EchoSmokeTest {
    @Inject
    StreamEndpoint endpoint;

    @Test
    void echoRoundTrip() throws Exception {
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
            Stream stream = client.connect("127.0.0.1", endpoint.server().port()).get(5, TimeUnit.SECONDS);
            Channel ch = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
                @Override
                public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                    got.add(StandardCharsets.UTF_8.decode(data).toString());
                }
            }).get(5, TimeUnit.SECONDS);
            ch.write(PacketType.DATA, "hello".getBytes(StandardCharsets.UTF_8));
            assertEquals("hello", got.poll(5, TimeUnit.SECONDS));
            assertEquals(1, ch.id());
        }
    }
}
