package org.dapstream.cluster;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ClusterCodec;
import org.dapstream.protocol.ClusterMessage;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.PacketType;
import org.dapstream.protocol.ProtocolException;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelService;
import org.dapstream.stream.Stream;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves CLUSTER channels on the client port: a client session joins and leaves named
 * clusters, publishes (broadcast) and sends (balanced), and receives its clusters' messages
 * on the channel. A message that does not parse ends that channel with ERROR
 * MALFORMED_CLUSTER_MESSAGE (its memberships with it); the stream, its other channels and
 * every other member go on.
 */
public final class ClusterService implements ChannelService {
    /**
     * @param maxJoinsPerChannel clusters one channel may be a member of at once
     * @param slowMember         what happens to a member that reads too slowly
     */
    public record Settings(int maxJoinsPerChannel, int maxJoinsPerStream, SlowMemberPolicy slowMember) {
        public static final int DEFAULT_MAX_JOINS_PER_CHANNEL = 64;
        /** 256: memberships cost the node (and every other node) a few hundred bytes each; one stream may not hold more. */
        public static final int DEFAULT_MAX_JOINS_PER_STREAM = 256;

        public Settings {
            if (maxJoinsPerChannel < 1 || maxJoinsPerStream < 1) {
                throw new IllegalArgumentException("max joins per channel and per stream must be >= 1, got " + maxJoinsPerChannel
                        + " and " + maxJoinsPerStream);
            }
        }

        public Settings(int maxJoinsPerChannel, SlowMemberPolicy slowMember) {
            this(maxJoinsPerChannel, DEFAULT_MAX_JOINS_PER_STREAM, slowMember);
        }

        public static Settings defaults() {
            return new Settings(DEFAULT_MAX_JOINS_PER_CHANNEL, DEFAULT_MAX_JOINS_PER_STREAM, SlowMemberPolicy.GAP);
        }
    }

    private final Clusters clusters;
    private final Settings settings;
    /** Memberships per stream, over all its CLUSTER channels; an entry goes with its stream. */
    private final Map<Stream, AtomicInteger> joinsByStream = new ConcurrentHashMap<>();

    public ClusterService(Clusters clusters, Settings settings) {
        this.clusters = clusters;
        this.settings = settings;
    }

    @Override
    public ChannelType type() {
        return ChannelType.CLUSTER;
    }

    @Override
    public void opened(Channel channel) {
        AtomicInteger joins = joinsByStream.computeIfAbsent(channel.stream(), s -> {
            s.closed().whenComplete((r, e) -> joinsByStream.remove(s));
            return new AtomicInteger();
        });
        channel.attach(new MemberChannel(channel, clusters, settings, joins));
    }

    @Override
    public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
        MemberChannel member = (MemberChannel) channel.attachment();
        ClusterMessage m;
        try {
            m = ClusterCodec.decode(data);
        } catch (ProtocolException e) {
            channel.fail(e.code(), e.getMessage());
            return;
        }
        if (m instanceof ClusterMessage.Publish p) {
            member.publish(p);
        } else if (m instanceof ClusterMessage.Send s) {
            member.send(s);
        } else if (m instanceof ClusterMessage.Join j) {
            member.join(j);
        } else if (m instanceof ClusterMessage.Leave l) {
            member.leave(l);
        } else {
            channel.fail(ErrorCode.MALFORMED_CLUSTER_MESSAGE, String.format("kind 0x%02x is sent by nodes, not clients", m.kind()));
        }
    }

    @Override
    public void closed(Channel channel, CloseReason reason) {
        if (channel.attachment() instanceof MemberChannel member) {
            member.closed();
        }
    }
}
