package org.dapstream.protocol;

import java.util.Locale;

/**
 * A node address: 64 bits, printed DAP-style as four groups of four hex digits,
 * {@code XXXX::XXXX::XXXX::XXXX}. {@link #NONE} (all zero) means "not known".
 */
public record NodeAddress(long value) {
    public static final NodeAddress NONE = new NodeAddress(0);

    /** Parses {@code XXXX::XXXX::XXXX::XXXX} (hex, either case). */
    public static NodeAddress parse(String text) {
        String[] parts = text.split("::", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("node address must be XXXX::XXXX::XXXX::XXXX, got '" + text + "'");
        }
        long v = 0;
        for (String p : parts) {
            if (p.length() != 4) {
                throw new IllegalArgumentException("each node address group is 4 hex digits, got '" + p + "' in '" + text + "'");
            }
            if (!p.chars().allMatch(NodeAddress::isHexDigit)) {
                throw new IllegalArgumentException("node address group '" + p + "' is not hex in '" + text + "'");
            }
            v = (v << 16) | Integer.parseInt(p, 16);
        }
        return new NodeAddress(v);
    }

    /** ASCII hex only: {@code Integer.parseInt} alone would also take a sign and non-ASCII digits. */
    private static boolean isHexDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%04X::%04X::%04X::%04X",
                (value >>> 48) & 0xFFFF, (value >>> 32) & 0xFFFF, (value >>> 16) & 0xFFFF, value & 0xFFFF);
    }
}
