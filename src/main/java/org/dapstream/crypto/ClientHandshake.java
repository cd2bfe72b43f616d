package org.dapstream.crypto;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.HandshakeCodec;
import org.dapstream.protocol.HandshakeMessage;

/**
 * The connector's side of the secure handshake: CLIENT_HELLO, then SERVER_HELLO in,
 * CLIENT_FINISH out, then SERVER_FINISH in. Pure: messages in and out as bytes; the
 * stream sends and receives them. Any failure moves it to {@link State#FAILED} for good
 * and wipes what it held.
 */
public final class ClientHandshake {
    public enum State { START, WAIT_SERVER_HELLO, WAIT_SERVER_FINISH, DONE, FAILED }

    private final HandshakeSettings settings;
    private final Transcript transcript = new Transcript();
    private State state = State.START;
    private HybridKem.ClientKeys keys;
    private int offeredSuites;
    private int offeredFeatures;
    private HandshakeMessage.ServerHello serverHello;
    private PeerIdentity server;
    private byte[] handshakeSecret;
    private byte[] serverFinishedKey;

    public ClientHandshake(HandshakeSettings settings) {
        this.settings = settings;
    }

    public State state() {
        return state;
    }

    /** CLIENT_HELLO. Random draws, in order: hello random (32), X25519 key (32), ML-KEM seed (64). */
    public byte[] start() {
        require(State.START);
        byte[] random = new byte[HandshakeMessage.RANDOM_SIZE];
        settings.random().nextBytes(random);
        byte[] keyRandom = new byte[HybridKem.CLIENT_RANDOM_BYTES];
        settings.random().nextBytes(keyRandom);
        keys = HybridKem.clientKeys(keyRandom);
        Secrets.wipe(keyRandom);
        offeredSuites = settings.suiteMask();
        offeredFeatures = settings.features();
        byte[] hello = HandshakeCodec.encode(new HandshakeMessage.ClientHello(Negotiation.VERSION, offeredSuites, offeredFeatures,
                settings.signatureAlgorithmMask(), settings.identity().address(), random, keys.share()));
        transcript.add(hello);
        state = State.WAIT_SERVER_HELLO;
        return hello;
    }

    /** Checks SERVER_HELLO (choices, the server's identity and signature, policy) and returns CLIENT_FINISH. */
    public byte[] onServerHello(byte[] raw) throws HandshakeException {
        require(State.WAIT_SERVER_HELLO);
        try {
            HandshakeMessage.ServerHello sh = Negotiation.serverHello(raw);
            if (sh.version() != Negotiation.VERSION) {
                throw new HandshakeException(ErrorCode.UNSUPPORTED_VERSION, "server chose protocol version " + sh.version()
                        + ", this node speaks " + Negotiation.VERSION);
            }
            AeadSuite suite = AeadSuite.fromWireId(sh.suite());
            if (Integer.bitCount(sh.suite()) != 1 || suite == null || (sh.suite() & offeredSuites) == 0) {
                throw new HandshakeException(ErrorCode.NO_COMMON_SUITE, String.format("server chose suite 0x%04x, which was not offered", sh.suite()));
            }
            if ((sh.features() & ~offeredFeatures) != 0) {
                throw new HandshakeException(ErrorCode.NO_COMMON_SUITE, String.format("server chose features 0x%04x, offered 0x%04x",
                        sh.features(), offeredFeatures));
            }
            if ((sh.flags() & ~HandshakeMessage.FLAG_CLIENT_AUTH) != 0) {
                throw HandshakeException.malformed(String.format("SERVER_HELLO flags 0x%02x; only 0x01 is defined", sh.flags()));
            }
            PeerIdentity presented = Negotiation.presented("server", sh.signatureAlgorithm(), sh.publicKey(), sh.endorsement(), settings);
            int signedLength = raw.length - 2 - sh.signature().length;
            Negotiation.verify("server", presented, KeySchedule.SERVER_SIGNATURE, transcript.hashWith(raw, signedLength), sh.signature());
            if (settings.expectedPeer() != null && !settings.expectedPeer().equals(presented.address())) {
                throw new HandshakeException(ErrorCode.IDENTITY_MISMATCH, "dialled node " + settings.expectedPeer()
                        + ", the server proved to be " + presented.address());
            }
            settings.peerPolicy().check(presented, System.currentTimeMillis() / 1000);
            transcript.add(raw);
            byte[] shared = keys.decapsulate(sh.keyShare());
            keys.close();
            handshakeSecret = KeySchedule.handshakeSecret(transcript.hash(), shared);
            Secrets.wipe(shared);
            serverHello = sh;
            server = presented;
            byte[] finish = clientFinish(sh.clientAuthRequired());
            transcript.add(finish);
            serverFinishedKey = Hkdf.expand(handshakeSecret, KeySchedule.SERVER_FINISHED, Hkdf.HASH_SIZE);
            state = State.WAIT_SERVER_FINISH;
            return finish;
        } catch (HandshakeException | RuntimeException e) {
            fail();
            throw e;
        }
    }

    private byte[] clientFinish(boolean authenticate) {
        NodeIdentity me = settings.identity();
        byte[] publicKey = authenticate ? me.publicKey() : new byte[0];
        byte[] endorsement = authenticate ? settings.endorsement() : new byte[0];
        int alg = authenticate ? me.algorithm().wireId() : 0;
        byte[] signature = new byte[0];
        byte[] mac = new byte[HandshakeMessage.MAC_SIZE];
        if (authenticate) {
            // The signature covers CF up to (not including) its own length field: encode with an empty one to find that point.
            byte[] unsigned = HandshakeCodec.encode(new HandshakeMessage.ClientFinish(alg, publicKey, endorsement, signature, mac));
            int signedLength = unsigned.length - 2 - HandshakeMessage.MAC_SIZE;
            signature = me.sign(KeySchedule.signedContent(KeySchedule.CLIENT_SIGNATURE, transcript.hashWith(unsigned, signedLength)));
        }
        byte[] draft = HandshakeCodec.encode(new HandshakeMessage.ClientFinish(alg, publicKey, endorsement, signature, mac));
        byte[] finishedKey = Hkdf.expand(handshakeSecret, KeySchedule.CLIENT_FINISHED, Hkdf.HASH_SIZE);
        byte[] computed = Hkdf.hmac(finishedKey, transcript.hashWith(draft, draft.length - HandshakeMessage.MAC_SIZE));
        Secrets.wipe(finishedKey);
        System.arraycopy(computed, 0, draft, draft.length - HandshakeMessage.MAC_SIZE, HandshakeMessage.MAC_SIZE);
        return draft;
    }

    /** Checks SERVER_FINISH; the handshake is done and the traffic secrets exist. */
    public HandshakeResult onServerFinish(byte[] raw) throws HandshakeException {
        require(State.WAIT_SERVER_FINISH);
        try {
            HandshakeMessage.ServerFinish sf = (HandshakeMessage.ServerFinish) Negotiation.decode(raw,
                    HandshakeMessage.KIND_SERVER_FINISH, "SERVER_FINISH");
            Negotiation.checkMac("server", serverFinishedKey, transcript.hash(), sf.mac());
            transcript.add(raw);
            byte[] master = KeySchedule.masterSecret(transcript.hash(), handshakeSecret);
            SessionSecrets secrets = new SessionSecrets(AeadSuite.fromWireId(serverHello.suite()), true, master, transcript.hash());
            Secrets.wipe(master, handshakeSecret, serverFinishedKey);
            state = State.DONE;
            return new HandshakeResult(secrets, server, server.address(), secrets.suite(), serverHello.features(),
                    serverHello.sessionId(), serverHello.keepAliveTimeoutMillis());
        } catch (HandshakeException | RuntimeException e) {
            fail();
            throw e;
        }
    }

    /** Abandons the handshake (the stream failed or closed): FAILED, secrets wiped. */
    public void fail() {
        if (state == State.DONE) {
            return;
        }
        state = State.FAILED;
        if (keys != null) {
            keys.close();
        }
        Secrets.wipe(handshakeSecret, serverFinishedKey);
    }

    private void require(State expected) {
        if (state != expected) {
            throw new IllegalStateException("client handshake is " + state + ", not " + expected);
        }
    }
}
