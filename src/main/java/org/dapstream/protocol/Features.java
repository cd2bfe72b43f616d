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
    /**
     * Session resumption (PROTOCOL.md section 32): the acceptor issues TICKETs, and a later
     * stream may resume the session with the abbreviated handshake. Offered and agreed only
     * together with {@link #ACKS}, which is what a resumed session retransmits from.
     */
    public static final int RESUMPTION = 0x0002;
    /** Every feature this implementation knows. */
    public static final int KNOWN = ACKS | RESUMPTION;

    private Features() {
    }

    /** True when {@code mask} holds {@code feature}. */
    public static boolean has(int mask, int feature) {
        return (mask & feature) == feature;
    }
}
