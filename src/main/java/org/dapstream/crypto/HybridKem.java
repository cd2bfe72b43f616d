package org.dapstream.crypto;

import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.dapstream.protocol.HandshakeMessage;

/**
 * The hybrid key exchange: X25519 and ML-KEM-768 side by side, so the shared secret stays
 * secret while either one holds (a classical break of ML-KEM, or a quantum break of
 * X25519). Randomness comes in as bytes so test vectors can fix it. ML-KEM-768 runs on
 * {@link MlKemEngine#current()} (the JDK's on JDK 24+, else Bouncy Castle: the same bytes either
 * way); X25519 stays on Bouncy Castle, which is faster than the JDK's XDH on JDK 17 and 25.
 *
 * <p>Shared secret = ML-KEM shared secret (32) || X25519 shared secret (32), the order of
 * TLS's X25519MLKEM768 hybrid.
 */
public final class HybridKem {
    public static final int SHARED_SECRET_SIZE = 64;
    /** Random bytes the connector draws: X25519 private key (32), ML-KEM seed d || z (64). */
    public static final int CLIENT_RANDOM_BYTES = 32 + 64;
    /** Random bytes the acceptor draws: X25519 private key (32), ML-KEM message m (32). */
    public static final int SERVER_RANDOM_BYTES = 32 + 32;

    private HybridKem() {
    }

    /** Which implementation computes ML-KEM-768 in this JVM (for logs and benchmark headers; chooses it if not yet done). */
    public static String mlKemImplementation() {
        return MlKemEngine.current().name();
    }

    /** The connector's ephemeral keys; {@link #share()} goes into CLIENT_HELLO. */
    public static final class ClientKeys implements AutoCloseable {
        private final X25519PrivateKeyParameters x25519;
        private final MlKemEngine.DecapsulationKey mlkem;
        private final byte[] share;
        private boolean closed;

        private ClientKeys(X25519PrivateKeyParameters x25519, MlKemEngine.DecapsulationKey mlkem) {
            this.x25519 = x25519;
            this.mlkem = mlkem;
            this.share = new byte[HandshakeMessage.CLIENT_SHARE_SIZE];
            x25519.generatePublicKey().encode(share, 0);
            byte[] ek = mlkem.encapsulationKey();
            System.arraycopy(ek, 0, share, HandshakeMessage.X25519_SIZE, ek.length);
        }

        /** X25519 public key (32) || ML-KEM-768 encapsulation key (1184). */
        public byte[] share() {
            return share.clone();
        }

        /** The shared secret from the acceptor's share; throws HandshakeException on a bad share. */
        public byte[] decapsulate(byte[] serverShare) throws HandshakeException {
            if (closed) {
                throw new IllegalStateException("client keys already used");
            }
            if (serverShare.length != HandshakeMessage.SERVER_SHARE_SIZE) {
                throw HandshakeException.malformed("server key share is " + serverShare.length + " bytes");
            }
            byte[] ct = new byte[HandshakeMessage.MLKEM768_CT_SIZE];
            System.arraycopy(serverShare, HandshakeMessage.X25519_SIZE, ct, 0, ct.length);
            byte[] kemSecret = mlkem.decapsulate(ct);
            byte[] xSecret = x25519Agree(x25519, serverShare);
            return concat(kemSecret, xSecret);
        }

        @Override
        public void close() {
            closed = true;
            // The JDK's ML-KEM key is destroyed (zeroed); BC's keeps its arrays private and is only dropped,
            // as is BC's X25519 key.
            mlkem.close();
        }
    }

    /** The connector's keys from {@link #CLIENT_RANDOM_BYTES} random bytes. */
    public static ClientKeys clientKeys(byte[] random) {
        if (random.length != CLIENT_RANDOM_BYTES) {
            throw new IllegalArgumentException("need " + CLIENT_RANDOM_BYTES + " random bytes");
        }
        X25519PrivateKeyParameters x = new X25519PrivateKeyParameters(random, 0);
        byte[] seed = new byte[64];
        System.arraycopy(random, 32, seed, 0, 64);
        MlKemEngine.DecapsulationKey k = MlKemEngine.current().generate(seed);
        Secrets.wipe(seed);
        return new ClientKeys(x, k);
    }

    /** What the acceptor sends back and keeps. */
    public record ServerResult(byte[] share, byte[] sharedSecret) {
    }

    /**
     * The acceptor's side: encapsulates to the connector's ML-KEM key and agrees on X25519,
     * from {@link #SERVER_RANDOM_BYTES} random bytes.
     */
    public static ServerResult serverRespond(byte[] clientShare, byte[] random) throws HandshakeException {
        if (random.length != SERVER_RANDOM_BYTES) {
            throw new IllegalArgumentException("need " + SERVER_RANDOM_BYTES + " random bytes");
        }
        if (clientShare.length != HandshakeMessage.CLIENT_SHARE_SIZE) {
            throw HandshakeException.malformed("client key share is " + clientShare.length + " bytes");
        }
        byte[] ek = new byte[HandshakeMessage.MLKEM768_EK_SIZE];
        System.arraycopy(clientShare, HandshakeMessage.X25519_SIZE, ek, 0, ek.length);
        byte[] m = new byte[32];
        System.arraycopy(random, 32, m, 0, 32);
        MlKemEngine.Encapsulation kem;
        try {
            // Either engine runs FIPS 203's modulus check on ek and refuses with the same malformed error.
            kem = MlKemEngine.current().encapsulate(ek, m);
        } finally {
            Secrets.wipe(m);
        }
        X25519PrivateKeyParameters x = new X25519PrivateKeyParameters(random, 0);
        byte[] xSecret;
        try {
            xSecret = x25519Agree(x, clientShare);
        } catch (HandshakeException e) {
            Secrets.wipe(kem.sharedSecret());
            throw e;
        }
        byte[] share = new byte[HandshakeMessage.SERVER_SHARE_SIZE];
        x.generatePublicKey().encode(share, 0);
        byte[] ct = kem.ciphertext();
        System.arraycopy(ct, 0, share, HandshakeMessage.X25519_SIZE, ct.length);
        return new ServerResult(share, concat(kem.sharedSecret(), xSecret));
    }

    private static byte[] x25519Agree(X25519PrivateKeyParameters own, byte[] peerShare) throws HandshakeException {
        X25519Agreement agreement = new X25519Agreement();
        agreement.init(own);
        byte[] secret = new byte[agreement.getAgreementSize()];
        try {
            agreement.calculateAgreement(new X25519PublicKeyParameters(peerShare, 0), secret, 0);
        } catch (IllegalStateException e) {
            // RFC 7748 §6.1: an all-zero result means a low-order point; refuse it.
            throw HandshakeException.malformed("X25519 key share is a low-order point");
        }
        return secret;
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] out = new byte[first.length + second.length];
        System.arraycopy(first, 0, out, 0, first.length);
        System.arraycopy(second, 0, out, first.length, second.length);
        Secrets.wipe(first, second);
        return out;
    }
}
