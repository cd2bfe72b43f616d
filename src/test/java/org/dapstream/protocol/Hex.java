package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;

/** Hex text for golden vectors, and dumps that make a failed byte comparison readable. */
final class Hex {
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex() {
    }

    /** Decodes hex digits (either case); whitespace anywhere is ignored, so vectors can be grouped. */
    static byte[] decode(String text) {
        StringBuilder digits = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isWhitespace(c)) {
                digits.append(c);
            }
        }
        if (digits.length() % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits in '" + text + "'");
        }
        byte[] out = new byte[digits.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (digit(digits.charAt(2 * i), text) << 4 | digit(digits.charAt(2 * i + 1), text));
        }
        return out;
    }

    /** Lower-case hex, no separators. */
    static String encode(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = DIGITS[(bytes[i] >> 4) & 0xF];
            out[2 * i + 1] = DIGITS[bytes[i] & 0xF];
        }
        return new String(out);
    }

    /** The bytes from position to limit, without moving the position. */
    static String encode(ByteBuffer buffer) {
        return encode(bytes(buffer));
    }

    /** Copies position..limit without moving the position. */
    static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    /** One line per 16 bytes, with the offset, as {@code hexdump -C} prints them. */
    static String dump(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (int line = 0; line < bytes.length; line += 16) {
            out.append(String.format("%08x ", line));
            for (int i = line; i < line + 16; i++) {
                if (i == line + 8) {
                    out.append(' ');
                }
                if (i < bytes.length) {
                    out.append(' ').append(DIGITS[(bytes[i] >> 4) & 0xF]).append(DIGITS[bytes[i] & 0xF]);
                } else {
                    out.append("   ");
                }
            }
            out.append("  |");
            for (int i = line; i < Math.min(line + 16, bytes.length); i++) {
                int b = bytes[i] & 0xFF;
                out.append(b >= 0x20 && b < 0x7F ? (char) b : '.');
            }
            out.append("|\n");
        }
        return out.append(String.format("%08x%n", bytes.length)).toString();
    }

    /** Compares as hex dumps, so a failure shows both byte images line by line. */
    static void assertBytes(byte[] expected, byte[] actual, String what) {
        assertEquals(dump(expected), dump(actual), what);
    }

    static void assertBytes(String expectedHex, byte[] actual, String what) {
        assertBytes(decode(expectedHex), actual, what);
    }

    private static int digit(char c, String text) {
        int d = Character.digit(c, 16);
        if (d < 0 || c > 'f') {
            throw new IllegalArgumentException("'" + c + "' is not a hex digit in '" + text + "'");
        }
        return d;
    }
}
