package org.dapstream.transport;

/**
 * How DAP Stream frames travel over a WebSocket (PROTOCOL.md, "WebSocket transport"): the
 * subprotocol both sides name, the largest message a sender writes, and the close codes.
 * The binary messages of a connection, concatenated, are the same byte stream as on TCP.
 */
public final class WebSocketFraming {
    /** The subprotocol a client offers and a server selects; anything else is refused. */
    public static final String SUBPROTOCOL = "dap-stream.v1";
    /**
     * The largest binary message a sender writes: 64 KiB. A write batch larger than this goes
     * as several messages, so every receiver (and every proxy between) that accepts 64 KiB
     * messages carries every stream.
     */
    public static final int MAX_SENT_MESSAGE = 64 * 1024;

    /**
     * The stream ended and said why in a CLOSE or ERROR frame (a refusal by the caps or the
     * drain included): the reason is the frame's, the close code adds nothing.
     */
    public static final short CLOSE_NORMAL = 1000;
    /** A subprotocol other than {@link #SUBPROTOCOL} was agreed. */
    public static final short CLOSE_PROTOCOL_ERROR = 1002;
    /** A text message: DAP Stream frames are binary. */
    public static final short CLOSE_UNSUPPORTED_DATA = 1003;
    /** A message over the receiver's limit. */
    public static final short CLOSE_MESSAGE_TOO_BIG = 1009;
    /** The largest close reason a close frame carries (125 bytes of control payload less the 2-byte code). */
    public static final int MAX_CLOSE_REASON_BYTES = 123;

    private WebSocketFraming() {
    }

    /** {@code reason} cut to what a close frame carries (our reasons are ASCII: one byte per character). */
    public static String closeReason(String reason) {
        return reason.length() <= MAX_CLOSE_REASON_BYTES ? reason : reason.substring(0, MAX_CLOSE_REASON_BYTES);
    }
}
