package org.dapstream.compress;

import java.nio.ByteBuffer;

/**
 * Walks an LZ4 block's sequences without producing output, to learn how long it would decode.
 * Used only after the decompressor refused a block, to tell a block that is well-formed but
 * longer than declared (LENGTH_MISMATCH) from a broken one (MALFORMED).
 *
 * <pre>
 * LZ4 block format (lz4/doc/lz4_Block_format.md), a run of sequences:
 *   token          u8     high nibble: literal length (15 = more bytes follow), low nibble: match length - 4 (idem)
 *   [+ 255...,x]          literal length continuation: add each byte, stop after the first byte != 255
 *   literals       n bytes
 *   --- the last sequence ends here, exactly at the end of the block ---
 *   offset         u16 LE 1..(bytes produced so far); the spec calls 0 invalid, lz4-java's decoders
 *                         accept it (the match becomes zeros), so this scan does too
 *   [+ 255...,x]          match length continuation
 * </pre>
 *
 * The end-of-block rules (last 5 bytes are literals, ...) are left to the decompressor: a block
 * that breaks only them is reported MALFORMED by it.
 */
final class Lz4BlockScan {
    /** {@link #decodedLength} result for a block that is not a valid sequence of LZ4 sequences. */
    static final long MALFORMED = -1;
    private static final int MIN_MATCH = 4;
    private static final int RUN_MASK = 15;

    private Lz4BlockScan() {
    }

    /** The decoded length of block {@code src[off, off+len)}, or {@link #MALFORMED}. Reads by absolute index only. */
    static long decodedLength(ByteBuffer src, int off, int len) {
        final int end = off + len;
        int ip = off;
        long produced = 0;
        while (ip < end) {
            int token = src.get(ip++) & 0xFF;
            long literals = token >>> 4;
            if (literals == RUN_MASK) {
                int b;
                do {
                    if (ip >= end) {
                        return MALFORMED;
                    }
                    b = src.get(ip++) & 0xFF;
                    literals += b;
                } while (b == 255);
            }
            if (literals > end - ip) {
                return MALFORMED;
            }
            ip += (int) literals;
            produced += literals;
            if (ip == end) {
                return produced; // the last sequence has literals only
            }
            if (end - ip < 2) {
                return MALFORMED;
            }
            int offset = (src.get(ip) & 0xFF) | (src.get(ip + 1) & 0xFF) << 8;
            ip += 2;
            if (offset > produced) {
                return MALFORMED;
            }
            long match = (token & RUN_MASK) + MIN_MATCH;
            if ((token & RUN_MASK) == RUN_MASK) {
                int b;
                do {
                    if (ip >= end) {
                        return MALFORMED;
                    }
                    b = src.get(ip++) & 0xFF;
                    match += b;
                } while (b == 255);
            }
            produced += match;
        }
        // Ended right after a match: a block's last sequence must carry the literals that end it.
        return MALFORMED;
    }
}
