package org.dapstream.stream;

import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A {@link ChannelHandler} that writes down every callback, in order, as text
 * ({@code "opened 1"}, {@code "in 1 DATA hello"}, {@code "closed 1 NORMAL(0x0000): bye"}), and
 * keeps the channels it saw. Behaviour can be added per test through the hooks.
 */
class RecordingHandler implements ChannelHandler {
    final List<String> events = new ArrayList<>();
    final Map<Integer, Channel> channels = new LinkedHashMap<>();
    final List<byte[]> payloads = new ArrayList<>();
    final List<CloseReason> closedReasons = new ArrayList<>();
    int readyToRead;
    int readyToWrite;
    boolean pull;

    Consumer<Channel> onOpened = c -> { };
    PacketHook onPacketIn = (c, t, d) -> { };
    PacketHook onPacketOut = (c, t, d) -> { };
    Consumer<Channel> onReadyToRead = c -> { };
    Consumer<Channel> onReadyToWrite = c -> { };

    @FunctionalInterface
    interface PacketHook {
        void accept(Channel channel, PacketType type, ByteBuffer data);
    }

    RecordingHandler pullMode() {
        pull = true;
        return this;
    }

    @Override
    public void opened(Channel channel) {
        channels.put(channel.id(), channel);
        channel.pullMode(pull);
        events.add("opened " + channel.id());
        onOpened.accept(channel);
    }

    @Override
    public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
        byte[] copy = new byte[data.remaining()];
        data.duplicate().get(copy);
        payloads.add(copy);
        events.add("in " + channel.id() + " " + type + " " + new String(copy, StandardCharsets.UTF_8));
        onPacketIn.accept(channel, type, data);
    }

    @Override
    public void packetOut(Channel channel, PacketType type, ByteBuffer data) {
        byte[] copy = new byte[data.remaining()];
        data.duplicate().get(copy);
        events.add("out " + channel.id() + " " + type + " " + new String(copy, StandardCharsets.UTF_8));
        onPacketOut.accept(channel, type, data);
    }

    @Override
    public void readyToRead(Channel channel) {
        readyToRead++;
        events.add("readyToRead " + channel.id());
        onReadyToRead.accept(channel);
    }

    @Override
    public void readyToWrite(Channel channel) {
        readyToWrite++;
        events.add("readyToWrite " + channel.id());
        onReadyToWrite.accept(channel);
    }

    @Override
    public void closed(Channel channel, CloseReason reason) {
        closedReasons.add(reason);
        events.add("closed " + channel.id() + " " + reason);
    }

    /** Events of one kind ("in", "out", "opened", ...). */
    List<String> events(String kind) {
        return events.stream().filter(e -> e.startsWith(kind + " ")).toList();
    }

    Channel channel(int id) {
        Channel c = channels.get(id);
        if (c == null) {
            throw new AssertionError("channel " + id + " was not opened; events " + events);
        }
        return c;
    }
}
