package org.dapstream.crypto;

import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.HandshakeCodec;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.ProtocolException;

import java.nio.ByteBuffer;

/** Checks both handshake sides share: decoding, identities presented in a message. */
final class Negotiation {
    static final int VERSION = ControlMessage.PROTOCOL_VERSION;

    private Negotiation() {
    }

    static HandshakeMessage decode(byte[] raw, int expectedKind, String expected) throws HandshakeException {
        if (raw.length == 0 || (raw[0] & 0xFF) != expectedKind) {
            throw HandshakeException.malformed("expected " + expected + (raw.length == 0 ? ", got an empty message"
                    : String.format(", got message kind 0x%02x", raw[0] & 0xFF)));
        }
        try {
            return HandshakeCodec.decode(ByteBuffer.wrap(raw));
        } catch (ProtocolException e) {
            throw new HandshakeException(e.code(), e.getMessage());
        }
    }

    /** The identity a message presents, checked for shape and acceptability (not yet its signature). */
    static PeerIdentity presented(String who, int algorithmId, byte[] publicKey, byte[] endorsement,
                                  HandshakeSettings settings) throws HandshakeException {
        SignatureAlgorithm alg = SignatureAlgorithm.fromWireId(algorithmId);
        if (alg == null) {
            throw HandshakeException.malformed(who + " identity algorithm " + algorithmId + " is not defined");
        }
        if (!settings.signatureAlgorithms().contains(alg)) {
            throw new HandshakeException(ErrorCode.NO_COMMON_SUITE, who + " identity is " + alg.configName()
                    + ", which this node does not accept");
        }
        if (publicKey.length != alg.publicKeySize()) {
            throw HandshakeException.malformed(who + " " + alg.configName() + " public key is " + publicKey.length
                    + " bytes, must be " + alg.publicKeySize());
        }
        return new PeerIdentity(alg, publicKey, endorsement);
    }

    static void verify(String who, PeerIdentity identity, String label, byte[] hash, byte[] signature) throws HandshakeException {
        if (!Signatures.verify(identity.algorithm(), identity.publicKey(), KeySchedule.signedContent(label, hash), signature)) {
            throw new HandshakeException(ErrorCode.BAD_SIGNATURE, who + " signature over the handshake transcript does not verify");
        }
    }

    static void checkMac(String who, byte[] key, byte[] hash, byte[] mac) throws HandshakeException {
        byte[] expected = Hkdf.hmac(key, hash);
        try {
            if (!ConstantTime.equals(expected, mac)) {
                throw new HandshakeException(ErrorCode.BAD_FINISHED, who + " FINISH MAC is wrong: the two sides derived different keys");
            }
        } finally {
            Secrets.wipe(expected);
        }
    }

    static HandshakeMessage.ServerHello serverHello(byte[] raw) throws HandshakeException {
        return (HandshakeMessage.ServerHello) decode(raw, HandshakeMessage.KIND_SERVER_HELLO, "SERVER_HELLO");
    }
}
