package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Fuzzes the parsers of frame payloads and node addresses. Each one must either refuse the
 * input with the one error its kind of payload has, or return a value that encodes back to
 * exactly the input bytes: a parser that accepts two spellings of one value, or drops bytes,
 * fails here. Every input is decoded at a non-zero position of a larger buffer, and the
 * decoder must not move that position.
 */
class PayloadFuzzTest {
    private static final int FRONT_GUARD = 3;

    @FuzzTest
    void controlMessage(byte[] payload) {
        ByteBuffer in = lent(payload);
        ControlMessage message;
        try {
            message = ControlCodec.decode(in);
        } catch (ProtocolException e) {
            assertEquals(ErrorCode.MALFORMED_CONTROL, e.code(), e::toString);
            assertUntouched(in, payload);
            return;
        }
        assertUntouched(in, payload);
        assertNotNull(message);
        if (channelId(message) == 0) {
            // On purpose the codec decodes channel id 0 (the engine answers it with BAD_CHANNEL_ID,
            // PROTOCOL.md section 10.3) but never encodes it, as we never send one.
            assertThrows(IllegalArgumentException.class, () -> ControlCodec.encode(message), () -> "encoded " + message);
            return;
        }
        assertArrayEquals(payload, ControlCodec.encode(message), () -> "re-encoding " + message);
    }

    @FuzzTest
    void closeReason(byte[] payload) {
        ByteBuffer in = lent(payload);
        CloseReason reason;
        try {
            reason = CloseReason.decode(in);
        } catch (ProtocolException e) {
            assertEquals(ErrorCode.MALFORMED_FRAME, e.code(), e::toString);
            assertUntouched(in, payload);
            return;
        }
        assertUntouched(in, payload);
        assertArrayEquals(payload, reason.encode(), () -> "re-encoding " + reason);
        assertNotNull(reason.toString());
    }

    @FuzzTest
    void keepAlive(byte[] payload) {
        ByteBuffer in = lent(payload);
        KeepAlivePayload keepAlive;
        try {
            keepAlive = KeepAlivePayload.decode(in);
        } catch (ProtocolException e) {
            assertEquals(ErrorCode.MALFORMED_FRAME, e.code(), e::toString);
            assertUntouched(in, payload);
            return;
        }
        assertUntouched(in, payload);
        assertArrayEquals(payload, keepAlive.encode(), () -> "re-encoding " + keepAlive);
    }

    /** The text is tried as UTF-8 (any code point) and as Latin-1 (every byte a char). */
    @FuzzTest
    void nodeAddress(byte[] text) {
        nodeAddress(new String(text, StandardCharsets.UTF_8));
        nodeAddress(new String(text, StandardCharsets.ISO_8859_1));
    }

    private static void nodeAddress(String text) {
        NodeAddress address;
        try {
            address = NodeAddress.parse(text);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), "the refusal says what is wrong");
            return;
        }
        // One spelling per address, up to the case of the hex digits.
        assertEquals(text.toUpperCase(Locale.ROOT), address.toString(), () -> "parsed '" + text + "'");
        assertEquals(address, NodeAddress.parse(address.toString()));
    }

    /** The payload at a non-zero position of a larger buffer, as a transport lends it. */
    private static ByteBuffer lent(byte[] payload) {
        byte[] room = new byte[FRONT_GUARD + payload.length + 1];
        room[room.length - 1] = 0x7F; // a byte past the limit a decoder must not read
        System.arraycopy(payload, 0, room, FRONT_GUARD, payload.length);
        return ByteBuffer.wrap(room, FRONT_GUARD, payload.length);
    }

    private static void assertUntouched(ByteBuffer in, byte[] payload) {
        assertEquals(FRONT_GUARD, in.position(), "the decoder moved the position");
        assertEquals(FRONT_GUARD + payload.length, in.limit(), "the decoder moved the limit");
    }

    private static int channelId(ControlMessage m) {
        if (m instanceof ControlMessage.OpenChannel o) {
            return o.channelId();
        }
        if (m instanceof ControlMessage.OpenAck a) {
            return a.channelId();
        }
        if (m instanceof ControlMessage.OpenReject r) {
            return r.channelId();
        }
        if (m instanceof ControlMessage.ChannelKey k) {
            return k.channelId();
        }
        if (m instanceof ControlMessage.ChannelKeyAck k) {
            return k.channelId();
        }
        if (m instanceof ControlMessage.ChannelKeyActive k) {
            return k.channelId();
        }
        return -1;
    }
}
