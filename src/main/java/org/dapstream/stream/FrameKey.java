package org.dapstream.stream;

import org.dapstream.crypto.FrameCipher;
import org.dapstream.crypto.TrafficSecret;

import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * One direction's current key for ch 0 and the channels without their own key, or for one
 * channel with its own: the cipher of the current epoch, the secret chain that gives the
 * next, and what was sealed or opened under it (the sender rekeys before a limit).
 *
 * <p>The stream's key also remembers which channel ids carried a frame under the current
 * epoch. A channel id may be opened again after it closed, and its seq_id restarts at 0, so
 * the nonce (ch_id, epoch, seq_id) of the new channel's first frame would repeat one of the
 * old channel's under the same key: the sender moves to the next epoch first, and the
 * receiver refuses a peer that did not (PROTOCOL.md section 22).
 */
final class FrameKey implements AutoCloseable {
    /** The last epoch a u32 can name: a key that would need one more is used up. */
    static final int LAST_EPOCH = -1;

    /** 0 for the stream's key, else the channel whose own key this is. */
    final int channelId;
    private final TrafficSecret chain;
    FrameCipher cipher;
    long frames;
    long bytes;
    /** Channel ids with a frame under this epoch; null until the first (grows with the highest id). */
    private BitSet channelsUsed;
    /** The channel last marked: a run of frames on one channel touches the bit set once. */
    private int lastChannel;

    FrameKey(int channelId, TrafficSecret chain) {
        this.channelId = channelId;
        this.chain = chain;
        this.cipher = chain.cipher();
    }

    int epoch() {
        return chain.epoch();
    }

    /**
     * Whether the first frame ({@code seq} 0) of a channel on {@code chId} would repeat a nonce
     * of an earlier channel on that id under this epoch. Only the stream's key can tell: a
     * channel's own key lives and dies with one channel.
     */
    boolean wouldRepeatNonce(int chId, int seq) {
        return seq == 0 && channelsUsed != null && channelId == 0 && channelsUsed.get(chId);
    }

    /** Remembers that {@code chId} (a channel, not ch 0) carried a frame under this epoch. */
    void used(int chId) {
        if (chId != lastChannel && channelId == 0) {
            if (channelsUsed == null) {
                channelsUsed = new BitSet();
            }
            channelsUsed.set(chId);
            lastChannel = chId;
        }
    }

    /** Whether another epoch exists after this one. */
    boolean canRotate() {
        return chain.epoch() != LAST_EPOCH;
    }

    /** The next epoch: the old key is wiped at once, and every channel id is fresh again. */
    void rotate() {
        if (!canRotate()) {
            throw new IllegalStateException("every key epoch of " + this + " is used up");
        }
        FrameCipher old = cipher;
        cipher = chain.next();
        old.close();
        frames = 0;
        bytes = 0;
        channelsUsed = null;
        lastChannel = 0;
    }

    /** Seals a frame's payload in place under this epoch and counts it toward the rekey limits. */
    void seal(ByteBuffer frame, int at, int payload) {
        cipher.seal(frame, at, payload);
        frames++;
        bytes += payload;
    }

    /** Seals a frame whose plaintext is still in the sender's array (see {@link FrameCipher#seal(ByteBuffer, int, byte[], int, int)}). */
    void sealFrom(byte[] src, int off, int len, ByteBuffer frame, int at) {
        cipher.seal(frame, at, src, off, len);
        frames++;
        bytes += len;
    }

    @Override
    public void close() {
        cipher.close();
        chain.close();
    }
}
