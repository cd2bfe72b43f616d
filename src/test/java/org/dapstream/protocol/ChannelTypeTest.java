package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Channel types: 0x00..0x06 standard, 0x07..0x0F reserved, 0x10..0xFF custom. */
class ChannelTypeTest {

    @Test
    void standardTypesHaveTheSeedsCodes() {
        assertEquals(0x00, ChannelType.CONTROL.code());
        assertEquals(0x01, ChannelType.FILE.code());
        assertEquals(0x02, ChannelType.SERVICE.code());
        assertEquals(0x03, ChannelType.SECURITY.code());
        assertEquals(0x04, ChannelType.MEDIA.code());
        assertEquals(0x05, ChannelType.LINK.code());
        assertEquals(0x06, ChannelType.CLUSTER.code());
        assertEquals(0x10, ChannelType.FIRST_CUSTOM);
        assertEquals(ChannelType.FILE, new ChannelType(1), "a type is its code");
        assertNotEquals(ChannelType.FILE, new ChannelType(2));
    }

    @Test
    void everyCodeIsExactlyOneOfStandardReservedCustom() {
        for (int code = 0; code <= 0xFF; code++) {
            ChannelType t = new ChannelType(code);
            String what = String.format("0x%02x", code);
            assertEquals(code >= 0x07 && code <= 0x0F, t.reserved(), what + " reserved()");
            assertEquals(code >= 0x10, t.custom(), what + " custom()");
            assertFalse(t.reserved() && t.custom(), what);
        }
    }

    @Test
    void diagnosticTypesAreCustom() {
        assertEquals(0xF0, ChannelType.ECHO.code());
        assertEquals(0xF1, ChannelType.DISCARD.code());
        assertTrue(ChannelType.ECHO.custom());
        assertTrue(ChannelType.DISCARD.custom());
    }

    @Test
    void customAcceptsExactlyTheCustomRange() {
        assertEquals(new ChannelType(0x10), ChannelType.custom(0x10));
        assertEquals(new ChannelType(0x42), ChannelType.custom(0x42));
        assertEquals(new ChannelType(0xFF), ChannelType.custom(0xFF));
        assertEquals("custom channel types are 0x10..0xFF, got 0xf",
                assertThrows(IllegalArgumentException.class, () -> ChannelType.custom(0x0F)).getMessage());
        assertEquals("custom channel types are 0x10..0xFF, got 0x100",
                assertThrows(IllegalArgumentException.class, () -> ChannelType.custom(0x100)).getMessage());
        for (int bad : new int[] {0x00, 0x04, 0x05, 0x06, 0x07, -1, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChannelType.custom(bad));
            assertTrue(e.getMessage().startsWith("custom channel types are 0x10..0xFF"), e.getMessage());
        }
    }

    @Test
    void codeIsAU8() {
        assertEquals("channel type is a u8: 256", assertThrows(IllegalArgumentException.class, () -> new ChannelType(0x100)).getMessage());
        assertEquals("channel type is a u8: -1", assertThrows(IllegalArgumentException.class, () -> new ChannelType(-1)).getMessage());
    }

    @Test
    void names() {
        assertEquals("CONTROL", ChannelType.CONTROL.toString());
        assertEquals("FILE", ChannelType.FILE.toString());
        assertEquals("SERVICE", ChannelType.SERVICE.toString());
        assertEquals("SECURITY", ChannelType.SECURITY.toString());
        assertEquals("MEDIA", ChannelType.MEDIA.toString());
        assertEquals("LINK", ChannelType.LINK.toString());
        assertEquals("CLUSTER", ChannelType.CLUSTER.toString());
        assertEquals("RESERVED(0x07)", new ChannelType(0x07).toString());
        assertEquals("RESERVED(0x0f)", new ChannelType(0x0F).toString());
        assertEquals("CUSTOM(0x10)", ChannelType.custom(0x10).toString());
        assertEquals("CUSTOM(0xf0 echo)", ChannelType.ECHO.toString());
        assertEquals("CUSTOM(0xf1 discard)", ChannelType.DISCARD.toString());
        assertEquals("CUSTOM(0xff)", ChannelType.custom(0xFF).toString());
    }
}
