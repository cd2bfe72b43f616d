package org.dapstream.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.net.NetSocket;

/**
 * Splits the raw baseline's byte stream into messages, the way the stream's frame decoder
 * does: a message whole inside one read is handed over in place; one split across reads is
 * gathered into a reused buffer first, so the receiver always sees whole messages.
 */
final class RawFrameReader {
    /** Receives whole messages; the buffer is lent for the call, read it at absolute indices. */
    interface Sink {
        void data(ByteBuf buffer, int index, int length);

        void control(ByteBuf buffer, int index, int length);
    }

    /** First size of the gather buffer; it doubles up to {@link RawFormat#MAX_PAYLOAD}. */
    private static final int MIN_GATHER = 4096;

    private int partialHeader;
    private int headerFill;
    private boolean gathering;
    private int gatherHeader;
    private int gatherLength;
    private ByteBuf gathered;

    /**
     * One message from a socket's raw handler: a buffer is split into messages and released;
     * a length over the limit closes {@code socket}.
     */
    void feed(Object message, Sink sink, NetSocket socket) {
        if (!(message instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(message);
            return;
        }
        try {
            feed(buf, sink);
        } catch (IllegalStateException e) {
            socket.close();
        } finally {
            buf.release();
        }
    }

    /**
     * Consumes all of {@code in}.
     *
     * @throws IllegalStateException when a header announces more than the message limit
     */
    void feed(ByteBuf in, Sink sink) {
        while (in.isReadable()) {
            if (gathering) {
                int n = Math.min(gatherLength - gathered.writerIndex(), in.readableBytes());
                gathered.writeBytes(in, n);
                if (gathered.writerIndex() == gatherLength) {
                    finishGathered(sink);
                }
            } else if (headerFill == 0 && in.readableBytes() >= RawFormat.HEADER_SIZE) {
                int h = in.readIntLE();
                int len = checkedLength(h);
                if (in.readableBytes() >= len) {
                    int at = in.readerIndex();
                    in.skipBytes(len);
                    deliver(sink, h, in, at, len);
                } else {
                    beginGathering(h, len);
                }
            } else {
                partialHeader |= (in.readByte() & 0xFF) << (Byte.SIZE * headerFill);
                if (++headerFill == RawFormat.HEADER_SIZE) {
                    int h = partialHeader;
                    partialHeader = 0;
                    headerFill = 0;
                    beginGathering(h, checkedLength(h));
                    if (gatherLength == 0) {
                        finishGathered(sink);
                    }
                }
            }
        }
    }

    private void beginGathering(int h, int len) {
        gathering = true;
        gatherHeader = h;
        gatherLength = len;
        if (gathered == null || gathered.capacity() < len) {
            int grown = gathered == null ? MIN_GATHER : gathered.capacity() * 2;
            gathered = Unpooled.buffer(Math.min(RawFormat.MAX_PAYLOAD, Math.max(len, grown)));
        }
        gathered.clear();
    }

    private void finishGathered(Sink sink) {
        gathering = false;
        deliver(sink, gatherHeader, gathered, 0, gatherLength);
    }

    private static void deliver(Sink sink, int h, ByteBuf buffer, int index, int len) {
        if ((h & RawFormat.CONTROL) != 0) {
            sink.control(buffer, index, len);
        } else {
            sink.data(buffer, index, len);
        }
    }

    private static int checkedLength(int h) {
        int len = h & RawFormat.LENGTH_MASK;
        if (len > RawFormat.MAX_PAYLOAD) {
            throw new IllegalStateException("raw message of " + len + " bytes exceeds the " + RawFormat.MAX_PAYLOAD + "-byte limit");
        }
        return len;
    }
}
