package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

/** Node addresses print DAP-style, {@code XXXX::XXXX::XXXX::XXXX}, and parse back. */
class NodeAddressTest {

    @Test
    void printsFourUpperCaseGroupsMostSignificantFirst() {
        assertEquals("0123::4567::89AB::CDEF", new NodeAddress(0x0123456789ABCDEFL).toString());
        assertEquals("FEDC::BA98::7654::3210", new NodeAddress(0xFEDCBA9876543210L).toString());
    }

    @Test
    void printsLeadingZerosInEveryGroup() {
        assertEquals("0000::0000::0000::0000", NodeAddress.NONE.toString());
        assertEquals("0000::0000::00AB::000F", new NodeAddress(0xAB000FL).toString());
        assertEquals("0001::0000::0000::0000", new NodeAddress(1L << 48).toString());
    }

    @Test
    void printsTheTopBitAsHexNotAsASign() {
        assertEquals("FFFF::FFFF::FFFF::FFFF", new NodeAddress(-1L).toString());
        assertEquals("8000::0000::0000::0000", new NodeAddress(Long.MIN_VALUE).toString());
        assertEquals("7FFF::FFFF::FFFF::FFFF", new NodeAddress(Long.MAX_VALUE).toString());
    }

    @Test
    void parsesWhatItPrints() {
        Random random = new Random(0xADD7);
        long[] edges = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0xFFFFL, 0xFFFF0000L, 0x8000_0000_0000_0001L};
        for (long v : edges) {
            assertRoundTrip(v);
        }
        for (int i = 0; i < 2000; i++) {
            assertRoundTrip(random.nextLong());
        }
    }

    @Test
    void parsesEitherCase() {
        assertEquals(new NodeAddress(0xABCDEF0123456789L), NodeAddress.parse("abcd::ef01::2345::6789"));
        assertEquals(new NodeAddress(0xABCDEF0123456789L), NodeAddress.parse("AbCd::eF01::2345::6789"));
        assertEquals(NodeAddress.NONE, NodeAddress.parse("0000::0000::0000::0000"));
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("", "node address must be XXXX::XXXX::XXXX::XXXX, got ''"),
                Arguments.of("0123456789ABCDEF", "node address must be XXXX::XXXX::XXXX::XXXX, got '0123456789ABCDEF'"),
                Arguments.of("0123:4567:89AB:CDEF", "node address must be XXXX::XXXX::XXXX::XXXX, got '0123:4567:89AB:CDEF'"),
                Arguments.of("0123::4567::89AB", "node address must be XXXX::XXXX::XXXX::XXXX, got '0123::4567::89AB'"),
                Arguments.of("0123::4567::89AB::CDEF::0000", "node address must be XXXX::XXXX::XXXX::XXXX, got '0123::4567::89AB::CDEF::0000'"),
                Arguments.of("0123::4567::89AB::CDEF::", "node address must be XXXX::XXXX::XXXX::XXXX, got '0123::4567::89AB::CDEF::'"),
                Arguments.of("123::4567::89AB::CDEF", "each node address group is 4 hex digits, got '123' in '123::4567::89AB::CDEF'"),
                Arguments.of("01234::567::89AB::CDEF", "each node address group is 4 hex digits, got '01234' in '01234::567::89AB::CDEF'"),
                Arguments.of("0123::4567::89AB::", "each node address group is 4 hex digits, got '' in '0123::4567::89AB::'"),
                Arguments.of(" 0123::4567::89AB::CDEF", "each node address group is 4 hex digits, got ' 0123' in ' 0123::4567::89AB::CDEF'"),
                Arguments.of("0123:::4567::89AB::CDEF", "each node address group is 4 hex digits, got ':4567' in '0123:::4567::89AB::CDEF'"),
                Arguments.of("0123::4567::89AB::CDEG", "node address group 'CDEG' is not hex in '0123::4567::89AB::CDEG'"),
                Arguments.of("0x12::4567::89AB::CDEF", "node address group '0x12' is not hex in '0x12::4567::89AB::CDEF'"),
                // Integer.parseInt takes a sign and any Unicode digit; a node address takes neither.
                Arguments.of("-001::0000::0000::0000", "node address group '-001' is not hex in '-001::0000::0000::0000'"),
                Arguments.of("+001::0000::0000::0000", "node address group '+001' is not hex in '+001::0000::0000::0000'"),
                Arguments.of("0000::0000::0000::-FFF", "node address group '-FFF' is not hex in '0000::0000::0000::-FFF'"),
                Arguments.of("\uFF11\uFF12\uFF13\uFF14::0000::0000::0000",
                        "node address group '\uFF11\uFF12\uFF13\uFF14' is not hex in '\uFF11\uFF12\uFF13\uFF14::0000::0000::0000'"),
                Arguments.of("\u0661\u0662\u0663\u0664::0000::0000::0000",
                        "node address group '\u0661\u0662\u0663\u0664' is not hex in '\u0661\u0662\u0663\u0664::0000::0000::0000'"));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource("malformed")
    void refusesWithAMessageThatShowsTheInput(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeAddress.parse(text),
                () -> "parsed '" + text + "' as " + safeParse(text));
        assertEquals(message, e.getMessage());
    }

    private static void assertRoundTrip(long value) {
        NodeAddress address = new NodeAddress(value);
        String text = address.toString();
        assertTrue(text.matches("[0-9A-F]{4}::[0-9A-F]{4}::[0-9A-F]{4}::[0-9A-F]{4}"), text);
        assertEquals(address, NodeAddress.parse(text), text);
        assertEquals(address, NodeAddress.parse(text.toLowerCase()), text);
    }

    private static String safeParse(String text) {
        try {
            return NodeAddress.parse(text).toString();
        } catch (RuntimeException e) {
            return e.toString();
        }
    }
}
