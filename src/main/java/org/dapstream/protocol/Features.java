package org.dapstream.protocol;

/**
 * The optional features of the secure handshake's {@code features} masks (PROTOCOL.md
 * section 20.1): the connector offers, the acceptor chooses a subset. A plaintext stream
 * agrees none.
 */
public final class Features {
    /**
     * Acknowledgements (PROTOCOL.md section 28): each side acknowledges the messages it
     * delivered on each channel, and keeps what it wrote until the peer acknowledges it.
     */
    public static final int ACKS = 0x0001;
    /** Every feature this implementation knows. */
    public static final int KNOWN = ACKS;

    private Features() {
    }

    /** True when {@code mask} holds {@code feature}. */
    public static boolean has(int mask, int feature) {
        return (mask & feature) == feature;
    }
}
