package com.example.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** The application starts a node whose stream endpoint serves this application's channel service. */
@QuarkusTest
class UppercaseServiceTest {
    @Inject
    StreamEndpoint endpoint;

    @Test
    void theNodeServesTheApplicationsChannelType() throws Exception {
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
            Stream stream = client.connect("127.0.0.1", endpoint.server().port()).get(10, TimeUnit.SECONDS);
            LinkedBlockingQueue<String> answers = new LinkedBlockingQueue<>();
            Channel channel = stream.openChannel(UppercaseService.TYPE, new ChannelHandler() {
                @Override
                public void packetIn(Channel ch, PacketType type, ByteBuffer data) {
                    answers.add(StandardCharsets.UTF_8.decode(data).toString());
                }
            }).get(10, TimeUnit.SECONDS);
            channel.write(PacketType.DATA, "hello, node".getBytes(StandardCharsets.UTF_8));
            assertEquals("HELLO, NODE", answers.poll(10, TimeUnit.SECONDS));

            // The node's built-in services are still there beside it.
            Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
                @Override
                public void packetIn(Channel ch, PacketType type, ByteBuffer data) {
                    answers.add(StandardCharsets.UTF_8.decode(data).toString());
                }
            }).get(10, TimeUnit.SECONDS);
            echo.write(PacketType.DATA, "as is".getBytes(StandardCharsets.UTF_8));
            assertEquals("as is", answers.poll(10, TimeUnit.SECONDS));
            stream.close();
            stream.closed().get(10, TimeUnit.SECONDS);
        }
    }
}
