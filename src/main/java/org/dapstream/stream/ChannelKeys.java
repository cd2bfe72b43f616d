package org.dapstream.stream;

import org.dapstream.protocol.ErrorCode;

/**
 * A channel's own keys ({@code dap_stream_ch_set_encryption}), per direction, and the
 * exchange that installs them; all null while the channel uses the stream's keys.
 * Event-loop confined.
 */
final class ChannelKeys {
    FrameKey send;
    FrameKey receive;
    /** Our CHANNEL_KEY in flight: what it will install once the peer accepts. */
    PendingChannelKey pending;
    /** The peer's accepted CHANNEL_KEY: its frames switch to this at CHANNEL_KEY_ACTIVE. */
    FrameKey nextReceive;

    /** Installs a key for one direction, wiping the one it replaces. */
    void replace(boolean sending, FrameKey key) {
        FrameKey old = sending ? send : receive;
        if (sending) {
            send = key;
        } else {
            receive = key;
        }
        wipe(old);
    }

    /** The channel ended: its keys die with it, and a request still in flight fails. */
    void wipeAll(Channel ch) {
        wipe(send);
        wipe(receive);
        wipe(nextReceive);
        send = null;
        receive = null;
        nextReceive = null;
        PendingChannelKey p = pending;
        if (p != null) {
            pending = null;
            p.secrets().close();
            p.result().completeExceptionally(new StreamException(ErrorCode.CHANNEL_CLOSED,
                    ch + " closed before the peer answered"));
        }
    }

    static void wipe(FrameKey key) {
        if (key != null) {
            key.close();
        }
    }
}
