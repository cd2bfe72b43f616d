package org.dapstream.stream;

import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.PacketType;

import java.nio.ByteBuffer;

/**
 * The callbacks of a channel, the seed's {@code dap_stream_ch_t} callback fields. All run on
 * the stream's event loop and must not block; hand long work to a worker and write the
 * answer back with {@link Channel#write}. A handler that throws gets its channel closed
 * with {@code HANDLER_FAILED}; the stream and its other channels go on.
 *
 * <p>One handler instance may serve many channels; keep per-channel state in
 * {@link Channel#attach(Object)} (the seed's {@code _inheritor}).
 */
public interface ChannelHandler {
    /** The channel is open on both sides. */
    default void opened(Channel channel) {
    }

    /**
     * {@code packet_in}: a DATA or CONTROL packet arrived (push mode). {@code data}'s
     * position..limit is the payload; it is lent for this call only, copy what you keep.
     */
    default void packetIn(Channel channel, PacketType type, ByteBuffer data) {
    }

    /** {@code packet_out}: observes each packet this side sends, after it is queued. Lent like {@link #packetIn}. */
    default void packetOut(Channel channel, PacketType type, ByteBuffer data) {
    }

    /** {@code ready_to_read}: in pull mode, packets wait in the channel buffer; drain with {@link Channel#read()}. */
    default void readyToRead(Channel channel) {
    }

    /** {@code ready_to_write}: a write that reported back-pressure can go on. */
    default void readyToWrite(Channel channel) {
    }

    /**
     * Messages this side accepted ({@code write} returned, or {@code send} gave a future) that
     * never reached the connection: {@code messages} of them, {@code bytes} not sent. They were
     * queued when the channel or the stream ended (reported before {@link #closed}), or written
     * from another thread and reached the event loop after the channel had closed (reported
     * after it, gathered per run of such writes). May be called more than once; the sum is
     * {@link Channel#writesLost()}. A channel's messages leave in the order the loop took them
     * (from one writing thread: write order), so the lost ones are the last ones accepted.
     * Messages that did reach the connection can still be lost with it in the network: only
     * the peer's answer proves receipt.
     */
    default void writesLost(Channel channel, long messages, long bytes) {
    }

    /** The channel closed, normally or with an error; called once. */
    default void closed(Channel channel, CloseReason reason) {
    }

    /**
     * The peer asks to encrypt this channel under an application key
     * ({@link Channel#setEncryption(byte[])} on its side): return the same 32-byte key to
     * accept, or null to refuse (the default). Never logged; the stream wipes its copy.
     */
    default byte[] encryptionKey(Channel channel) {
        return null;
    }
}
