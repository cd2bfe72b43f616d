package org.dapstream.it;

import jakarta.enterprise.context.ApplicationScoped;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelService;

import java.nio.ByteBuffer;

/** An application's own channel type, registered as a CDI bean: answers each packet reversed. */
@ApplicationScoped
public class ReverseService implements ChannelService {
    static final ChannelType TYPE = ChannelType.custom(0x20);

    @Override
    public ChannelType type() {
        return TYPE;
    }

    @Override
    public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        for (int i = 0, j = bytes.length - 1; i < j; i++, j--) {
            byte t = bytes[i];
            bytes[i] = bytes[j];
            bytes[j] = t;
        }
        channel.write(type, bytes);
    }
}
