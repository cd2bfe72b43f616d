package org.dapstream.protocol;

/**
 * The secure handshake's four messages (docs/PROTOCOL.md §20) and the abbreviated
 * handshake's three that resume a session (§32): CONTROL payloads on ch 0, sent in
 * plaintext before anything else. {@link HandshakeCodec} has the byte layouts;
 * the crypto package gives the fields their meaning.
 *
 * <p>Byte arrays are held as given (records do not copy): treat them as read-only.
 */
public sealed interface HandshakeMessage {
    int KIND_CLIENT_HELLO = 0x06;
    int KIND_SERVER_HELLO = 0x07;
    int KIND_CLIENT_FINISH = 0x08;
    int KIND_SERVER_FINISH = 0x09;
    int KIND_RESUME_HELLO = 0x14;
    int KIND_RESUME_ACCEPT = 0x15;
    int KIND_RESUME_FINISH = 0x16;

    /** Bytes of a hello's random. */
    int RANDOM_SIZE = 32;
    /** X25519 public key. */
    int X25519_SIZE = 32;
    /** ML-KEM-768 encapsulation key. */
    int MLKEM768_EK_SIZE = 1184;
    /** ML-KEM-768 ciphertext. */
    int MLKEM768_CT_SIZE = 1088;
    /** The connector's key share: X25519 public key, then the ML-KEM-768 encapsulation key. */
    int CLIENT_SHARE_SIZE = X25519_SIZE + MLKEM768_EK_SIZE;
    /** The acceptor's key share: X25519 public key, then the ML-KEM-768 ciphertext. */
    int SERVER_SHARE_SIZE = X25519_SIZE + MLKEM768_CT_SIZE;
    /** HMAC-SHA-256 output in the FINISH messages, RESUME_ACCEPT and RESUME_HELLO's binder. */
    int MAC_SIZE = 32;

    /** SERVER_HELLO flag: the acceptor requires the connector to sign the transcript. */
    int FLAG_CLIENT_AUTH = 0x01;

    /** Is {@code kind} (the first byte of a CONTROL payload on ch 0) one of the handshake's? */
    static boolean isHandshakeKind(int kind) {
        return (kind >= KIND_CLIENT_HELLO && kind <= KIND_SERVER_FINISH)
                || (kind >= KIND_RESUME_HELLO && kind <= KIND_RESUME_FINISH);
    }

    /**
     * Connector → acceptor, first frame. {@code suites}: bit mask of AEAD suites offered;
     * {@code features}: bit mask of optional features offered; {@code signatureAlgorithms}:
     * bit mask of identity algorithms the connector accepts from the acceptor; {@code node}:
     * the address the connector claims (proved later in CLIENT_FINISH, or 0).
     */
    record ClientHello(int version, int suites, int features, int signatureAlgorithms, NodeAddress node,
                       byte[] random, byte[] keyShare) implements HandshakeMessage {
    }

    /**
     * Acceptor → connector: the choices (one suite, a subset of the features), the session,
     * its keepalive timeout, its key share, its identity and its signature over the
     * transcript so far.
     */
    record ServerHello(int version, int suite, int features, int flags, int sessionId, int keepAliveTimeoutMillis,
                       byte[] random, byte[] keyShare, int signatureAlgorithm, byte[] publicKey, byte[] endorsement,
                       byte[] signature) implements HandshakeMessage {
        public boolean clientAuthRequired() {
            return (flags & FLAG_CLIENT_AUTH) != 0;
        }
    }

    /**
     * Connector → acceptor: its identity and signature ({@code signatureAlgorithm} 0 and
     * empty fields when it does not authenticate), and its key confirmation MAC.
     */
    record ClientFinish(int signatureAlgorithm, byte[] publicKey, byte[] endorsement, byte[] signature, byte[] mac)
            implements HandshakeMessage {
        public boolean authenticates() {
            return signatureAlgorithm != 0;
        }
    }

    /** Acceptor → connector: its key confirmation MAC; both sides are set up after it. */
    record ServerFinish(byte[] mac) implements HandshakeMessage {
    }

    /**
     * Connector → acceptor, instead of CLIENT_HELLO: resumes the session of {@code ticket}
     * (opaque to the connector, sealed by the acceptor). {@code suites}, {@code features}: as
     * in CLIENT_HELLO; {@code keyShare}: a fresh hybrid share, as in CLIENT_HELLO;
     * {@code binder}: the MAC that proves the sender holds the ticket's resumption secret.
     */
    record ResumeHello(int version, int suites, int features, byte[] ticket, byte[] random, byte[] keyShare, byte[] binder)
            implements HandshakeMessage {
    }

    /**
     * Acceptor → connector: the choices, the resumed session and its keepalive timeout, the
     * acceptor's key share, and the MAC that proves it opened the ticket.
     */
    record ResumeAccept(int version, int suite, int features, int sessionId, int keepAliveTimeoutMillis, byte[] random,
                        byte[] keyShare, byte[] mac) implements HandshakeMessage {
    }

    /** Connector → acceptor: its key confirmation MAC; both sides are set up after it. */
    record ResumeFinish(byte[] mac) implements HandshakeMessage {
    }
}
