package org.dapstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ChannelType;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** What {@code channel} prints for a message, which types it takes, and how it reads HOST:PORT. */
class ChannelCommandTest {
    @Test
    void textWhenUtf8HexOtherwise() {
        assertEquals("grüße", ChannelCommand.text(ByteBuffer.wrap("grüße".getBytes(StandardCharsets.UTF_8))));
        assertEquals("hex:ff00c3", ChannelCommand.text(ByteBuffer.wrap(new byte[] {(byte) 0xFF, 0x00, (byte) 0xC3})));
        ByteBuffer slice = ByteBuffer.wrap("xxabc".getBytes(StandardCharsets.UTF_8));
        slice.position(2);
        assertEquals("abc", ChannelCommand.text(slice), "only position..limit is the message");
        assertEquals(2, slice.position(), "the lent buffer is left as it was");
    }

    @Test
    void typesByNameOrCustomNumber() {
        ChannelCommand.TypeConverter types = new ChannelCommand.TypeConverter();
        assertEquals(ChannelType.ECHO, types.convert("echo"));
        assertEquals(ChannelType.DISCARD, types.convert("DISCARD"));
        assertEquals(ChannelType.MEDIA, types.convert("media"));
        assertEquals(ChannelType.custom(0x30), types.convert("0x30"));
        assertEquals(ChannelType.custom(200), types.convert("200"));
        assertTrue(assertThrows(TypeConversionException.class, () -> types.convert("256")).getMessage()
                .contains("custom types are 16..255 (0x10..0xff)"));
        assertTrue(assertThrows(TypeConversionException.class, () -> types.convert("control")).getMessage()
                .startsWith("'control' is not a channel type"));
    }

    @Test
    void hostPortWithDefaultPortAndIpv6() {
        assertEquals(new HostPort("127.0.0.1", 8079), HostPort.parse("127.0.0.1"));
        assertEquals(new HostPort("node-1.example", 9), HostPort.parse("node-1.example:9"));
        assertEquals(new HostPort("::1", 8079), HostPort.parse("[::1]"));
        assertEquals(new HostPort("::1", 18079), HostPort.parse("[::1]:18079"));
        assertEquals("[::1]:18079", HostPort.parse("[::1]:18079").toString());
        assertEquals("port 'http' of 'h:http' is not a number 1..65535",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:http")).getMessage());
        assertEquals("':1' is not host:port (e.g. 127.0.0.1:8079)",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse(":1")).getMessage());
    }
}
