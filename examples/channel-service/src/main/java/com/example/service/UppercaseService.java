package com.example.service;

import jakarta.enterprise.context.ApplicationScoped;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelService;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Serves channel type 0x20: answers each DATA message with its text in upper case, and counts
 * the messages of each channel. Being an {@code @ApplicationScoped} {@link ChannelService}
 * bean is all it takes: the node registers every such bean at start-up, next to its built-in
 * ECHO and DISCARD services. One instance serves every channel of its type; per-channel state
 * goes in {@link Channel#attach}.
 */
@ApplicationScoped
public class UppercaseService implements ChannelService {
    public static final ChannelType TYPE = ChannelType.custom(0x20);

    @Override
    public ChannelType type() {
        return TYPE;
    }

    @Override
    public void opened(Channel channel) {
        channel.attach(new long[1]); // messages seen on this channel
    }

    @Override
    public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
        if (type != PacketType.DATA) {
            return;
        }
        ((long[]) channel.attachment())[0]++;
        String text = StandardCharsets.UTF_8.decode(data).toString(); // on the event loop: keep it short, never block
        channel.write(PacketType.DATA, text.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void closed(Channel channel, CloseReason reason) {
        System.out.println("uppercase channel closed after " + ((long[]) channel.attachment())[0] + " messages: " + reason);
    }
}
