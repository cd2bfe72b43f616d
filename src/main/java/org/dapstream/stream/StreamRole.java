package org.dapstream.stream;

/** Which end of the connection a stream is; it fixes the parity of the channel ids it opens. */
public enum StreamRole {
    /** Dialled out; opens odd channel ids (1, 3, 5, ...). */
    CONNECTOR(1),
    /** Accepted a connection; opens even channel ids (2, 4, 6, ...). */
    ACCEPTOR(2);

    private final int firstChannelId;

    StreamRole(int firstChannelId) {
        this.firstChannelId = firstChannelId;
    }

    /** The lowest channel id this side opens. */
    public int firstChannelId() {
        return firstChannelId;
    }

    /** True when {@code channelId} is one this side would open. */
    public boolean opens(int channelId) {
        return (channelId & 1) == (firstChannelId & 1);
    }
}
