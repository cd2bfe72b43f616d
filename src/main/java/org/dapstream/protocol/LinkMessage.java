package org.dapstream.protocol;

import java.nio.ByteBuffer;

/**
 * The messages of a LINK channel (type 0x05) between two endorsed members of a node cluster:
 * load, interest in named clusters, and the cluster traffic itself. Each message is the whole
 * payload of one DATA packet; its first byte is the kind. Both ends send every kind.
 * {@link LinkCodec} has the byte layouts.
 *
 * <p>A decoded payload is a slice of the decoded bytes (no copy): it is valid as long as those
 * bytes are, and equality compares contents.
 */
public sealed interface LinkMessage {
    int KIND_NODE = 0x01;
    int KIND_MEMBER_ADD = 0x02;
    int KIND_MEMBER_REMOVE = 0x03;
    int KIND_FORWARD = 0x04;
    int KIND_DELIVER = 0x05;
    int KIND_HANDOVER_ASK = 0x06;
    int KIND_HANDOVER_PART = 0x07;
    int KIND_HANDOVER_REFUSED = 0x08;
    int KIND_SESSION_CLAIM = 0x09;
    int KIND_CLAIM_GRANTED = 0x0A;

    /** The kind byte. */
    int kind();

    /** NODE {@code state}: whether the sending node takes new sessions. */
    enum NodeState {
        /** Ready: takes new sessions. */
        READY(0),
        /** Draining: keeps its sessions for hand-over, takes no new ones. */
        DRAINING(1);

        private final int code;

        NodeState(int code) {
            this.code = code;
        }

        /** The wire value. */
        public int code() {
            return code;
        }

        /** The state for a wire value, or {@code null} for an undefined one. */
        public static NodeState fromCode(int code) {
            return switch (code) {
                case 0 -> READY;
                case 1 -> DRAINING;
                default -> null;
            };
        }
    }

    /**
     * The sender's state and load: its session and stream counts, and the endpoint
     * ({@code host:port}) its clients dial, empty when it has none to offer. Sent when the
     * link comes up and whenever one of them changes.
     */
    record Node(NodeState state, long sessions, long streams, String endpoint) implements LinkMessage {
        public Node {
            endpoint = endpoint == null ? "" : endpoint;
        }

        @Override
        public int kind() {
            return KIND_NODE;
        }
    }

    /**
     * Session {@code session} on node {@code node} is a member of cluster {@code name}. Soft
     * state: the sender re-sends all its members when the link comes up.
     */
    record MemberAdd(String name, int session, NodeAddress node) implements LinkMessage {
        @Override
        public int kind() {
            return KIND_MEMBER_ADD;
        }
    }

    /** Session {@code session} on node {@code node} is no longer a member of cluster {@code name}. */
    record MemberRemove(String name, int session, NodeAddress node) implements LinkMessage {
        @Override
        public int kind() {
            return KIND_MEMBER_REMOVE;
        }
    }

    /**
     * A broadcast of cluster {@code name}: published at {@code origin} by session
     * {@code publisher} there (0: the origin node's own API), the publisher's {@code seq}-th.
     * The receiver delivers it to each of its local members; it never forwards it again.
     */
    record Forward(String name, NodeAddress origin, int publisher, long seq, ByteBuffer payload) implements LinkMessage {
        @Override
        public int kind() {
            return KIND_FORWARD;
        }
    }

    /**
     * A balanced message of cluster {@code name} for the receiver's local member session
     * {@code session} alone.
     */
    record Deliver(String name, int session, NodeAddress origin, int publisher, long seq, ByteBuffer payload)
            implements LinkMessage {
        @Override
        public int kind() {
            return KIND_DELIVER;
        }
    }

    /**
     * A client presented ticket {@code ticket} of session {@code session}, which the receiver
     * owns, to the sender: the receiver hands the session over (HANDOVER_PART) or refuses
     * (HANDOVER_REFUSED), answering with the same {@code request}.
     */
    record HandOverAsk(int request, int session, long ticket) implements LinkMessage {
        @Override
        public int kind() {
            return KIND_HANDOVER_ASK;
        }
    }

    /**
     * A piece of the handed-over session's state ({@link SessionStateCodec}): the pieces of
     * one {@code request}, in order, concatenated, up to the one marked {@code last}.
     */
    record HandOverPart(int request, boolean last, ByteBuffer data) implements LinkMessage {
        @Override
        public int kind() {
            return KIND_HANDOVER_PART;
        }
    }

    /**
     * The owner does not hand the session over: {@code code} says why (SESSION_UNKNOWN,
     * TICKET_REPLAYED, ...); with SESSION_MOVED, {@code movedTo} is the member it was handed to
     * ({@link NodeAddress#NONE} otherwise).
     */
    record HandOverRefused(int request, ErrorCode code, NodeAddress movedTo, String reason) implements LinkMessage {
        public HandOverRefused {
            movedTo = movedTo == null ? NodeAddress.NONE : movedTo;
            reason = reason == null ? "" : reason;
        }

        @Override
        public int kind() {
            return KIND_HANDOVER_REFUSED;
        }
    }

    /**
     * Session {@code session} of {@code owner}, a member that is gone, is being resumed at the
     * sender with ticket {@code ticket}: the receiver, the member that decides claims on that
     * session, grants it (CLAIM_GRANTED) once, and refuses any later claim (HANDOVER_REFUSED
     * TICKET_REPLAYED), answering with the same {@code request} (PROTOCOL.md section 33.7).
     */
    record SessionClaim(int request, NodeAddress owner, int session, long ticket) implements LinkMessage {
        @Override
        public int kind() {
            return KIND_SESSION_CLAIM;
        }
    }

    /** The claim {@code request} is granted: the sender takes the lost session, with a gap. */
    record ClaimGranted(int request) implements LinkMessage {
        @Override
        public int kind() {
            return KIND_CLAIM_GRANTED;
        }
    }
}
