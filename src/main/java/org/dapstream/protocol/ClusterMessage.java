package org.dapstream.protocol;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The messages of a CLUSTER channel (type 0x06): a client session's membership in named
 * clusters. Each message is the whole payload of one DATA packet; its first byte is the kind.
 * Kinds 0x01..0x7F go from the client to the node, 0x81..0xFF from the node to the client.
 * {@link ClusterCodec} has the byte layouts.
 *
 * <p>Payloads are {@link ByteBuffer}s from position to limit. A decoded payload is a slice of
 * the decoded bytes (no copy): it is valid as long as those bytes are, and equality compares
 * contents.
 */
public sealed interface ClusterMessage {
    int KIND_JOIN = 0x01;
    int KIND_LEAVE = 0x02;
    int KIND_PUBLISH = 0x03;
    int KIND_SEND = 0x04;
    int KIND_JOINED = 0x81;
    int KIND_LEFT = 0x82;
    int KIND_REFUSED = 0x83;
    int KIND_MESSAGE = 0x84;
    int KIND_GAP = 0x85;

    /** MESSAGE flag: delivered to this member alone (balanced delivery), not broadcast. */
    int FLAG_BALANCED = 0x01;
    /** Every MESSAGE flag bit this version defines; the others must be 0. */
    int FLAGS_DEFINED = FLAG_BALANCED;
    /** MESSAGE {@code publisher} of a message published through the origin node's own API. */
    int PUBLISHER_NODE = 0;

    /** The kind byte. */
    int kind();

    /** True for the kinds a client sends (0x01..0x7F); a node refuses the others from a client. */
    default boolean fromClient() {
        return kind() < 0x80;
    }

    /** Client: join cluster {@code name}; answered by JOINED or REFUSED carrying {@code request}. */
    record Join(int request, String name) implements ClusterMessage {
        @Override
        public int kind() {
            return KIND_JOIN;
        }
    }

    /** Client: leave cluster {@code name}; answered by LEFT or REFUSED (NOT_A_MEMBER) carrying {@code request}. */
    record Leave(int request, String name) implements ClusterMessage {
        @Override
        public int kind() {
            return KIND_LEAVE;
        }
    }

    /** Client: broadcast {@code payload} to every member of cluster {@code name}. */
    record Publish(String name, ByteBuffer payload) implements ClusterMessage {
        @Override
        public int kind() {
            return KIND_PUBLISH;
        }
    }

    /**
     * Client: deliver {@code payload} to one member of cluster {@code name}, chosen by the
     * cluster's balancer; {@code key} (0..255 bytes, empty = none) steers the hash balancer.
     */
    record Send(String name, byte[] key, ByteBuffer payload) implements ClusterMessage {
        public Send {
            key = key == null ? ClusterCodec.NO_BYTES : key;
        }

        @Override
        public int kind() {
            return KIND_SEND;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Send s && name.equals(s.name) && Arrays.equals(key, s.key) && payload.equals(s.payload);
        }

        @Override
        public int hashCode() {
            return (name.hashCode() * 31 + Arrays.hashCode(key)) * 31 + payload.hashCode();
        }

        @Override
        public String toString() {
            return "Send[name=" + name + ", key=" + key.length + " bytes, payload=" + payload.remaining() + " bytes]";
        }
    }

    /**
     * Node: the join of {@code request} succeeded. {@code ref} is the node's short handle of this
     * membership, carried by every MESSAGE and GAP for it; {@code members} is the cluster's member
     * count (all nodes) as this node knew it.
     */
    record Joined(int request, int ref, long members) implements ClusterMessage {
        @Override
        public int kind() {
            return KIND_JOINED;
        }
    }

    /** Node: the leave of {@code request} is done; no MESSAGE for {@code ref} follows. */
    record Left(int request, int ref) implements ClusterMessage {
        @Override
        public int kind() {
            return KIND_LEFT;
        }
    }

    /**
     * Node: the JOIN or LEAVE of {@code request} was refused (request 0: a PUBLISH or SEND was)
     * with error {@code code} (CLUSTER_REFUSED, NOT_A_MEMBER, ...) and a reason for people.
     */
    record Refused(int request, int code, String reason) implements ClusterMessage {
        public Refused {
            reason = reason == null ? "" : reason;
        }

        @Override
        public int kind() {
            return KIND_REFUSED;
        }
    }

    /**
     * Node: a message of the membership {@code ref}: published at node {@code origin} by session
     * {@code publisher} there ({@link #PUBLISHER_NODE}: the origin node's own API), the
     * {@code seq}-th of that publisher in that cluster. {@code balanced}: sent to this member
     * alone.
     */
    record Message(int ref, boolean balanced, NodeAddress origin, int publisher, long seq, ByteBuffer payload)
            implements ClusterMessage {
        @Override
        public int kind() {
            return KIND_MESSAGE;
        }
    }

    /** Node: {@code missed} messages of membership {@code ref} were not delivered: this member fell behind. */
    record Gap(int ref, long missed) implements ClusterMessage {
        @Override
        public int kind() {
            return KIND_GAP;
        }
    }
}
