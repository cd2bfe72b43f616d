package org.dapstream.client;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ClusterCodec;
import org.dapstream.protocol.ClusterMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Stream;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client's membership in named clusters, over one CLUSTER channel of a stream: join and
 * leave clusters by name, publish to every member (broadcast) or send to one (balanced), and
 * receive the messages of the clusters joined. Thread-safe.
 *
 * <pre>{@code
 * ClusterChannel members = ClusterChannel.open(stream, (cluster, origin, publisher, seq, payload, balanced) -> ...).get();
 * members.join("prices").get();
 * members.publish("prices", bytes);
 * }</pre>
 */
public final class ClusterChannel {
    /** What arrives on the channel. Called on the stream's event loop: never block. */
    public interface Listener {
        /**
         * A message of {@code cluster}; {@code payload} is lent for the call only.
         *
         * @param publisher the publishing session at {@code origin} (0: that node's own API)
         * @param seq       the publisher's sequence number, increasing by one per message it publishes or sends
         * @param balanced  sent to this member alone (balanced delivery) rather than to all
         */
        void message(String cluster, NodeAddress origin, int publisher, long seq, ByteBuffer payload, boolean balanced);

        /** The node could not deliver {@code missed} messages of {@code cluster} because this member read too slowly. */
        default void gap(String cluster, long missed) {
        }

        /** The node refused a publish or send (request 0), or a message of this client did not parse. */
        default void refused(int code, String reason) {
        }
    }

    /** A join's answer: the members the cluster had (on every node) when this one joined. */
    public record Joined(String cluster, long members) {
    }

    /** A join, leave or publish the node refused, with its code. */
    public static final class RefusedException extends RuntimeException {
        private final int code;

        RefusedException(int code, String reason) {
            super(describe(code) + ": " + reason);
            this.code = code;
        }

        public int code() {
            return code;
        }

        private static String describe(int code) {
            ErrorCode c = ErrorCode.fromCode(code);
            return c == null ? String.format("0x%04x", code) : c.name();
        }
    }

    private final Listener listener;
    private final AtomicInteger requests = new AtomicInteger();
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final Map<Integer, String> names = new ConcurrentHashMap<>();
    private volatile Channel channel;

    private record Pending(String name, boolean join, CompletableFuture<Joined> future) {
    }

    private ClusterChannel(Listener listener) {
        this.listener = listener;
    }

    /** Opens a CLUSTER channel on {@code stream}. */
    public static CompletableFuture<ClusterChannel> open(Stream stream, Listener listener) {
        ClusterChannel c = new ClusterChannel(listener);
        return stream.openChannel(ChannelType.CLUSTER, c.new Handler()).thenApply(ch -> {
            c.channel = ch;
            return c;
        });
    }

    /** Joins {@code cluster}: its messages arrive from now on. Fails with {@link RefusedException} when refused. */
    public CompletableFuture<Joined> join(String cluster) {
        return request(cluster, true);
    }

    /** Leaves {@code cluster}. */
    public CompletableFuture<Joined> leave(String cluster) {
        return request(cluster, false);
    }

    private CompletableFuture<Joined> request(String cluster, boolean join) {
        int id = requests.incrementAndGet();
        CompletableFuture<Joined> f = new CompletableFuture<>();
        pending.put(id, new Pending(cluster, join, f));
        ClusterMessage m = join ? new ClusterMessage.Join(id, cluster) : new ClusterMessage.Leave(id, cluster);
        channel.write(PacketType.DATA, ClusterCodec.encode(m));
        return f;
    }

    /**
     * Publishes to every member of {@code cluster}, on every node.
     *
     * @return false: back-pressure, as {@link Channel#write}; wait for {@link Channel#whenWritable()}
     */
    public boolean publish(String cluster, byte[] payload) {
        return channel.write(PacketType.DATA, ClusterCodec.encode(new ClusterMessage.Publish(cluster, ByteBuffer.wrap(payload))));
    }

    /** Sends to one member of {@code cluster}, picked by its balancer ({@code key}: for the hash balancer, or null). */
    public boolean send(String cluster, byte[] key, byte[] payload) {
        return channel.write(PacketType.DATA, ClusterCodec.encode(new ClusterMessage.Send(cluster, key, ByteBuffer.wrap(payload))));
    }

    /** The CLUSTER channel (for back-pressure, stats and close). */
    public Channel channel() {
        return channel;
    }

    private final class Handler implements ChannelHandler {
        /** The channel ended: joins and leaves still waiting for their answer never get one. */
        @Override
        public void closed(Channel ch, CloseReason reason) {
            for (Integer id : List.copyOf(pending.keySet())) {
                Pending p = pending.remove(id);
                if (p != null) {
                    p.future().completeExceptionally(new RefusedException(reason.code(), "the CLUSTER channel closed: " + reason));
                }
            }
        }

        @Override
        public void packetIn(Channel ch, PacketType type, ByteBuffer data) {
            ClusterMessage m;
            try {
                m = ClusterCodec.decode(data);
            } catch (ProtocolException e) {
                listener.refused(e.code().code(), "from the node: " + e.getMessage());
                return;
            }
            if (m instanceof ClusterMessage.Message msg) {
                listener.message(names.getOrDefault(msg.ref(), "?"), msg.origin(), msg.publisher(), msg.seq(), msg.payload(), msg.balanced());
            } else if (m instanceof ClusterMessage.Gap g) {
                listener.gap(names.getOrDefault(g.ref(), "?"), g.missed());
            } else if (m instanceof ClusterMessage.Joined j) {
                Pending p = pending.remove(j.request());
                if (p != null) {
                    names.put(j.ref(), p.name());
                    p.future().complete(new Joined(p.name(), j.members()));
                }
            } else if (m instanceof ClusterMessage.Left l) {
                Pending p = pending.remove(l.request());
                names.remove(l.ref());
                if (p != null) {
                    p.future().complete(new Joined(p.name(), 0));
                }
            } else if (m instanceof ClusterMessage.Refused r) {
                Pending p = r.request() == 0 ? null : pending.remove(r.request());
                if (p != null) {
                    p.future().completeExceptionally(new RefusedException(r.code(), r.reason()));
                } else {
                    listener.refused(r.code(), r.reason());
                }
            }
        }
    }
}
