package org.dapstream.bench;

import io.netty.buffer.ByteBuf;
import io.vertx.core.net.impl.NetSocketInternal;
import org.dapstream.transport.NetSocketTarget;
import org.dapstream.transport.WriteBatch;

/**
 * The raw baseline's writer: length-prefixed messages into the very {@link WriteBatch} the
 * stream transport uses, so the comparison isolates the protocol.
 */
final class RawBatch {
    private final WriteBatch batch;

    RawBatch(NetSocketInternal socket) {
        this.batch = new WriteBatch(new NetSocketTarget(socket));
    }

    /** Queues one message from an array; true while more may be written. */
    boolean write(int header, byte[] payload, int offset, int length) {
        ByteBuf out = batch.claim(RawFormat.HEADER_SIZE + length);
        out.writeIntLE(header);
        out.writeBytes(payload, offset, length);
        batch.committed();
        return !batch.writeQueueFull();
    }

    /** Queues one message from a received buffer (the echo); true while more may be written. */
    boolean write(int header, ByteBuf payload, int index, int length) {
        ByteBuf out = batch.claim(RawFormat.HEADER_SIZE + length);
        out.writeIntLE(header);
        out.writeBytes(payload, index, length);
        batch.committed();
        return !batch.writeQueueFull();
    }

    /** Queues a count report. */
    void writeReport(long messages, long bytes) {
        ByteBuf out = batch.claim(RawFormat.HEADER_SIZE + RawFormat.REPORT_SIZE);
        out.writeIntLE(RawFormat.CONTROL | RawFormat.REPORT_SIZE);
        out.writeLongLE(messages);
        out.writeLongLE(bytes);
        batch.committed();
    }

    boolean writeQueueFull() {
        return batch.writeQueueFull();
    }

    /** The socket is gone: drop what is queued. */
    void closed() {
        batch.discard();
    }
}
