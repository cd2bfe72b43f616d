package org.dapstream.bench;

import org.dapstream.protocol.FrameLimits;

/**
 * The raw baseline's wire: each message is {@code u32 LE header | payload}, no channels,
 * sequence numbers or checks beyond the length.
 *
 * <pre>
 *  header: bit 31 = CONTROL, bits 0..30 = payload length (at most MAX_PAYLOAD)
 *  DATA     client -> server   one-way: counted and dropped; ping-pong: echoed
 *  CONTROL  client -> server   empty: "report your counts"
 *  CONTROL  server -> client   16 bytes: messages u64 LE | bytes u64 LE, as the discard service
 * </pre>
 */
final class RawFormat {
    static final int HEADER_SIZE = Integer.BYTES;
    static final int CONTROL = 0x8000_0000;
    static final int LENGTH_MASK = ~CONTROL;
    /** The same message limit as the stream's. */
    static final int MAX_PAYLOAD = FrameLimits.DEFAULT_MESSAGE_PAYLOAD;
    static final int REPORT_SIZE = 2 * Long.BYTES;

    private RawFormat() {
    }
}
