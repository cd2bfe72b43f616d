package org.dapstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * SERVICE channel messages: golden bytes both ways, a table of malformed ones with their
 * messages, every cut of every message refused (or, where the cut is itself a message, decoded
 * as that), the frames carrying them decoded at every split, and the forwarding rules.
 */
class ServiceCodecTest {
    static final int MUTATIONS = 20_000;
    static final ServiceMessage.Request GET = new ServiceMessage.Request(7, true, "GET", "node", "/q/health",
            List.of(new ServiceMessage.Header("accept", "*/*")));
    static final String GET_HEX = "01 07000000 01 03 474554 04 6e6f6465 0900 2f712f6865616c7468 0100 06 616363657074 0300 2a2f2a";

    private static void golden(String hex, ServiceMessage message) throws ProtocolException {
        byte[] bytes = Hex.decode(hex.replace(" ", ""));
        Hex.assertBytes(bytes, ServiceCodec.encode(message), "encode " + message);
        assertArrayEquals(ServiceCodec.encode(message), ServiceCodec.encode(ServiceCodec.decode(ByteBuffer.wrap(bytes))),
                "decode gives back " + message);
    }

    @Test
    void request() throws ProtocolException {
        golden(GET_HEX, GET);
        assertEquals(GET, ServiceCodec.decode(ByteBuffer.wrap(Hex.decode(GET_HEX.replace(" ", "")))));
        golden("01 08000000 00 04 504f5354 03 617069 0200 2f78 0000",
                new ServiceMessage.Request(8, false, "POST", "api", "/x", List.of()));
    }

    @Test
    void theOtherKinds() throws ProtocolException {
        golden("02 07000000 00 c800 0100 0c 636f6e74656e742d74797065 0a00 746578742f706c61696e",
                new ServiceMessage.Response(7, false, 200, List.of(new ServiceMessage.Header("content-type", "text/plain"))));
        golden("02 ffffffff 01 9001 0000", new ServiceMessage.Response(-1, true, 400, List.of()));
        golden("03 07000000 68690a", new ServiceMessage.Body(7, new byte[] {'h', 'i', '\n'}));
        golden("04 07000000", new ServiceMessage.End(7));
        golden("05 07000000 3900 72656675736564", new ServiceMessage.Reset(7, 0x39, "refused"));
        assertArrayEquals(Hex.decode("03070000006263"), ServiceCodec.body(7, new byte[] {'a', 'b', 'c', 'd'}, 1, 2));
        assertEquals(ServiceMessage.KIND_REQUEST, ServiceCodec.kindOf(ByteBuffer.wrap(ServiceCodec.encode(GET))));
        assertEquals(7, ServiceCodec.requestOf(ByteBuffer.wrap(ServiceCodec.encode(GET))));
        assertEquals(0xFFFFFFFFL, ServiceCodec.requestOf(ByteBuffer.wrap(Hex.decode("04ffffffff"))));
    }

    @Test
    void headerBytesTravelAsTheyAre() throws ProtocolException {
        ServiceMessage.Request r = new ServiceMessage.Request(1, true, "GET", "node", "/",
                List.of(new ServiceMessage.Header("x-latin", "caf\u00e9"), new ServiceMessage.Header("x-empty", "")));
        assertEquals(r, ServiceCodec.decode(ByteBuffer.wrap(ServiceCodec.encode(r))));
    }

    record Bad(String name, String hex, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Bad> malformed() {
        return List.of(
                new Bad("empty", "", "empty SERVICE message"),
                new Bad("kind 0", "00 07000000", "unknown SERVICE message kind 0x00"),
                new Bad("kind 0x06", "06 07000000", "unknown SERVICE message kind 0x06"),
                new Bad("no request id", "04 0700", "END is 3 bytes, shorter than its kind and request (5)"),
                new Bad("END one byte long", "04 07000000 00", "END is 6 bytes, must be exactly 5"),
                new Bad("empty BODY", "03 07000000", "BODY is 5 bytes, at least 6"),
                new Bad("RESET without code", "05 07000000 39", "RESET is 6 bytes, at least 7"),
                new Bad("RESET reason not UTF-8", "05 07000000 3900 c0af", "RESET reason is not valid UTF-8"),
                new Bad("REQUEST without flags", "01 07000000", "REQUEST is truncated: flags needs 1 bytes, 0 remain"),
                new Bad("REQUEST reserved flag", "01 07000000 02", "REQUEST flags 0x02 has reserved bits set"),
                new Bad("REQUEST empty method", "01 07000000 00 00", "REQUEST method is empty"),
                new Bad("REQUEST method past the end", "01 07000000 00 05 474554", "REQUEST method is 5 bytes, but only 3 follow"),
                new Bad("REQUEST empty authority", "01 07000000 00 03 474554 00", "REQUEST authority is empty"),
                new Bad("REQUEST without target_len", "01 07000000 00 03 474554 01 61 00",
                        "REQUEST is truncated: target_len needs 2 bytes, 1 remain"),
                new Bad("REQUEST empty target", "01 07000000 00 03 474554 01 61 0000", "REQUEST target is empty"),
                new Bad("REQUEST without header count", "01 07000000 00 03 474554 01 61 0100 2f",
                        "REQUEST is truncated: header count needs 2 bytes, 0 remain"),
                new Bad("REQUEST header missing", "01 07000000 00 03 474554 01 61 0100 2f 0100",
                        "REQUEST is truncated: header 0 name_len needs 1 bytes, 0 remain"),
                new Bad("REQUEST empty header name", "01 07000000 00 03 474554 01 61 0100 2f 0100 00",
                        "REQUEST header 0 name is empty"),
                new Bad("REQUEST header value past the end", "01 07000000 00 03 474554 01 61 0100 2f 0100 01 61 0500 6162",
                        "REQUEST header 0 value is 5 bytes, but only 2 follow"),
                new Bad("REQUEST trailing bytes", "01 07000000 00 03 474554 01 61 0100 2f 0000 ff",
                        "REQUEST has 1 trailing bytes after its 0 header fields"),
                new Bad("RESPONSE status 99", "02 07000000 00 6300 0000", "RESPONSE status 99 is not 100..599"),
                new Bad("RESPONSE status 600", "02 07000000 00 5802 0000", "RESPONSE status 600 is not 100..599"),
                new Bad("RESPONSE without status", "02 07000000 00 c8", "RESPONSE is truncated: status needs 2 bytes, 1 remain"),
                new Bad("RESPONSE trailing bytes", "02 07000000 00 c800 0000 00",
                        "RESPONSE has 1 trailing bytes after its 0 header fields"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedMessagesAreRefusedWithWhatIsWrong(Bad bad) {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> ServiceCodec.decode(ByteBuffer.wrap(Hex.decode(bad.hex().replace(" ", "")))));
        assertEquals(ErrorCode.MALFORMED_SERVICE_MESSAGE, e.code());
        assertEquals(bad.message(), e.getMessage());
    }

    @Test
    void aHeadOverTheLimitIsMalformedAndTheEncoderWillNotWriteOne() {
        ServiceMessage.Request big = new ServiceMessage.Request(1, true, "GET", "node", "/",
                List.of(new ServiceMessage.Header("x", "v".repeat(ServiceCodec.MAX_HEAD_BYTES))));
        assertThrows(IllegalArgumentException.class, () -> ServiceCodec.encode(big));
        byte[] over = new byte[ServiceCodec.MAX_HEAD_BYTES + 1];
        over[0] = ServiceMessage.KIND_REQUEST;
        ProtocolException e = assertThrows(ProtocolException.class, () -> ServiceCodec.decode(ByteBuffer.wrap(over)));
        assertEquals("REQUEST is 65537 bytes, at most 65536", e.getMessage());
    }

    @Test
    void theEncoderRefusesWhatTheWireCannotCarry() {
        assertThrows(IllegalArgumentException.class, () -> ServiceCodec.encode(new ServiceMessage.Response(1, true, 99, List.of())));
        assertThrows(IllegalArgumentException.class, () -> ServiceCodec.encode(new ServiceMessage.Request(1, true, "", "a", "/", List.of())));
        assertThrows(IllegalArgumentException.class, () -> ServiceCodec.encode(new ServiceMessage.Request(1, true, "GET", "a", "/\u20ac",
                List.of())));
        assertThrows(IllegalArgumentException.class, () -> ServiceCodec.encode(new ServiceMessage.Request(1, true, "GET", "a".repeat(256),
                "/", List.of())));
        assertThrows(IllegalArgumentException.class, () -> ServiceCodec.body(1, new byte[0], 0, 0));
    }

    static List<ServiceMessage> everyKind() {
        return List.of(GET, new ServiceMessage.Request(8, false, "POST", "api", "/upload?x=1",
                        List.of(new ServiceMessage.Header("content-length", "3"), new ServiceMessage.Header("x-a", "b c"))),
                new ServiceMessage.Response(7, false, 200, List.of(new ServiceMessage.Header("content-type", "text/plain"))),
                new ServiceMessage.Body(8, new byte[] {1, 2, 3}), new ServiceMessage.End(8),
                new ServiceMessage.Reset(9, 0x38, "unknown upstream"));
    }

    /**
     * Every cut of a message (all its prefixes) is refused as malformed, never read past its end
     * nor thrown as anything else; only cuts that are whole messages themselves (a BODY with
     * fewer bytes, a RESET with a shorter reason) decode, and then as what they are.
     */
    @Test
    void everyCutOfEveryMessageIsRefusedOrIsAWholeShorterMessage() throws ProtocolException {
        for (ServiceMessage m : everyKind()) {
            byte[] bytes = ServiceCodec.encode(m);
            for (int cut = 0; cut < bytes.length; cut++) {
                ByteBuffer prefix = ByteBuffer.wrap(Arrays.copyOf(bytes, cut));
                boolean shorterWhole = cut >= (m instanceof ServiceMessage.Body ? ServiceCodec.BODY_HEADER_SIZE + 1
                        : ServiceCodec.RESET_MIN_SIZE) && (m instanceof ServiceMessage.Body || m instanceof ServiceMessage.Reset);
                if (shorterWhole) {
                    assertEquals(m.getClass(), ServiceCodec.decode(prefix).getClass(), m + " cut at " + cut);
                    continue;
                }
                ProtocolException e = assertThrows(ProtocolException.class, () -> ServiceCodec.decode(prefix), m + " cut at " + cut);
                assertEquals(ErrorCode.MALFORMED_SERVICE_MESSAGE, e.code(), m + " cut at " + cut);
            }
        }
    }

    /** The messages as DATA frames, the bytes cut at every offset into two reads: the same messages come out. */
    @Test
    void theFramesOfAConversationDecodeAtEverySplit() throws ProtocolException {
        List<ServiceMessage> messages = everyKind();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        int seq = 0;
        for (ServiceMessage m : messages) {
            stream.writeBytes(FrameHeader.frame(PacketType.DATA, seq++, 1, 0, ServiceCodec.encode(m)));
        }
        byte[] bytes = stream.toByteArray();
        for (int split = 0; split <= bytes.length; split++) {
            List<byte[]> decoded = new ArrayList<>();
            FrameDecoder decoder = new FrameDecoder(FrameLimits.DEFAULT_MAX_FRAME_PAYLOAD);
            FrameSink sink = (type, seqId, channelId, flags, payload) -> {
                byte[] copy = new byte[payload.remaining()];
                payload.duplicate().get(copy);
                decoded.add(copy);
            };
            decoder.feed(ByteBuffer.wrap(bytes, 0, split), sink);
            decoder.feed(ByteBuffer.wrap(bytes, split, bytes.length - split), sink);
            assertEquals(messages.size(), decoded.size(), "frames at split " + split);
            for (int i = 0; i < messages.size(); i++) {
                assertArrayEquals(ServiceCodec.encode(messages.get(i)), ServiceCodec.encode(ServiceCodec.decode(ByteBuffer.wrap(decoded.get(i)))),
                        "message " + i + " at split " + split);
            }
        }
    }

    /** Valid messages with random bytes changed, cut or added: the decoder refuses with its code or decodes, nothing else. */
    @Test
    void mutatedMessagesAreDecodedOrRefusedNeverAnythingElse() {
        Random random = new Random(17);
        List<ServiceMessage> seeds = everyKind();
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] bytes = ServiceCodec.encode(seeds.get(random.nextInt(seeds.size())));
            bytes = Arrays.copyOf(bytes, Math.max(0, bytes.length + random.nextInt(9) - 4));
            for (int flips = random.nextInt(4); flips > 0 && bytes.length > 0; flips--) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
            try {
                ServiceMessage m = ServiceCodec.decode(ByteBuffer.wrap(bytes));
                assertArrayEquals(bytes, ServiceCodec.encode(m), "what decodes encodes back to the same bytes");
            } catch (ProtocolException e) {
                assertEquals(ErrorCode.MALFORMED_SERVICE_MESSAGE, e.code());
            }
        }
    }

    // ---- the forwarding rules ----

    private static ServiceMessage.Request request(boolean end, String method, String target, String... fields) {
        List<ServiceMessage.Header> headers = new ArrayList<>();
        for (int i = 0; i < fields.length; i += 2) {
            headers.add(new ServiceMessage.Header(fields[i], fields[i + 1]));
        }
        return new ServiceMessage.Request(1, end, method, "node", target, headers);
    }

    static List<Object[]> refused() {
        return List.of(
                new Object[] {request(true, "GE T", "/"), "method 'GE T' is not an RFC 9110 token"},
                new Object[] {request(true, "GET", "http://evil/"), "target 'http://evil/' is not a path and query"},
                new Object[] {request(true, "GET", "/a b"), "target '/a b' is not a path and query"},
                new Object[] {request(true, "GET", "/", "x a", "1"), "header name 'x a' is not an RFC 9110 token"},
                new Object[] {request(true, "GET", "/", "x:", "1"), "header name 'x:' is not an RFC 9110 token"},
                new Object[] {request(true, "GET", "/", "x", "1\r\nx-injected: 1"), "header 'x' value has CR, LF, NUL"},
                new Object[] {request(true, "GET", "/", "x", "a\u0000b"), "header 'x' value has CR, LF, NUL"},
                new Object[] {request(true, "GET", "/", "x", " padded"), "header 'x' value has CR, LF, NUL"},
                new Object[] {request(false, "POST", "/", "Transfer-Encoding", "chunked"), "header 'Transfer-Encoding' is hop-by-hop"},
                new Object[] {request(true, "GET", "/", "connection", "close"), "header 'connection' is hop-by-hop"},
                new Object[] {request(true, "GET", "/", "Upgrade", "websocket"), "header 'Upgrade' is hop-by-hop"},
                new Object[] {request(true, "GET", "/", "keep-alive", "5"), "header 'keep-alive' is hop-by-hop"},
                new Object[] {request(true, "GET", "/", "TE", "trailers"), "header 'TE' is hop-by-hop"},
                new Object[] {request(true, "GET", "/", "Proxy-Authorization", "x"), "header 'Proxy-Authorization' is hop-by-hop"},
                new Object[] {request(true, "GET", "/", "host", "evil"), "header 'host' is hop-by-hop"},
                new Object[] {request(false, "POST", "/", "content-length", "3", "Content-Length", "3"), "more than one Content-Length"},
                new Object[] {request(false, "POST", "/", "content-length", "3, 3"), "Content-Length '3, 3' is not"},
                new Object[] {request(false, "POST", "/", "content-length", "+3"), "Content-Length '+3' is not"},
                new Object[] {request(true, "POST", "/", "content-length", "3"), "Content-Length 3 on a REQUEST flagged END"});
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("refused")
    void requestsThatCouldSmuggleAreRefused(ServiceMessage.Request r, String reason) {
        ServiceRules.Refusal refusal = ServiceRules.check(r);
        assertEquals(ErrorCode.SERVICE_BAD_REQUEST, refusal == null ? null : refusal.code(), r.toString());
        assertTrue(refusal.reason().startsWith(reason), refusal.reason());
        assertTrue(refusal.reason().indexOf('\r') < 0 && refusal.reason().indexOf('\n') < 0, "the reason carries no CR/LF");
    }

    @Test
    void ordinaryRequestsPass() {
        assertNull(ServiceRules.check(request(true, "GET", "/q/health?x=1&y=%20", "accept", "*/*", "x-a", "b\tc", "x-empty", "")));
        ServiceMessage.Request post = request(false, "POST", "/", "Content-Length", "20971520");
        assertNull(ServiceRules.check(post));
        assertEquals(20971520, ServiceRules.contentLength(post));
        assertEquals(-1, ServiceRules.contentLength(request(true, "GET", "/")));
        assertTrue(ServiceRules.hopByHop("Proxy-Connection"));
        assertTrue(ServiceRules.hopByHop("Transfer-Encoding"));
        assertTrue(!ServiceRules.hopByHop("content-type"));
    }
}
