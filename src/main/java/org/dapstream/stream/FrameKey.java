package org.dapstream.stream;

import org.dapstream.crypto.FrameCipher;
import org.dapstream.crypto.TrafficSecret;

/**
 * One direction's current key for ch 0 and the channels without their own key, or for one
 * channel with its own: the cipher of the current epoch, the secret chain that gives the
 * next, and what was sealed or opened under it (the sender rekeys before a limit).
 */
final class FrameKey implements AutoCloseable {
    /** 0 for the stream's key, else the channel whose own key this is. */
    final int channelId;
    private final TrafficSecret chain;
    FrameCipher cipher;
    long frames;
    long bytes;

    FrameKey(int channelId, TrafficSecret chain) {
        this.channelId = channelId;
        this.chain = chain;
        this.cipher = chain.cipher();
    }

    int epoch() {
        return chain.epoch();
    }

    /** The next epoch: the old key is wiped at once. */
    void rotate() {
        FrameCipher old = cipher;
        cipher = chain.next();
        old.close();
        frames = 0;
        bytes = 0;
    }

    @Override
    public void close() {
        cipher.close();
        chain.close();
    }
}
