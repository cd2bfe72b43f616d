package org.dapstream.crypto;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.HandshakeCodec;
import org.dapstream.protocol.HandshakeMessage;
import org.dapstream.protocol.NodeAddress;

import java.util.function.ToIntFunction;

/**
 * The acceptor's side of the secure handshake: CLIENT_HELLO in, SERVER_HELLO out (signed),
 * CLIENT_FINISH in, SERVER_FINISH out. Pure, like {@link ClientHandshake}; any failure
 * moves it to {@link State#FAILED} for good and wipes what it held.
 */
public final class ServerHandshake {
    public enum State { WAIT_CLIENT_HELLO, WAIT_CLIENT_FINISH, DONE, FAILED }

    private final HandshakeSettings settings;
    private final Transcript transcript = new Transcript();
    private State state = State.WAIT_CLIENT_HELLO;
    private HandshakeMessage.ClientHello clientHello;
    private AeadSuite suite;
    private int features;
    private int sessionId;
    private int keepAliveTimeoutMillis;
    private byte[] handshakeSecret;

    public ServerHandshake(HandshakeSettings settings) {
        this.settings = settings;
    }

    public State state() {
        return state;
    }

    /** The address the connector claims in CLIENT_HELLO (proved only if it authenticates). */
    public NodeAddress claimedNode() {
        return clientHello == null ? NodeAddress.NONE : clientHello.node();
    }

    /**
     * Checks CLIENT_HELLO, makes the choices and returns the signed SERVER_HELLO;
     * {@code sessionFor} gives the session of the stream, from the address the client claims. Random
     * draws, in order: hello random (32), X25519 key (32), ML-KEM message (32).
     */
    public byte[] onClientHello(byte[] raw, ToIntFunction<NodeAddress> sessionFor, int keepAliveTimeoutMillis)
            throws HandshakeException {
        require(State.WAIT_CLIENT_HELLO);
        try {
            HandshakeMessage.ClientHello ch = (HandshakeMessage.ClientHello) Negotiation.decode(raw,
                    HandshakeMessage.KIND_CLIENT_HELLO, "CLIENT_HELLO");
            if (ch.version() != Negotiation.VERSION) {
                throw new HandshakeException(ErrorCode.UNSUPPORTED_VERSION, "client speaks protocol version " + ch.version()
                        + ", this node speaks " + Negotiation.VERSION);
            }
            suite = null;
            for (AeadSuite candidate : settings.suites()) {
                if ((ch.suites() & candidate.wireId()) != 0) {
                    suite = candidate;
                    break;
                }
            }
            if (suite == null) {
                throw new HandshakeException(ErrorCode.NO_COMMON_SUITE, String.format("client offers suites 0x%04x, this node accepts 0x%04x",
                        ch.suites(), settings.suiteMask()));
            }
            NodeIdentity me = settings.identity();
            if ((ch.signatureAlgorithms() & me.algorithm().wireId()) == 0) {
                throw new HandshakeException(ErrorCode.NO_COMMON_SUITE, "client does not accept " + me.algorithm().configName()
                        + " server identities");
            }
            transcript.add(raw);
            clientHello = ch;
            features = ch.features() & settings.features();
            int sessionId = sessionFor.applyAsInt(ch.node());
            this.sessionId = sessionId;
            this.keepAliveTimeoutMillis = keepAliveTimeoutMillis;
            byte[] random = new byte[HandshakeMessage.RANDOM_SIZE];
            settings.random().nextBytes(random);
            byte[] keyRandom = new byte[HybridKem.SERVER_RANDOM_BYTES];
            settings.random().nextBytes(keyRandom);
            HybridKem.ServerResult kem = HybridKem.serverRespond(ch.keyShare(), keyRandom);
            Secrets.wipe(keyRandom);
            int flags = settings.peerPolicy().requiresIdentity() ? HandshakeMessage.FLAG_CLIENT_AUTH : 0;
            byte[] unsigned = HandshakeCodec.encode(new HandshakeMessage.ServerHello(Negotiation.VERSION, suite.wireId(), features,
                    flags, sessionId, keepAliveTimeoutMillis, random, kem.share(), me.algorithm().wireId(), me.publicKey(),
                    settings.endorsement(), new byte[0]));
            byte[] signature = me.sign(KeySchedule.signedContent(KeySchedule.SERVER_SIGNATURE,
                    transcript.hashWith(unsigned, unsigned.length - 2)));
            byte[] hello = HandshakeCodec.encode(new HandshakeMessage.ServerHello(Negotiation.VERSION, suite.wireId(), features,
                    flags, sessionId, keepAliveTimeoutMillis, random, kem.share(), me.algorithm().wireId(), me.publicKey(),
                    settings.endorsement(), signature));
            transcript.add(hello);
            handshakeSecret = KeySchedule.handshakeSecret(transcript.hash(), kem.sharedSecret());
            Secrets.wipe(kem.sharedSecret());
            state = State.WAIT_CLIENT_FINISH;
            return hello;
        } catch (HandshakeException | RuntimeException e) {
            fail();
            throw e;
        }
    }

    /** The completed handshake and the SERVER_FINISH to send. */
    public record Finish(byte[] serverFinish, HandshakeResult result) {
    }

    /** Checks CLIENT_FINISH (MAC, the client's signature, the policy) and returns SERVER_FINISH with the result. */
    public Finish onClientFinish(byte[] raw) throws HandshakeException {
        require(State.WAIT_CLIENT_FINISH);
        try {
            HandshakeMessage.ClientFinish cf = (HandshakeMessage.ClientFinish) Negotiation.decode(raw,
                    HandshakeMessage.KIND_CLIENT_FINISH, "CLIENT_FINISH");
            byte[] clientFinishedKey = Hkdf.expand(handshakeSecret, KeySchedule.CLIENT_FINISHED, Hkdf.HASH_SIZE);
            try {
                Negotiation.checkMac("client", clientFinishedKey, transcript.hashWith(raw, raw.length - HandshakeMessage.MAC_SIZE), cf.mac());
            } finally {
                Secrets.wipe(clientFinishedKey);
            }
            PeerIdentity client = null;
            if (cf.authenticates()) {
                client = Negotiation.presented("client", cf.signatureAlgorithm(), cf.publicKey(), cf.endorsement(), settings);
                int signedLength = raw.length - HandshakeMessage.MAC_SIZE - 2 - cf.signature().length;
                Negotiation.verify("client", client, KeySchedule.CLIENT_SIGNATURE, transcript.hashWith(raw, signedLength), cf.signature());
                NodeAddress claimed = clientHello.node();
                if (!claimed.equals(NodeAddress.NONE) && !claimed.equals(client.address())) {
                    throw new HandshakeException(ErrorCode.IDENTITY_MISMATCH, "client claimed node " + claimed
                            + " and proved to be " + client.address());
                }
            } else if (cf.publicKey().length != 0 || cf.endorsement().length != 0 || cf.signature().length != 0) {
                throw HandshakeException.malformed("CLIENT_FINISH without an identity algorithm carries identity fields");
            }
            settings.peerPolicy().check(client, System.currentTimeMillis() / 1000);
            transcript.add(raw);
            byte[] serverFinishedKey = Hkdf.expand(handshakeSecret, KeySchedule.SERVER_FINISHED, Hkdf.HASH_SIZE);
            byte[] mac = Hkdf.hmac(serverFinishedKey, transcript.hash());
            Secrets.wipe(serverFinishedKey);
            byte[] finish = HandshakeCodec.encode(new HandshakeMessage.ServerFinish(mac));
            transcript.add(finish);
            byte[] master = KeySchedule.masterSecret(transcript.hash(), handshakeSecret);
            SessionSecrets secrets = new SessionSecrets(suite, false, master, transcript.hash());
            Secrets.wipe(master, handshakeSecret);
            state = State.DONE;
            NodeAddress node = client != null ? client.address() : clientHello.node();
            return new Finish(finish, new HandshakeResult(secrets, client, node, suite, features, sessionId, keepAliveTimeoutMillis));
        } catch (HandshakeException | RuntimeException e) {
            fail();
            throw e;
        }
    }

    /** Abandons the handshake: FAILED, secrets wiped. */
    public void fail() {
        if (state == State.DONE) {
            return;
        }
        state = State.FAILED;
        Secrets.wipe(handshakeSecret);
    }

    private void require(State expected) {
        if (state != expected) {
            throw new IllegalStateException("server handshake is " + state + ", not " + expected);
        }
    }
}
