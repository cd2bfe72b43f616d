package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Byte layouts of the FILE channel messages (all integers little-endian; {@code path} is
 * {@code path_len u16} (1..4096) then that many bytes of UTF-8):
 *
 * <pre>
 * OFFER   01 | transfer u32 | size u64 | mode u16 | mtime_ms i64 | path                    (26+ bytes)
 * ACCEPT  02 | transfer u32 | offset u64                                                 (13 bytes)
 * CHUNK   03 | transfer u32 | data (to the end, at least 1 byte)                         (6+ bytes)
 * END     04 | transfer u32 | sha256[32]                                                  (37 bytes)
 * DONE    05 | transfer u32                                                              (5 bytes)
 * FAIL    06 | transfer u32 | code u16 | reason UTF-8 to the end (at most 512 bytes)     (7+ bytes)
 * GET     07 | transfer u32 | offset u64 | path                                          (16+ bytes)
 * </pre>
 *
 * A layout with a fixed end must end there: trailing bytes are an error. Every violation is
 * {@link ErrorCode#MALFORMED_FILE_MESSAGE}.
 */
public final class FileCodec {
    /** Longest path in UTF-8 bytes. */
    public static final int MAX_PATH_BYTES = 4096;
    /** Permission bits a mode may carry (rwx for owner, group, others, and setuid/setgid/sticky). */
    public static final int MODE_BITS = 0x0FFF;
    public static final int SHA256_SIZE = 32;
    public static final int ACCEPT_SIZE = 13;
    public static final int END_SIZE = 5 + 32;
    public static final int DONE_SIZE = 5;
    /** CHUNK before its data: kind, transfer. */
    public static final int CHUNK_HEADER_SIZE = 5;
    /** OFFER before its path bytes. */
    public static final int OFFER_FIXED_SIZE = 1 + 4 + 8 + 2 + 8 + 2;
    /** GET before its path bytes. */
    public static final int GET_FIXED_SIZE = 1 + 4 + 8 + 2;
    public static final int FAIL_MIN_SIZE = 7;

    private FileCodec() {
    }

    public static byte[] encode(FileMessage message) {
        if (message instanceof FileMessage.Offer m) {
            byte[] path = path(m.path());
            if (m.size() < 0 || (m.mode() & ~MODE_BITS) != 0) {
                throw new IllegalArgumentException("an OFFER has a size >= 0 and mode bits within 07777: " + m);
            }
            return allocate(OFFER_FIXED_SIZE + path.length).put((byte) FileMessage.KIND_OFFER).putInt(m.transfer()).putLong(m.size())
                    .putShort((short) m.mode()).putLong(m.mtimeMillis()).putShort((short) path.length).put(path).array();
        }
        if (message instanceof FileMessage.Accept m) {
            return allocate(ACCEPT_SIZE).put((byte) FileMessage.KIND_ACCEPT).putInt(m.transfer()).putLong(m.offset()).array();
        }
        if (message instanceof FileMessage.Chunk m) {
            return chunk(m.transfer(), m.data(), 0, m.data().length);
        }
        if (message instanceof FileMessage.End m) {
            if (m.sha256().length != SHA256_SIZE) {
                throw new IllegalArgumentException("an END carries a 32-byte SHA-256, not " + m.sha256().length + " bytes");
            }
            return allocate(END_SIZE).put((byte) FileMessage.KIND_END).putInt(m.transfer()).put(m.sha256()).array();
        }
        if (message instanceof FileMessage.Done m) {
            return allocate(DONE_SIZE).put((byte) FileMessage.KIND_DONE).putInt(m.transfer()).array();
        }
        if (message instanceof FileMessage.Fail m) {
            byte[] reason = CloseReason.truncate(m.reason() == null ? "" : m.reason());
            return allocate(FAIL_MIN_SIZE + reason.length).put((byte) FileMessage.KIND_FAIL).putInt(m.transfer())
                    .putShort((short) m.code()).put(reason).array();
        }
        if (message instanceof FileMessage.Get m) {
            byte[] path = path(m.path());
            return allocate(GET_FIXED_SIZE + path.length).put((byte) FileMessage.KIND_GET).putInt(m.transfer()).putLong(m.offset())
                    .putShort((short) path.length).put(path).array();
        }
        throw new IllegalArgumentException("no encoding for " + message);
    }

    /** A CHUNK of {@code data[offset, offset+length)}: the hot path of a transfer, one array, one copy. */
    public static byte[] chunk(int transfer, byte[] data, int offset, int length) {
        if (length < 1) {
            throw new IllegalArgumentException("a CHUNK carries at least one byte");
        }
        ByteBuffer b = allocate(CHUNK_HEADER_SIZE + length).put((byte) FileMessage.KIND_CHUNK).putInt(transfer);
        b.put(data, offset, length);
        return b.array();
    }

    /** Decodes {@code payload.position()..limit()} without moving the position. */
    public static FileMessage decode(ByteBuffer payload) throws ProtocolException {
        ByteBuffer b = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int length = b.remaining();
        if (length == 0) {
            throw malformed("empty FILE message");
        }
        int kind = b.get() & 0xFF;
        if (kind < FileMessage.KIND_OFFER || kind > FileMessage.KIND_GET) {
            throw malformed(String.format("unknown FILE message kind 0x%02x", kind));
        }
        if (length < 5) {
            throw malformed(name(kind) + " is " + length + " bytes, shorter than its kind and transfer (5)");
        }
        int transfer = b.getInt();
        switch (kind) {
            case FileMessage.KIND_OFFER -> {
                atLeast("OFFER", length, OFFER_FIXED_SIZE + 1);
                long size = b.getLong();
                int mode = b.getShort() & 0xFFFF;
                long mtime = b.getLong();
                if (size < 0) {
                    throw malformed("OFFER size " + Long.toUnsignedString(size) + " is over 2^63 - 1");
                }
                if ((mode & ~MODE_BITS) != 0) {
                    throw malformed(String.format("OFFER mode 0%o has bits beyond 07777", mode));
                }
                return new FileMessage.Offer(transfer, size, mode, mtime, pathAtEnd("OFFER", b));
            }
            case FileMessage.KIND_ACCEPT -> {
                exact("ACCEPT", length, ACCEPT_SIZE);
                return new FileMessage.Accept(transfer, offset("ACCEPT", b.getLong()));
            }
            case FileMessage.KIND_CHUNK -> {
                atLeast("CHUNK", length, CHUNK_HEADER_SIZE + 1);
                byte[] data = new byte[b.remaining()];
                b.get(data);
                return new FileMessage.Chunk(transfer, data);
            }
            case FileMessage.KIND_END -> {
                exact("END", length, END_SIZE);
                byte[] sha = new byte[SHA256_SIZE];
                b.get(sha);
                return new FileMessage.End(transfer, sha);
            }
            case FileMessage.KIND_DONE -> {
                exact("DONE", length, DONE_SIZE);
                return new FileMessage.Done(transfer);
            }
            case FileMessage.KIND_FAIL -> {
                atLeast("FAIL", length, FAIL_MIN_SIZE);
                if (length - FAIL_MIN_SIZE > CloseReason.MAX_REASON_BYTES) {
                    throw malformed("FAIL reason is " + (length - FAIL_MIN_SIZE) + " bytes, at most " + CloseReason.MAX_REASON_BYTES);
                }
                int code = b.getShort() & 0xFFFF;
                return new FileMessage.Fail(transfer, code, Utf8.decode(b, ErrorCode.MALFORMED_FILE_MESSAGE, "FAIL reason"));
            }
            default -> {
                atLeast("GET", length, GET_FIXED_SIZE + 1);
                long offset = offset("GET", b.getLong());
                return new FileMessage.Get(transfer, offset, pathAtEnd("GET", b));
            }
        }
    }

    private static String name(int kind) {
        return switch (kind) {
            case FileMessage.KIND_OFFER -> "OFFER";
            case FileMessage.KIND_ACCEPT -> "ACCEPT";
            case FileMessage.KIND_CHUNK -> "CHUNK";
            case FileMessage.KIND_END -> "END";
            case FileMessage.KIND_DONE -> "DONE";
            case FileMessage.KIND_FAIL -> "FAIL";
            default -> "GET";
        };
    }

    private static long offset(String what, long offset) throws ProtocolException {
        if (offset < 0) {
            throw malformed(what + " offset " + Long.toUnsignedString(offset) + " is over 2^63 - 1");
        }
        return offset;
    }

    /** {@code path_len u16 | path} ending the message exactly. */
    private static String pathAtEnd(String what, ByteBuffer b) throws ProtocolException {
        int len = b.getShort() & 0xFFFF;
        if (len == 0 || len > MAX_PATH_BYTES) {
            throw malformed(what + " path is " + len + " bytes, must be 1.." + MAX_PATH_BYTES);
        }
        if (b.remaining() != len) {
            throw malformed(what + " path_len says " + len + " bytes, " + b.remaining() + " follow");
        }
        return Utf8.decode(b, ErrorCode.MALFORMED_FILE_MESSAGE, what + " path");
    }

    private static byte[] path(String path) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > MAX_PATH_BYTES) {
            throw new IllegalArgumentException("a path is 1.." + MAX_PATH_BYTES + " bytes of UTF-8, this one " + bytes.length);
        }
        return bytes;
    }

    private static void exact(String what, int length, int size) throws ProtocolException {
        if (length != size) {
            throw malformed(what + " is " + length + " bytes, must be exactly " + size);
        }
    }

    private static void atLeast(String what, int length, int size) throws ProtocolException {
        if (length < size) {
            throw malformed(what + " is " + length + " bytes, at least " + size);
        }
    }

    private static ProtocolException malformed(String message) {
        return new ProtocolException(ErrorCode.MALFORMED_FILE_MESSAGE, message);
    }

    private static ByteBuffer allocate(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
