package org.dapstream.protocol;

/** The messages of a FILE channel (PROTOCOL.md section 29); layouts in {@link FileCodec}. */
public sealed interface FileMessage {
    int KIND_OFFER = 0x01;
    int KIND_ACCEPT = 0x02;
    int KIND_CHUNK = 0x03;
    int KIND_END = 0x04;
    int KIND_DONE = 0x05;
    int KIND_FAIL = 0x06;
    int KIND_GET = 0x07;

    /** The transfer this message belongs to (chosen by the side that starts it). */
    int transfer();

    /**
     * A file about to be sent: its path relative to the receiver's directory ('/'-separated),
     * size, permission bits and modification time (epoch milliseconds).
     */
    record Offer(int transfer, long size, int mode, long mtimeMillis, String path) implements FileMessage {
    }

    /** The receiver takes the offered file and already has its first {@code offset} bytes (a transfer cut earlier). */
    record Accept(int transfer, long offset) implements FileMessage {
    }

    /** The next bytes of the file. */
    record Chunk(int transfer, byte[] data) implements FileMessage {
    }

    /** Every byte was sent; {@code sha256} is the whole file's, which the receiver checks. */
    record End(int transfer, byte[] sha256) implements FileMessage {
    }

    /** The receiver verified the file (size and SHA-256) and put it in place. */
    record Done(int transfer) implements FileMessage {
    }

    /** The transfer ends without the file: {@code code} is an {@link ErrorCode} value. The channel goes on. */
    record Fail(int transfer, int code, String reason) implements FileMessage {
    }

    /** The client asks for a file of the node's directory, from {@code offset} (what it already has). */
    record Get(int transfer, long offset, String path) implements FileMessage {
    }
}
