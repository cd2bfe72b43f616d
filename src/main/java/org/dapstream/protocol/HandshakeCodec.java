package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Byte layouts of the handshake messages (integers little-endian; {@code vecN} is a u16
 * length followed by that many bytes):
 *
 * <pre>
 * CLIENT_HELLO  06 | version u16 | suites u16 | features u16 | sig_algs u8 | node u64
 *                  | random[32] | x25519[32] | mlkem_ek[1184]                             (1264 bytes)
 * SERVER_HELLO  07 | version u16 | suite u16 | features u16 | flags u8 | session u32
 *                  | keepalive_ms u32 | random[32] | x25519[32] | mlkem_ct[1088]
 *                  | sig_alg u8 | public_key vec | endorsement vec | signature vec
 * CLIENT_FINISH 08 | sig_alg u8 | public_key vec | endorsement vec | signature vec | mac[32]
 * SERVER_FINISH 09 | mac[32]                                                               (33 bytes)
 * RESUME_HELLO  14 | version u16 | suites u16 | features u16 | ticket vec (1..512)
 *                  | random[32] | x25519[32] | mlkem_ek[1184] | binder[32]                 (1289 + ticket bytes)
 * RESUME_ACCEPT 15 | version u16 | suite u16 | features u16 | session u32 | keepalive_ms u32
 *                  | random[32] | x25519[32] | mlkem_ct[1088] | mac[32]                     (1199 bytes)
 * RESUME_FINISH 16 | mac[32]                                                               (33 bytes)
 * </pre>
 *
 * The codec checks structure only (sizes, lengths, no trailing bytes) and fails with
 * MALFORMED_HANDSHAKE; what the values mean is checked by the handshake itself.
 */
public final class HandshakeCodec {
    public static final int CLIENT_HELLO_SIZE = 1 + 2 + 2 + 2 + 1 + 8 + HandshakeMessage.RANDOM_SIZE + HandshakeMessage.CLIENT_SHARE_SIZE;
    /** SERVER_HELLO up to and including sig_alg. */
    public static final int SERVER_HELLO_FIXED_SIZE = 1 + 2 + 2 + 2 + 1 + 4 + 4 + HandshakeMessage.RANDOM_SIZE
            + HandshakeMessage.SERVER_SHARE_SIZE + 1;
    public static final int SERVER_FINISH_SIZE = 1 + HandshakeMessage.MAC_SIZE;
    /** Upper bound of a public key field (ML-DSA-65's is 1952 bytes): structure, not policy. */
    public static final int MAX_PUBLIC_KEY = 4096;
    /** Upper bound of a signature field (ML-DSA-65's is 3309 bytes). */
    public static final int MAX_SIGNATURE = 8192;
    /** Upper bound of an endorsement field (an algorithm, an expiry and a signature). */
    public static final int MAX_ENDORSEMENT = 1 + 8 + MAX_SIGNATURE;
    /** Upper bound of a resumption ticket (this implementation's are 86 bytes): structure, not policy. */
    public static final int MAX_TICKET = 512;
    /** RESUME_HELLO without its ticket's bytes (the ticket's length field included). */
    public static final int RESUME_HELLO_FIXED_SIZE = 1 + 2 + 2 + 2 + 2 + HandshakeMessage.RANDOM_SIZE
            + HandshakeMessage.CLIENT_SHARE_SIZE + HandshakeMessage.MAC_SIZE;
    /** What follows RESUME_HELLO's ticket: random, key share, binder. */
    private static final int RESUME_HELLO_TAIL_SIZE = HandshakeMessage.RANDOM_SIZE + HandshakeMessage.CLIENT_SHARE_SIZE
            + HandshakeMessage.MAC_SIZE;
    public static final int RESUME_ACCEPT_SIZE = 1 + 2 + 2 + 2 + 4 + 4 + HandshakeMessage.RANDOM_SIZE
            + HandshakeMessage.SERVER_SHARE_SIZE + HandshakeMessage.MAC_SIZE;
    public static final int RESUME_FINISH_SIZE = 1 + HandshakeMessage.MAC_SIZE;

    private HandshakeCodec() {
    }

    public static byte[] encode(HandshakeMessage message) {
        if (message instanceof HandshakeMessage.ClientHello m) {
            exactField("random", m.random(), HandshakeMessage.RANDOM_SIZE);
            exactField("key share", m.keyShare(), HandshakeMessage.CLIENT_SHARE_SIZE);
            ByteBuffer b = allocate(CLIENT_HELLO_SIZE).put((byte) HandshakeMessage.KIND_CLIENT_HELLO);
            b.putShort(u16("version", m.version())).putShort(u16("suites", m.suites())).putShort(u16("features", m.features()))
                    .put(u8("sig_algs", m.signatureAlgorithms())).putLong(m.node().value()).put(m.random()).put(m.keyShare());
            return b.array();
        }
        if (message instanceof HandshakeMessage.ServerHello m) {
            exactField("random", m.random(), HandshakeMessage.RANDOM_SIZE);
            exactField("key share", m.keyShare(), HandshakeMessage.SERVER_SHARE_SIZE);
            ByteBuffer b = allocate(SERVER_HELLO_FIXED_SIZE + vecSize(m.publicKey()) + vecSize(m.endorsement()) + vecSize(m.signature()));
            b.put((byte) HandshakeMessage.KIND_SERVER_HELLO).putShort(u16("version", m.version())).putShort(u16("suite", m.suite()))
                    .putShort(u16("features", m.features())).put(u8("flags", m.flags())).putInt(m.sessionId())
                    .putInt(m.keepAliveTimeoutMillis()).put(m.random()).put(m.keyShare()).put(u8("sig_alg", m.signatureAlgorithm()));
            putVec(b, "public key", m.publicKey(), MAX_PUBLIC_KEY);
            putVec(b, "endorsement", m.endorsement(), MAX_ENDORSEMENT);
            putVec(b, "signature", m.signature(), MAX_SIGNATURE);
            return b.array();
        }
        if (message instanceof HandshakeMessage.ClientFinish m) {
            exactField("mac", m.mac(), HandshakeMessage.MAC_SIZE);
            ByteBuffer b = allocate(2 + vecSize(m.publicKey()) + vecSize(m.endorsement()) + vecSize(m.signature()) + HandshakeMessage.MAC_SIZE);
            b.put((byte) HandshakeMessage.KIND_CLIENT_FINISH).put(u8("sig_alg", m.signatureAlgorithm()));
            putVec(b, "public key", m.publicKey(), MAX_PUBLIC_KEY);
            putVec(b, "endorsement", m.endorsement(), MAX_ENDORSEMENT);
            putVec(b, "signature", m.signature(), MAX_SIGNATURE);
            return b.put(m.mac()).array();
        }
        if (message instanceof HandshakeMessage.ServerFinish m) {
            exactField("mac", m.mac(), HandshakeMessage.MAC_SIZE);
            return allocate(SERVER_FINISH_SIZE).put((byte) HandshakeMessage.KIND_SERVER_FINISH).put(m.mac()).array();
        }
        if (message instanceof HandshakeMessage.ResumeHello m) {
            exactField("random", m.random(), HandshakeMessage.RANDOM_SIZE);
            exactField("key share", m.keyShare(), HandshakeMessage.CLIENT_SHARE_SIZE);
            exactField("binder", m.binder(), HandshakeMessage.MAC_SIZE);
            if (m.ticket().length == 0) {
                throw new IllegalArgumentException("a ticket is 1.." + MAX_TICKET + " bytes, is empty");
            }
            ByteBuffer b = allocate(RESUME_HELLO_FIXED_SIZE + m.ticket().length).put((byte) HandshakeMessage.KIND_RESUME_HELLO);
            b.putShort(u16("version", m.version())).putShort(u16("suites", m.suites())).putShort(u16("features", m.features()));
            putVec(b, "ticket", m.ticket(), MAX_TICKET);
            return b.put(m.random()).put(m.keyShare()).put(m.binder()).array();
        }
        if (message instanceof HandshakeMessage.ResumeAccept m) {
            exactField("random", m.random(), HandshakeMessage.RANDOM_SIZE);
            exactField("key share", m.keyShare(), HandshakeMessage.SERVER_SHARE_SIZE);
            exactField("mac", m.mac(), HandshakeMessage.MAC_SIZE);
            ByteBuffer b = allocate(RESUME_ACCEPT_SIZE).put((byte) HandshakeMessage.KIND_RESUME_ACCEPT);
            b.putShort(u16("version", m.version())).putShort(u16("suite", m.suite())).putShort(u16("features", m.features()))
                    .putInt(m.sessionId()).putInt(m.keepAliveTimeoutMillis()).put(m.random()).put(m.keyShare()).put(m.mac());
            return b.array();
        }
        if (message instanceof HandshakeMessage.ResumeFinish m) {
            exactField("mac", m.mac(), HandshakeMessage.MAC_SIZE);
            return allocate(RESUME_FINISH_SIZE).put((byte) HandshakeMessage.KIND_RESUME_FINISH).put(m.mac()).array();
        }
        throw new IllegalArgumentException("no encoding for " + message);
    }

    /** Decodes the whole of {@code payload} (position..limit) without moving its position. */
    public static HandshakeMessage decode(ByteBuffer payload) throws ProtocolException {
        ByteBuffer b = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int length = b.remaining();
        if (length == 0) {
            throw malformed("empty handshake message");
        }
        int kind = b.get() & 0xFF;
        switch (kind) {
            case HandshakeMessage.KIND_CLIENT_HELLO -> {
                if (length != CLIENT_HELLO_SIZE) {
                    throw malformed("CLIENT_HELLO is " + length + " bytes, must be exactly " + CLIENT_HELLO_SIZE);
                }
                int version = u16(b);
                int suites = u16(b);
                int features = u16(b);
                int sigAlgs = b.get() & 0xFF;
                NodeAddress node = new NodeAddress(b.getLong());
                return new HandshakeMessage.ClientHello(version, suites, features, sigAlgs, node,
                        bytes(b, HandshakeMessage.RANDOM_SIZE), bytes(b, HandshakeMessage.CLIENT_SHARE_SIZE));
            }
            case HandshakeMessage.KIND_SERVER_HELLO -> {
                if (length < SERVER_HELLO_FIXED_SIZE + 6) {
                    throw malformed("SERVER_HELLO is " + length + " bytes, shorter than its " + (SERVER_HELLO_FIXED_SIZE + 6) + "-byte minimum");
                }
                int version = u16(b);
                int suite = u16(b);
                int features = u16(b);
                int flags = b.get() & 0xFF;
                int session = b.getInt();
                int keepAlive = b.getInt();
                byte[] random = bytes(b, HandshakeMessage.RANDOM_SIZE);
                byte[] share = bytes(b, HandshakeMessage.SERVER_SHARE_SIZE);
                int sigAlg = b.get() & 0xFF;
                byte[] publicKey = vec(b, "SERVER_HELLO public key", MAX_PUBLIC_KEY);
                byte[] endorsement = vec(b, "SERVER_HELLO endorsement", MAX_ENDORSEMENT);
                byte[] signature = vec(b, "SERVER_HELLO signature", MAX_SIGNATURE);
                noTrailing(b, "SERVER_HELLO");
                return new HandshakeMessage.ServerHello(version, suite, features, flags, session, keepAlive, random, share,
                        sigAlg, publicKey, endorsement, signature);
            }
            case HandshakeMessage.KIND_CLIENT_FINISH -> {
                if (length < 2 + 6 + HandshakeMessage.MAC_SIZE) {
                    throw malformed("CLIENT_FINISH is " + length + " bytes, shorter than its " + (2 + 6 + HandshakeMessage.MAC_SIZE) + "-byte minimum");
                }
                int sigAlg = b.get() & 0xFF;
                byte[] publicKey = vec(b, "CLIENT_FINISH public key", MAX_PUBLIC_KEY);
                byte[] endorsement = vec(b, "CLIENT_FINISH endorsement", MAX_ENDORSEMENT);
                byte[] signature = vec(b, "CLIENT_FINISH signature", MAX_SIGNATURE);
                if (b.remaining() != HandshakeMessage.MAC_SIZE) {
                    throw malformed("CLIENT_FINISH has " + b.remaining() + " bytes after its signature, must be the " + HandshakeMessage.MAC_SIZE + "-byte MAC");
                }
                return new HandshakeMessage.ClientFinish(sigAlg, publicKey, endorsement, signature, bytes(b, HandshakeMessage.MAC_SIZE));
            }
            case HandshakeMessage.KIND_SERVER_FINISH -> {
                if (length != SERVER_FINISH_SIZE) {
                    throw malformed("SERVER_FINISH is " + length + " bytes, must be exactly " + SERVER_FINISH_SIZE);
                }
                return new HandshakeMessage.ServerFinish(bytes(b, HandshakeMessage.MAC_SIZE));
            }
            case HandshakeMessage.KIND_RESUME_HELLO -> {
                if (length < RESUME_HELLO_FIXED_SIZE + 1) {
                    throw malformed("RESUME_HELLO is " + length + " bytes, shorter than its " + (RESUME_HELLO_FIXED_SIZE + 1) + "-byte minimum");
                }
                int version = u16(b);
                int suites = u16(b);
                int features = u16(b);
                byte[] ticket = vec(b, "RESUME_HELLO ticket", MAX_TICKET);
                if (ticket.length == 0) {
                    throw malformed("RESUME_HELLO ticket is empty; a ticket is 1.." + MAX_TICKET + " bytes");
                }
                if (b.remaining() != RESUME_HELLO_TAIL_SIZE) {
                    throw malformed("RESUME_HELLO has " + b.remaining() + " bytes after its ticket, must be " + RESUME_HELLO_TAIL_SIZE
                            + " (random, key share, binder)");
                }
                return new HandshakeMessage.ResumeHello(version, suites, features, ticket, bytes(b, HandshakeMessage.RANDOM_SIZE),
                        bytes(b, HandshakeMessage.CLIENT_SHARE_SIZE), bytes(b, HandshakeMessage.MAC_SIZE));
            }
            case HandshakeMessage.KIND_RESUME_ACCEPT -> {
                if (length != RESUME_ACCEPT_SIZE) {
                    throw malformed("RESUME_ACCEPT is " + length + " bytes, must be exactly " + RESUME_ACCEPT_SIZE);
                }
                return new HandshakeMessage.ResumeAccept(u16(b), u16(b), u16(b), b.getInt(), b.getInt(),
                        bytes(b, HandshakeMessage.RANDOM_SIZE), bytes(b, HandshakeMessage.SERVER_SHARE_SIZE),
                        bytes(b, HandshakeMessage.MAC_SIZE));
            }
            case HandshakeMessage.KIND_RESUME_FINISH -> {
                if (length != RESUME_FINISH_SIZE) {
                    throw malformed("RESUME_FINISH is " + length + " bytes, must be exactly " + RESUME_FINISH_SIZE);
                }
                return new HandshakeMessage.ResumeFinish(bytes(b, HandshakeMessage.MAC_SIZE));
            }
            default -> throw malformed(String.format("0x%02x is not a handshake message kind", kind));
        }
    }

    private static ByteBuffer allocate(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int vecSize(byte[] field) {
        return 2 + field.length;
    }

    private static void putVec(ByteBuffer b, String name, byte[] field, int max) {
        if (field.length > max) {
            throw new IllegalArgumentException(name + " of " + field.length + " bytes exceeds " + max);
        }
        b.putShort((short) field.length).put(field);
    }

    private static void exactField(String name, byte[] field, int size) {
        if (field.length != size) {
            throw new IllegalArgumentException(name + " must be " + size + " bytes, is " + field.length);
        }
    }

    private static short u16(String field, int value) {
        if (value < 0 || value > 0xFFFF) {
            throw new IllegalArgumentException(field + " is a u16: " + value);
        }
        return (short) value;
    }

    private static byte u8(String field, int value) {
        if (value < 0 || value > 0xFF) {
            throw new IllegalArgumentException(field + " is a u8: " + value);
        }
        return (byte) value;
    }

    private static int u16(ByteBuffer b) {
        return Short.toUnsignedInt(b.getShort());
    }

    private static byte[] bytes(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static byte[] vec(ByteBuffer b, String name, int max) throws ProtocolException {
        if (b.remaining() < 2) {
            throw malformed(name + ": length missing");
        }
        int n = u16(b);
        if (n > max) {
            throw malformed(name + " of " + n + " bytes exceeds its " + max + "-byte limit");
        }
        if (n > b.remaining()) {
            throw malformed(name + " declares " + n + " bytes, " + b.remaining() + " remain");
        }
        return bytes(b, n);
    }

    private static void noTrailing(ByteBuffer b, String name) throws ProtocolException {
        if (b.hasRemaining()) {
            throw malformed(name + " has " + b.remaining() + " trailing bytes");
        }
    }

    private static ProtocolException malformed(String message) {
        return new ProtocolException(ErrorCode.MALFORMED_HANDSHAKE, message);
    }
}
