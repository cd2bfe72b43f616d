package org.dapstream.protocol;

/**
 * The u16 code carried by CLOSE and ERROR frames. Codes are stable wire values; never
 * renumber one. {@code docs/PROTOCOL.md} lists them with the condition that raises each.
 */
public enum ErrorCode {
    /** Orderly close, no error. */
    NORMAL(0x0000),
    /** A protocol rule was broken that has no more specific code. */
    PROTOCOL_VIOLATION(0x0001),
    /** A header's {@code size} exceeds the receiver's frame payload limit. */
    FRAME_TOO_LARGE(0x0002),
    /** A header's {@code type} is not one of DATA, CONTROL, KEEPALIVE, CLOSE, ERROR. */
    UNKNOWN_PACKET_TYPE(0x0003),
    /** A header sets a reserved flag bit. */
    RESERVED_FLAGS(0x0004),
    /** A frame names a channel that was never opened on this stream. */
    UNKNOWN_CHANNEL(0x0005),
    /** A frame names a channel that was opened and has since been closed. */
    CHANNEL_CLOSED(0x0006),
    /** A frame's {@code seq_id} is not the previous one plus 1 (gap, repeat or step back). */
    BAD_SEQUENCE(0x0007),
    /** A frame other than the stream setup arrived before the stream was set up. */
    STREAM_NOT_READY(0x0008),
    /** A CONTROL message on ch 0 is malformed, unknown, or not allowed in this state. */
    MALFORMED_CONTROL(0x0009),
    /** An OPEN_CHANNEL names an id of the wrong parity, 0, or one already open. */
    BAD_CHANNEL_ID(0x000A),
    /** No handler serves the requested channel type. */
    UNSUPPORTED_CHANNEL_TYPE(0x000B),
    /** A flag was set that was not negotiated for this stream or channel. */
    FLAG_NOT_NEGOTIATED(0x000C),
    /** The peer's read side was silent for the keepalive timeout. */
    KEEPALIVE_TIMEOUT(0x000D),
    /** A frame was begun but not completed within the keepalive timeout, or within the frame timeout however steadily it arrived. */
    TRUNCATED_FRAME(0x000E),
    /** The peer does not speak a protocol version we do. */
    UNSUPPORTED_VERSION(0x000F),
    /** The stream setup did not complete within its deadline. */
    SETUP_TIMEOUT(0x0010),
    /** A KEEPALIVE, CLOSE or ERROR payload is malformed, or sent on the wrong channel. */
    MALFORMED_FRAME(0x0011),
    /** The channel handler failed; the channel is closed, the stream goes on. */
    HANDLER_FAILED(0x0012),
    /** The receiver ran out of a resource it will not grow (too many channels, buffers). */
    RESOURCE_EXHAUSTED(0x0013),
    /** The node is shutting down. */
    GOING_AWAY(0x0014),
    /** Local only, never sent: the connection ended without a CLOSE or ERROR for the stream. */
    CONNECTION_LOST(0x0015),
    /** A transcript signature (server's, or client's) does not verify under the key presented. */
    BAD_SIGNATURE(0x0016),
    /** A FINISH message's MAC is wrong: the two sides derived different keys (tampering or a bug). */
    BAD_FINISHED(0x0017),
    /** The server requires client authentication and the client presented no identity. */
    AUTH_REQUIRED(0x0018),
    /** The peer proved its identity, and the authentication policy does not allow it. */
    AUTH_REFUSED(0x0019),
    /** The server is not the node the client dialled, or a node's proven address is not the one it claimed. */
    IDENTITY_MISMATCH(0x001A),
    /** No AEAD suite, signature algorithm or security mode acceptable to both sides. */
    NO_COMMON_SUITE(0x001B),
    /** An ENCRYPTED frame failed authentication (wrong key, tampered header or payload, bad tag). */
    DECRYPT_FAILED(0x001C),
    /** A frame without the ENCRYPTED flag after the secure handshake completed. */
    NOT_ENCRYPTED(0x001D),
    /** A handshake message is malformed, of the wrong size, or out of order. */
    MALFORMED_HANDSHAKE(0x001E),
    /** This node requires the secure handshake; the peer started a plaintext stream. */
    SECURITY_REQUIRED(0x001F),
    /** Too many handshakes in progress (in all, from this address or its prefix), or evicted before a complete first frame; try again later. */
    HANDSHAKE_BUSY(0x0020),
    /** A per-channel key request was refused: no key for the channel, or the key check differs. */
    KEY_REJECTED(0x0021),
    /** A key update or channel key message is malformed or out of order (wrong epoch, unknown channel). */
    BAD_KEY_UPDATE(0x0022),
    /** The peer sent more application payload on a channel or the stream than the receiver granted, or its window grew past 2^31-1. */
    FLOW_CONTROL_VIOLATION(0x0023),
    /** A fragmented message declares more bytes than the receiver's message limit, or the stream's reassembly buffers are full. */
    MESSAGE_TOO_LARGE(0x0024),
    /** A fragment continues a message that was never started on its channel. */
    UNKNOWN_FRAGMENT(0x0025),
    /** A fragment's offset or total length does not follow the fragments before it, or a message ends short. */
    FRAGMENT_OUT_OF_ORDER(0x0026),
    /** A fragmented message received no fragment for the reassembly timeout. */
    REASSEMBLY_TIMEOUT(0x0027),
    /** A COMPRESSED payload is malformed, declares more bytes than the frame limit (a bomb), or decodes to another length. */
    DECOMPRESSION_FAILED(0x0028),
    /** The peer did not read what this side owed it: the stream's output stayed over its budget past the stall timeout. */
    OUTPUT_STALLED(0x0029),
    /** A message on a CLUSTER or LINK channel is empty, of unknown kind, truncated, has trailing bytes or a bad field. */
    MALFORMED_CLUSTER_MESSAGE(0x002A),
    /** A join or publish that the named cluster's allow-list does not admit. */
    CLUSTER_REFUSED(0x002B),
    /** A leave of a cluster the channel did not join. */
    NOT_A_MEMBER(0x002C),
    /** A LINK channel from a peer that is not an endorsed member of the cluster, or opened on the client port. */
    LINK_REFUSED(0x002D),
    /** A cluster member fell too far behind and the node is configured to end it rather than report gaps. */
    SLOW_CONSUMER(0x002E),
    /** An ACK acknowledges fewer messages than an earlier ACK on its channel, more than were written on it, or a MEDIA channel's. */
    BAD_ACK(0x002F),
    /** A FILE channel message is empty, of unknown kind, truncated, has trailing bytes, a bad field, or comes out of turn. */
    MALFORMED_FILE_MESSAGE(0x0030),
    /** A file transfer the receiving side will not do: a path outside its directory, a file that exists, one too large. */
    FILE_REFUSED(0x0031),
    /** A requested file does not exist (or is not a regular file) under the serving side's directory. */
    FILE_NOT_FOUND(0x0032),
    /** A received file's SHA-256 is not the one its OFFER announced; the received bytes are discarded. */
    FILE_CORRUPT(0x0033),
    /** Reading or writing a file failed on the side that reports it. */
    FILE_IO_ERROR(0x0034),
    /** A SERVICE channel message is empty, of unknown kind, truncated, has trailing bytes, a bad field, or comes out of turn. */
    MALFORMED_SERVICE_MESSAGE(0x0035),
    /** A SERVICE request the node will not forward: a bad method, target or header field, a hop-by-hop field, a duplicate or wrong Content-Length. */
    SERVICE_BAD_REQUEST(0x0036),
    /** A SERVICE request whose head is larger than the node accepts. */
    SERVICE_HEADERS_TOO_LARGE(0x0037),
    /** A SERVICE request for an upstream that is not on the node's allow-list. */
    SERVICE_UPSTREAM_REFUSED(0x0038),
    /** The upstream of a SERVICE request could not be reached, failed, or did not answer in time. */
    SERVICE_UPSTREAM_FAILED(0x0039),
    /** A SERVICE request over the number a channel may have under way at once. */
    SERVICE_REQUEST_LIMIT(0x003A),
    /** A resumption ticket does not open: unknown key id, failed authentication, wrong version or length. */
    TICKET_INVALID(0x0040),
    /** A RESUME_HELLO's binder is wrong: the sender does not hold the ticket's resumption secret. */
    TICKET_BINDER_MISMATCH(0x0041),
    /** A resumption ticket's expiry has passed. */
    TICKET_EXPIRED(0x0042),
    /** A resumption ticket was issued by another node than the one it was presented to. */
    TICKET_WRONG_NODE(0x0043),
    /** The session a resumption ticket names is not known here (expired and freed, or never existed). */
    SESSION_UNKNOWN(0x0044),
    /** A resumption ticket is not its session's newest, or the newest was already used. */
    TICKET_REPLAYED(0x0045),
    /** A suspended session was not resumed within the acceptor's session expiry; its channels are closed. */
    SESSION_EXPIRED(0x0046),
    /**
     * The member that owns a resumption ticket's session did not hand the session over (the
     * link to it went down, or it did not answer in time): a later attempt may pass.
     */
    HANDOVER_FAILED(0x0047),
    /** The session moved to another member of the cluster: its channels on this node close. */
    SESSION_MOVED(0x0048),
    /**
     * The member that held the session was lost (it crashed) and its channels with it: the
     * session resumed elsewhere, and each channel it carried ends with a gap notice.
     */
    SESSION_LOST(0x0049),
    /** An unexpected failure inside the receiver. */
    INTERNAL_ERROR(0x00FF);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The wire value. */
    public int code() {
        return code;
    }

    /** The enum for a wire value; unknown values (from a newer peer) map to {@code null}. */
    public static ErrorCode fromCode(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }
}
