package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Byte layouts of the SERVICE channel messages (all integers little-endian; text fields are
 * bytes, carried as ISO-8859-1 characters; {@code headers} is {@code count u16} then, per field,
 * {@code name_len u8 | name | value_len u16 | value}):
 *
 * <pre>
 * REQUEST  01 | request u32 | flags u8 | method_len u8 | method | authority_len u8 | authority
 *             | target_len u16 | target | headers                                         (15+ bytes)
 * RESPONSE 02 | request u32 | flags u8 | status u16 | headers                             (10+ bytes)
 * BODY     03 | request u32 | data (to the end, at least 1 byte)                          (6+ bytes)
 * END      04 | request u32                                                               (5 bytes)
 * RESET    05 | request u32 | code u16 | reason UTF-8 to the end (at most 512 bytes)      (7+ bytes)
 * </pre>
 *
 * The codec checks the layout only: lengths, flags, the status range, a head of at most
 * {@link #MAX_HEAD_BYTES}, no trailing bytes. Every violation is
 * {@link ErrorCode#MALFORMED_SERVICE_MESSAGE}. Whether the fields make a request that may be
 * forwarded is {@link ServiceRules}' question.
 */
public final class ServiceCodec {
    /** Longest REQUEST or RESPONSE message; a receiver may set a lower limit of its own. */
    public static final int MAX_HEAD_BYTES = 65536;
    /** Longest method, authority and header name, in bytes (their length is a u8). */
    public static final int MAX_SHORT_FIELD = 255;
    /** Longest target and header value, in bytes (their length is a u16). */
    public static final int MAX_LONG_FIELD = 65535;
    public static final int MIN_STATUS = 100;
    public static final int MAX_STATUS = 599;
    public static final int END_SIZE = 5;
    public static final int RESET_MIN_SIZE = 7;
    /** BODY before its data: kind, request. */
    public static final int BODY_HEADER_SIZE = 5;
    /** Body bytes per BODY that keep it within one frame, so it is never fragmented. */
    public static final int MAX_BODY_DATA = FrameLimits.DEFAULT_MESSAGE_PAYLOAD - BODY_HEADER_SIZE;
    /** REQUEST with a 1-byte method, authority and target and no header fields. */
    public static final int REQUEST_MIN_SIZE = 1 + 4 + 1 + 1 + 1 + 1 + 1 + 2 + 1 + 2;
    /** RESPONSE without header fields. */
    public static final int RESPONSE_MIN_SIZE = 1 + 4 + 1 + 2 + 2;

    private ServiceCodec() {
    }

    public static byte[] encode(ServiceMessage message) {
        if (message instanceof ServiceMessage.Request m) {
            byte[] method = field(m.method(), 1, MAX_SHORT_FIELD, "method");
            byte[] authority = field(m.authority(), 1, MAX_SHORT_FIELD, "authority");
            byte[] target = field(m.target(), 1, MAX_LONG_FIELD, "target");
            List<byte[]> headers = headers(m.headers());
            int size = 1 + 4 + 1 + 1 + method.length + 1 + authority.length + 2 + target.length + headersSize(headers);
            ByteBuffer b = head(size).put((byte) ServiceMessage.KIND_REQUEST).putInt(m.request()).put(flags(m.end()))
                    .put((byte) method.length).put(method).put((byte) authority.length).put(authority)
                    .putShort((short) target.length).put(target);
            return putHeaders(b, headers).array();
        }
        if (message instanceof ServiceMessage.Response m) {
            if (m.status() < MIN_STATUS || m.status() > MAX_STATUS) {
                throw new IllegalArgumentException("a status is " + MIN_STATUS + ".." + MAX_STATUS + ", not " + m.status());
            }
            List<byte[]> headers = headers(m.headers());
            ByteBuffer b = head(1 + 4 + 1 + 2 + headersSize(headers)).put((byte) ServiceMessage.KIND_RESPONSE).putInt(m.request())
                    .put(flags(m.end())).putShort((short) m.status());
            return putHeaders(b, headers).array();
        }
        if (message instanceof ServiceMessage.Body m) {
            return body(m.request(), m.data(), 0, m.data().length);
        }
        if (message instanceof ServiceMessage.End m) {
            return allocate(END_SIZE).put((byte) ServiceMessage.KIND_END).putInt(m.request()).array();
        }
        if (message instanceof ServiceMessage.Reset m) {
            byte[] reason = CloseReason.truncate(m.reason() == null ? "" : m.reason());
            return allocate(RESET_MIN_SIZE + reason.length).put((byte) ServiceMessage.KIND_RESET).putInt(m.request())
                    .putShort((short) m.code()).put(reason).array();
        }
        throw new IllegalArgumentException("no encoding for " + message);
    }

    /** A BODY of {@code data[offset, offset+length)}: the hot path of a body, one array, one copy. */
    public static byte[] body(int request, byte[] data, int offset, int length) {
        if (length < 1) {
            throw new IllegalArgumentException("a BODY carries at least one byte");
        }
        return allocate(BODY_HEADER_SIZE + length).put((byte) ServiceMessage.KIND_BODY).putInt(request).put(data, offset, length).array();
    }

    /** The kind byte of a message, or -1 for an empty one (to refuse an oversized head before decoding it). */
    public static int kindOf(ByteBuffer payload) {
        return payload.hasRemaining() ? payload.get(payload.position()) & 0xFF : -1;
    }

    /** The request id of a message before it is decoded; -1 when it is too short to carry one. */
    public static long requestOf(ByteBuffer payload) {
        if (payload.remaining() < 5) {
            return -1;
        }
        return Integer.toUnsignedLong(payload.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(payload.position() + 1));
    }

    /** Decodes {@code payload.position()..limit()} without moving the position. */
    public static ServiceMessage decode(ByteBuffer payload) throws ProtocolException {
        ByteBuffer b = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int length = b.remaining();
        if (length == 0) {
            throw malformed("empty SERVICE message");
        }
        int kind = b.get() & 0xFF;
        if (kind < ServiceMessage.KIND_REQUEST || kind > ServiceMessage.KIND_RESET) {
            throw malformed(String.format("unknown SERVICE message kind 0x%02x", kind));
        }
        String name = name(kind);
        if (length < 5) {
            throw malformed(name + " is " + length + " bytes, shorter than its kind and request (5)");
        }
        int request = b.getInt();
        switch (kind) {
            case ServiceMessage.KIND_REQUEST -> {
                head(name, length);
                boolean end = flags(b, name);
                String method = text(b, name, "method", u8(b, name, "method_len"), 1);
                String authority = text(b, name, "authority", u8(b, name, "authority_len"), 1);
                String target = text(b, name, "target", u16(b, name, "target_len"), 1);
                return new ServiceMessage.Request(request, end, method, authority, target, headers(b, name));
            }
            case ServiceMessage.KIND_RESPONSE -> {
                head(name, length);
                boolean end = flags(b, name);
                int status = u16(b, name, "status");
                if (status < MIN_STATUS || status > MAX_STATUS) {
                    throw malformed("RESPONSE status " + status + " is not " + MIN_STATUS + ".." + MAX_STATUS);
                }
                return new ServiceMessage.Response(request, end, status, headers(b, name));
            }
            case ServiceMessage.KIND_BODY -> {
                if (length < BODY_HEADER_SIZE + 1) {
                    throw malformed("BODY is " + length + " bytes, at least " + (BODY_HEADER_SIZE + 1));
                }
                byte[] data = new byte[b.remaining()];
                b.get(data);
                return new ServiceMessage.Body(request, data);
            }
            case ServiceMessage.KIND_END -> {
                if (length != END_SIZE) {
                    throw malformed("END is " + length + " bytes, must be exactly " + END_SIZE);
                }
                return new ServiceMessage.End(request);
            }
            default -> {
                if (length < RESET_MIN_SIZE) {
                    throw malformed("RESET is " + length + " bytes, at least " + RESET_MIN_SIZE);
                }
                if (length - RESET_MIN_SIZE > CloseReason.MAX_REASON_BYTES) {
                    throw malformed("RESET reason is " + (length - RESET_MIN_SIZE) + " bytes, at most " + CloseReason.MAX_REASON_BYTES);
                }
                int code = b.getShort() & 0xFFFF;
                return new ServiceMessage.Reset(request, code, Utf8.decode(b, ErrorCode.MALFORMED_SERVICE_MESSAGE, "RESET reason"));
            }
        }
    }

    private static String name(int kind) {
        return switch (kind) {
            case ServiceMessage.KIND_REQUEST -> "REQUEST";
            case ServiceMessage.KIND_RESPONSE -> "RESPONSE";
            case ServiceMessage.KIND_BODY -> "BODY";
            case ServiceMessage.KIND_END -> "END";
            default -> "RESET";
        };
    }

    private static void head(String name, int length) throws ProtocolException {
        if (length > MAX_HEAD_BYTES) {
            throw malformed(name + " is " + length + " bytes, at most " + MAX_HEAD_BYTES);
        }
    }

    private static byte flags(boolean end) {
        return (byte) (end ? ServiceMessage.FLAG_END : 0);
    }

    private static boolean flags(ByteBuffer b, String name) throws ProtocolException {
        int flags = u8(b, name, "flags");
        if ((flags & ~ServiceMessage.FLAG_END) != 0) {
            throw malformed(String.format("%s flags 0x%02x has reserved bits set", name, flags));
        }
        return flags == ServiceMessage.FLAG_END;
    }

    private static List<ServiceMessage.Header> headers(ByteBuffer b, String name) throws ProtocolException {
        int count = u16(b, name, "header count");
        List<ServiceMessage.Header> headers = new ArrayList<>(Math.min(count, 64));
        for (int i = 0; i < count; i++) {
            String field = text(b, name, "header " + i + " name", u8(b, name, "header " + i + " name_len"), 1);
            String value = text(b, name, "header " + i + " value", u16(b, name, "header " + i + " value_len"), 0);
            headers.add(new ServiceMessage.Header(field, value));
        }
        if (b.hasRemaining()) {
            throw malformed(name + " has " + b.remaining() + " trailing bytes after its " + count + " header fields");
        }
        return headers;
    }

    private static void need(ByteBuffer b, String name, String field, int n) throws ProtocolException {
        if (b.remaining() < n) {
            throw malformed(name + " is truncated: " + field + " needs " + n + " bytes, " + b.remaining() + " remain");
        }
    }

    private static int u8(ByteBuffer b, String name, String field) throws ProtocolException {
        need(b, name, field, 1);
        return b.get() & 0xFF;
    }

    private static int u16(ByteBuffer b, String name, String field) throws ProtocolException {
        need(b, name, field, 2);
        return b.getShort() & 0xFFFF;
    }

    private static String text(ByteBuffer b, String name, String field, int length, int min) throws ProtocolException {
        if (length < min) {
            throw malformed(name + " " + field + " is empty");
        }
        if (length > b.remaining()) {
            throw malformed(name + " " + field + " is " + length + " bytes, but only " + b.remaining() + " follow");
        }
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static byte[] field(String value, int min, int max, String what) {
        if (value == null) {
            throw new IllegalArgumentException("a " + what + " is required");
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) > 0xFF) {
                throw new IllegalArgumentException("a " + what + " carries bytes (characters up to U+00FF): " + value);
            }
        }
        byte[] bytes = value.getBytes(StandardCharsets.ISO_8859_1);
        if (bytes.length < min || bytes.length > max) {
            throw new IllegalArgumentException("a " + what + " is " + min + ".." + max + " bytes, this one " + bytes.length);
        }
        return bytes;
    }

    /** Name and value bytes of each field, in turn. */
    private static List<byte[]> headers(List<ServiceMessage.Header> headers) {
        if (headers.size() > 0xFFFF) {
            throw new IllegalArgumentException("at most 65535 header fields, not " + headers.size());
        }
        List<byte[]> out = new ArrayList<>(headers.size() * 2);
        for (ServiceMessage.Header h : headers) {
            out.add(field(h.name(), 1, MAX_SHORT_FIELD, "header name"));
            out.add(field(h.value(), 0, MAX_LONG_FIELD, "header value"));
        }
        return out;
    }

    private static int headersSize(List<byte[]> fields) {
        int size = 2 + fields.size() / 2 * 3;
        for (byte[] f : fields) {
            size += f.length;
        }
        return size;
    }

    private static ByteBuffer putHeaders(ByteBuffer b, List<byte[]> fields) {
        b.putShort((short) (fields.size() / 2));
        for (int i = 0; i < fields.size(); i += 2) {
            b.put((byte) fields.get(i).length).put(fields.get(i)).putShort((short) fields.get(i + 1).length).put(fields.get(i + 1));
        }
        return b;
    }

    private static ByteBuffer head(int size) {
        if (size > MAX_HEAD_BYTES) {
            throw new IllegalArgumentException("a REQUEST or RESPONSE is at most " + MAX_HEAD_BYTES + " bytes, this one " + size);
        }
        return allocate(size);
    }

    private static ProtocolException malformed(String message) {
        return new ProtocolException(ErrorCode.MALFORMED_SERVICE_MESSAGE, message);
    }

    private static ByteBuffer allocate(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
