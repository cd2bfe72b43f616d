package org.dapstream.protocol;

import java.util.StringJoiner;

/** The {@code flags} byte of a frame header (the seed's {@code DAP_STREAM_PKT_FLAG_*}). */
public final class Flags {
    /** The payload is {@code u32 original length || LZ4 block}; only on channels opened with the compression option. */
    public static final int COMPRESSED = 0b0000_0001;
    /** The payload is AEAD-sealed (every frame after the secure handshake). */
    public static final int ENCRYPTED = 0b0000_0010;
    /** More fragments of this DATA message follow; the payload starts with a {@link FragmentHeader}. */
    public static final int FRAGMENTED = 0b0000_0100;
    /** Every bit a sender may set; the others are reserved and must be 0. */
    public static final int DEFINED = COMPRESSED | ENCRYPTED | FRAGMENTED;

    private Flags() {
    }

    /** A short text for traces, e.g. {@code "0x03(COMPRESSED|ENCRYPTED)"}. */
    public static String describe(int flags) {
        String hex = String.format("0x%02x", flags);
        if (flags == 0) {
            return hex;
        }
        StringJoiner names = new StringJoiner("|", "(", ")");
        if ((flags & COMPRESSED) != 0) names.add("COMPRESSED");
        if ((flags & ENCRYPTED) != 0) names.add("ENCRYPTED");
        if ((flags & FRAGMENTED) != 0) names.add("FRAGMENTED");
        if ((flags & ~DEFINED) != 0) names.add("RESERVED");
        return hex + names;
    }
}
