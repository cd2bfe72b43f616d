package org.dapstream.it;

import org.dapstream.compress.Lz4Payload;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.PacketType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The client side of {@link IdleStreamBuffersSocketTest}, run in a JVM of its own so the
 * test's heap holds the server only: {@code IdleClients PORT COUNT} opens COUNT secure
 * streams, sends on each an ECHO channel (compression negotiated) one 60,000-byte DATA frame
 * in two writes (the server gathers it) and one COMPRESSED DATA frame, reads both echoes,
 * prints {@code ready} and keeps the streams open, sending nothing, until stdin closes.
 */
public final class IdleClients {
    /** The large frame: split across two writes so the receiver gathers it. */
    static final int SPLIT_FRAME = 60_000;
    /** The compressible message sent as one COMPRESSED frame. */
    static final int COMPRESSED_MESSAGE = 16 * 1024;
    /** Pause between the two halves of the split frame, so they arrive in separate reads. */
    static final long SPLIT_PAUSE_MILLIS = 2;

    private IdleClients() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        List<RawPeer> peers = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                peers.add(traffic(port, i));
            }
            System.out.println("ready");
            System.out.flush();
            while (System.in.read() >= 0) {
                // idle until the test closes stdin
            }
        } finally {
            for (RawPeer p : peers) {
                p.close();
            }
        }
    }

    /** One stream with its traffic done; the peer stays connected and silent. */
    static RawPeer traffic(int port, int seed) throws IOException, InterruptedException {
        RawPeer peer = new RawPeer(port, 30_000);
        peer.handshake();
        peer.sendFrame(PacketType.CONTROL, 0, ControlCodec.encode(
                new ControlMessage.OpenChannel(1, ChannelType.ECHO, ControlMessage.OPTION_COMPRESSION)));
        peer.await(PacketType.CONTROL, 0); // OPEN_ACK
        byte[] random = new byte[SPLIT_FRAME];
        new Random(seed).nextBytes(random);
        byte[] split = peer.frame(PacketType.DATA, 1, 0, random);
        peer.send(java.util.Arrays.copyOfRange(split, 0, split.length / 2));
        Thread.sleep(SPLIT_PAUSE_MILLIS);
        peer.send(java.util.Arrays.copyOfRange(split, split.length / 2, split.length));
        byte[] plain = new byte[COMPRESSED_MESSAGE]; // zeros: compresses well
        ByteBuffer compressed = ByteBuffer.allocate(Lz4Payload.maxCompressedLength(plain.length));
        int n = Lz4Payload.compress(ByteBuffer.wrap(plain), 0, plain.length, compressed, 0);
        peer.send(peer.frame(PacketType.DATA, 1, Flags.COMPRESSED, java.util.Arrays.copyOf(compressed.array(), n)));
        peer.await(PacketType.DATA, 1);
        peer.await(PacketType.DATA, 1);
        return peer;
    }
}
