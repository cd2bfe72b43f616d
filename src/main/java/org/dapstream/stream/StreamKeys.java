package org.dapstream.stream;

import org.dapstream.crypto.AeadSuite;
import org.dapstream.crypto.ConstantTime;
import org.dapstream.crypto.HandshakeResult;
import org.dapstream.crypto.KeySchedule;
import org.dapstream.crypto.PeerIdentity;
import org.dapstream.crypto.Secrets;
import org.dapstream.crypto.SessionSecrets;
import org.dapstream.protocol.ControlCodec;
import org.dapstream.protocol.ControlMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.Flags;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;

import java.util.concurrent.CompletableFuture;

/**
 * A stream's keys once the handshake is done (PROTOCOL.md sections 21–23): which key seals
 * or opens each frame (the stream's, or a channel's own), the rekey limits and KEY_UPDATE,
 * the nonce rule for reused channel ids, the CHANNEL_KEY exchange, and wiping every key when
 * the stream or a channel ends. All null on a plaintext stream. Event-loop confined.
 */
final class StreamKeys {
    private static final System.Logger LOG = System.getLogger(StreamKeys.class.getName());

    private final Stream stream;
    private final StreamSecurity security;
    private final StreamRole role;
    private final StreamCounters counters;
    private SessionSecrets secrets;
    private volatile PeerIdentity peer;
    /** The AEAD suite the handshake agreed; null while plaintext. Kept after the keys are wiped. */
    private volatile AeadSuite suite;
    /** Seals what we send on ch 0 and on channels without their own key; null while plaintext. */
    private FrameKey sendKey;
    /** Opens what we receive on ch 0 and on channels without their own key; null while plaintext. */
    private FrameKey receiveKey;
    /** The flags every received frame carries: ENCRYPTED once the handshake is done, else 0. */
    int expectedFlags;
    /** A KEY_UPDATE is being sent: the frame that carries it must not start another. */
    private boolean rekeying;
    /** CHANNEL_KEY requests this side sent, and the peer sent, on this stream: they name each exchange's keys. */
    private long channelKeysSent;
    private long channelKeysReceived;

    StreamKeys(Stream stream, StreamSecurity security, StreamRole role, StreamCounters counters) {
        this.stream = stream;
        this.security = security;
        this.role = role;
        this.counters = counters;
    }

    /** The handshake is done: from the next frame on, everything is sealed both ways. */
    void secured(HandshakeResult result) {
        secrets = result.secrets();
        peer = result.peer();
        suite = result.suite();
        sendKey = new FrameKey(0, secrets.sending());
        receiveKey = new FrameKey(0, secrets.receiving());
        expectedFlags = Flags.ENCRYPTED;
    }

    boolean encrypted() {
        return expectedFlags != 0;
    }

    /** A resumed stream's peer is who proved itself in the session's full handshake (a resumption signs nothing). */
    void peerOfSession(PeerIdentity identity) {
        peer = identity;
    }

    /** The secret of this stream's ticket {@code number} (PROTOCOL.md section 32); the caller wipes it. */
    byte[] resumptionSecret(long number) {
        return secrets.resumptionSecret(number);
    }

    PeerIdentity peer() {
        return peer;
    }

    AeadSuite suite() {
        return suite;
    }

    // ---------------------------------------------------------------- sending

    /** The key that seals a frame on {@code ch} (null: ch 0): the channel's own, else the stream's; null while plaintext. */
    FrameKey sendKeyFor(Channel ch) {
        FrameKey key = sendKey;
        if (key == null || ch == null) {
            return key;
        }
        FrameKey own = ch.keys.send;
        return own != null ? own : key;
    }

    /**
     * Before sealing a frame on channel {@code chId} under {@code key}: the first frame of a
     * channel whose id already carried frames under the stream key's current epoch (an earlier
     * channel on the same id) would repeat their nonces, so the stream key moves to the next
     * epoch first (PROTOCOL.md section 22).
     */
    void keepNonceFresh(FrameKey key, int chId, int seq) {
        if (key.wouldRepeatNonce(chId, seq)) {
            updateSendingKey(key);
        }
        key.used(chId);
    }

    /** A frame was sealed under {@code key}: past a rekey limit, what follows goes under the next epoch. */
    void sealed(FrameKey key) {
        if ((key.frames >= security.rekeyFrames() || key.bytes >= security.rekeyBytes()) && !rekeying) {
            updateSendingKey(key);
        }
    }

    /** KEY_UPDATE for {@code key}, sealed under its old epoch; what follows is sealed under the next. */
    private void updateSendingKey(FrameKey key) {
        if (!key.canRotate()) {
            // Four billion epochs: never in practice, but sealing on under the last one could repeat a nonce.
            ProtocolException spent = new ProtocolException(ErrorCode.RESOURCE_EXHAUSTED, "every key epoch of "
                    + (key.channelId == 0 ? "the stream" : "channel " + key.channelId) + " is used up");
            stream.fail(spent);
            throw new StreamException(ErrorCode.RESOURCE_EXHAUSTED, spent.getMessage());
        }
        rekeying = true;
        try {
            long next = Integer.toUnsignedLong(key.epoch()) + 1;
            sendControl(new ControlMessage.KeyUpdate(key.channelId, next));
            key.rotate();
        } finally {
            rekeying = false;
        }
    }

    /** Moves what we send (on {@code ch}'s own key, or the stream's when null) to the next epoch now. */
    CompletableFuture<Void> rekey(Channel ch) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        stream.onLoop(() -> {
            FrameKey key = ch == null ? sendKey : ch.keys.send;
            if (key == null || !stream.active()) {
                result.completeExceptionally(new IllegalStateException(ch == null
                        ? "rekey needs an active encrypted stream: " + stream : ch + " has no key of its own"));
                return;
            }
            updateSendingKey(key);
            result.complete(null);
        });
        return result;
    }

    /** The epoch of the stream key we send under; -1 on a plaintext stream. */
    long sendEpoch() {
        return sendKey == null ? -1 : Integer.toUnsignedLong(sendKey.epoch());
    }

    // ---------------------------------------------------------------- receiving

    /** The key that opens a frame on {@code ch} (null: ch 0). */
    FrameKey receiveKeyFor(Channel ch) {
        if (ch == null) {
            return receiveKey;
        }
        FrameKey own = ch.keys.receive;
        return own != null ? own : receiveKey;
    }

    /** KEY_UPDATE: the peer's frames under that key move to the next epoch after this one. */
    void onKeyUpdate(ControlMessage.KeyUpdate update) throws ProtocolException {
        requireEncrypted("KEY_UPDATE");
        FrameKey key;
        if (update.channelId() == 0) {
            key = receiveKey;
        } else {
            Channel ch = stream.channels.get(update.channelId());
            key = ch == null ? null : ch.keys.receive;
            if (key == null) {
                throw new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "KEY_UPDATE for channel " + update.channelId()
                        + ", which has no key of its own");
            }
        }
        long expected = Integer.toUnsignedLong(key.epoch()) + 1;
        if (update.epoch() != expected) {
            throw new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "KEY_UPDATE to epoch " + update.epoch() + " for channel "
                    + update.channelId() + "; the next epoch is " + expected);
        }
        key.rotate();
    }

    // ---------------------------------------------------------------- channel keys

    /** {@code dap_stream_ch_set_encryption}: see {@link Channel#setEncryption(byte[])}. */
    CompletableFuture<Void> setChannelKey(Channel ch, byte[] applicationKey) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        byte[] key = applicationKey == null ? null : applicationKey.clone();
        stream.onLoop(() -> {
            if (sendKey == null || !stream.active()) {
                result.completeExceptionally(new IllegalStateException("channel keys need an active encrypted stream; " + stream
                        + (security == null ? " has security disabled" : " is not set up")));
            } else if (ch.state != Channel.State.OPEN) {
                result.completeExceptionally(new IllegalStateException("cannot set a key on " + ch));
            } else if (ch.keys.pending != null) {
                result.completeExceptionally(new IllegalStateException("a channel key request is already in flight on " + ch));
            } else if (channelKeysSent >= KeySchedule.MAX_CHANNEL_KEY_REQUESTS) {
                result.completeExceptionally(new IllegalStateException("this stream sent its last CHANNEL_KEY request ("
                        + KeySchedule.MAX_CHANNEL_KEY_REQUESTS + "); open a new stream"));
            } else {
                int generation = KeySchedule.channelKeyGeneration(++channelKeysSent, role == StreamRole.ACCEPTOR);
                SessionSecrets.ChannelSecrets keys = secrets.channel(ch.id(), generation, key);
                ch.keys.pending = new PendingChannelKey(generation, keys, result);
                sendControl(new ControlMessage.ChannelKey(ch.id(),
                        key == null ? ControlMessage.KEY_MODE_DERIVED : ControlMessage.KEY_MODE_APPLICATION, keys.check()));
            }
            Secrets.wipe(key);
        });
        return result;
    }

    /** The peer asks to give a channel its own key. */
    void onChannelKey(ControlMessage.ChannelKey request) throws ProtocolException {
        requireEncrypted("CHANNEL_KEY");
        // Every request counts, whatever its answer: both sides agree on the generation.
        if (++channelKeysReceived > KeySchedule.MAX_CHANNEL_KEY_REQUESTS) {
            throw new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "more than " + KeySchedule.MAX_CHANNEL_KEY_REQUESTS
                    + " CHANNEL_KEY requests on one stream");
        }
        int generation = KeySchedule.channelKeyGeneration(channelKeysReceived, role == StreamRole.CONNECTOR);
        Channel ch = stream.channels.get(request.channelId());
        if (ch == null || ch.state != Channel.State.OPEN) {
            answerChannelKey(request.channelId(), ErrorCode.KEY_REJECTED);
            return;
        }
        if (ch.keys.pending != null) {
            if (role == StreamRole.ACCEPTOR) {
                // Both asked at once: the connector's request wins, ours is dropped.
                PendingChannelKey dropped = ch.keys.pending;
                ch.keys.pending = null;
                dropped.secrets().close();
                dropped.result().completeExceptionally(new StreamException(ErrorCode.KEY_REJECTED,
                        "channel " + ch.id() + ": the peer asked for a channel key at the same time; its request won"));
            } else {
                answerChannelKey(ch.id(), ErrorCode.KEY_REJECTED);
                return;
            }
        }
        byte[] applicationKey = null;
        if (request.mode() == ControlMessage.KEY_MODE_APPLICATION) {
            applicationKey = applicationKeyOf(ch);
            if (applicationKey == null) {
                answerChannelKey(ch.id(), ErrorCode.KEY_REJECTED);
                return;
            }
        }
        SessionSecrets.ChannelSecrets keys = secrets.channel(ch.id(), generation, applicationKey);
        if (!ConstantTime.equals(keys.check(), request.check())) {
            keys.close();
            answerChannelKey(ch.id(), ErrorCode.KEY_REJECTED);
            return;
        }
        answerChannelKey(ch.id(), null);
        // Our frames on the channel after the ACK use the channel key; the peer's after its CHANNEL_KEY_ACTIVE.
        ch.keys.replace(true, new FrameKey(ch.id(), keys.sending()));
        ChannelKeys.wipe(ch.keys.nextReceive);
        ch.keys.nextReceive = new FrameKey(ch.id(), keys.receiving());
    }

    private byte[] applicationKeyOf(Channel ch) {
        try {
            byte[] key = ch.handler.encryptionKey(ch);
            return key != null && key.length == AeadSuite.KEY_SIZE ? key : null; // an application channel key is an AES-256 key
        } catch (RuntimeException e) {
            CallbackFailure.log(LOG, "encryptionKey callback of " + ch + " threw; refusing the channel key", e);
            return null;
        }
    }

    private void answerChannelKey(int chId, ErrorCode refusal) {
        if (refusal != null) {
            counters.errorSent(refusal);
        }
        sendControl(new ControlMessage.ChannelKeyAck(chId, refusal == null ? 0 : refusal.code()));
    }

    /** The peer's answer to our CHANNEL_KEY. */
    void onChannelKeyAck(ControlMessage.ChannelKeyAck ack) throws ProtocolException {
        requireEncrypted("CHANNEL_KEY_ACK");
        Channel ch = stream.channels.get(ack.channelId());
        PendingChannelKey pending = ch == null ? null : ch.keys.pending;
        if (pending == null) {
            return; // a request we dropped (the peer's won, or the channel closed); nothing switched
        }
        ch.keys.pending = null;
        if (ack.status() != 0) {
            pending.secrets().close();
            ErrorCode code = ErrorCode.fromCode(ack.status());
            pending.result().completeExceptionally(new StreamException(code == null ? ErrorCode.KEY_REJECTED : code,
                    "peer refused a key of its own for channel " + ch.id() + " (it has no such key, or a different one)"));
            return;
        }
        // The peer's frames after its ACK are under the channel key; ours after CHANNEL_KEY_ACTIVE.
        ch.keys.replace(false, new FrameKey(ch.id(), pending.secrets().receiving()));
        sendControl(new ControlMessage.ChannelKeyActive(ch.id()));
        ch.keys.replace(true, new FrameKey(ch.id(), pending.secrets().sending()));
        pending.result().complete(null);
    }

    void onChannelKeyActive(ControlMessage.ChannelKeyActive active) throws ProtocolException {
        requireEncrypted("CHANNEL_KEY_ACTIVE");
        Channel ch = stream.channels.get(active.channelId());
        if (ch == null) {
            return; // closed meanwhile: its frames are refused as CHANNEL_CLOSED anyway
        }
        if (ch.keys.nextReceive == null) {
            throw new ProtocolException(ErrorCode.BAD_KEY_UPDATE, "CHANNEL_KEY_ACTIVE for channel " + ch.id()
                    + " without an accepted CHANNEL_KEY");
        }
        ch.keys.replace(false, ch.keys.nextReceive);
        ch.keys.nextReceive = null;
    }

    private void requireEncrypted(String what) throws ProtocolException {
        if (sendKey == null) {
            throw new ProtocolException(ErrorCode.MALFORMED_CONTROL, what + " on a stream that is not encrypted");
        }
    }

    private void sendControl(ControlMessage message) {
        stream.writer.sendStreamFrame(PacketType.CONTROL, ControlCodec.encode(message));
    }

    // ---------------------------------------------------------------- the end

    /** The stream's traffic keys and the session's secrets, wiped when the stream ends. */
    void wipe() {
        ChannelKeys.wipe(sendKey);
        ChannelKeys.wipe(receiveKey);
        if (secrets != null) {
            secrets.close();
        }
    }

    /** The traffic keys exist and have been wiped (the stream ended). */
    boolean wiped() {
        return sendKey != null && sendKey.cipher.isClosed() && receiveKey.cipher.isClosed();
    }
}
