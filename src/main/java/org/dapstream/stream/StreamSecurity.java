package org.dapstream.stream;

import org.dapstream.crypto.HandshakeSettings;

import java.util.Objects;

/**
 * Makes a stream secure: the handshake this node runs, and when its keys are replaced.
 *
 * @param handshake   identity, suites and policy for the handshake
 * @param rekeyFrames frames sealed under one key before the sender moves to the next epoch;
 *                    below 2^32 so no channel's {@code seq_id} can wrap under one key
 * @param rekeyBytes  payload bytes sealed under one key before the sender moves to the next epoch
 * @param work        where the handshake's signing, key exchange and verification run; null:
 *                    the server or client running the stream supplies its {@link HandshakeWorkers}
 *                    (a bare {@link Stream} runs them inline)
 */
public record StreamSecurity(HandshakeSettings handshake, long rekeyFrames, long rekeyBytes, HandshakeWork work) {
    /** 2^31 frames: half the nonce space of one channel's u32 seq_id, so a key always changes long before a wrap. */
    public static final long DEFAULT_REKEY_FRAMES = 1L << 31;
    /** 64 GiB: far inside AES-GCM's safety margin for one key (about 2^35 blocks for a 2^-57 advantage). */
    public static final long DEFAULT_REKEY_BYTES = 64L << 30;
    /** The most frames a receiver opens under one key: the u32 seq_id would wrap after it. */
    static final long MAX_FRAMES_PER_KEY = (1L << 32) - 1;

    public StreamSecurity {
        Objects.requireNonNull(handshake, "handshake");
        // At most 2^31 (PROTOCOL.md section 22): the KEY_UPDATEs that follow a limit, one per key
        // that reached it, then always fit below the 2^32 - 1 frames a receiver opens under one key.
        if (rekeyFrames < 1 || rekeyFrames > DEFAULT_REKEY_FRAMES) {
            throw new IllegalArgumentException("rekeyFrames must be 1.." + DEFAULT_REKEY_FRAMES + ", got " + rekeyFrames);
        }
        if (rekeyBytes < 1) {
            throw new IllegalArgumentException("rekeyBytes must be positive, got " + rekeyBytes);
        }
    }

    public StreamSecurity(HandshakeSettings handshake, long rekeyFrames, long rekeyBytes) {
        this(handshake, rekeyFrames, rekeyBytes, null);
    }

    public static StreamSecurity of(HandshakeSettings handshake) {
        return new StreamSecurity(handshake, DEFAULT_REKEY_FRAMES, DEFAULT_REKEY_BYTES);
    }

    /** The same, with {@code settings} for the handshake. */
    public StreamSecurity withHandshake(HandshakeSettings settings) {
        return new StreamSecurity(settings, rekeyFrames, rekeyBytes, work);
    }

    /** The same, with the handshake crypto on {@code work}. */
    public StreamSecurity withWork(HandshakeWork work) {
        return new StreamSecurity(handshake, rekeyFrames, rekeyBytes, work);
    }
}
