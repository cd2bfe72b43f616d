package org.dapstream.ops.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.dapstream.ops.metrics.ChannelTypeTag;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelStats;
import org.dapstream.stream.Session;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamStats;
import org.dapstream.stream.Suspension;

import java.util.List;
import java.util.Locale;

/**
 * What the admin API shows of streams, sessions and channels: snapshots read from other
 * threads as monitoring data (counters may lag their event loop by a few frames). Session
 * ids are unsigned 32-bit numbers, as the wire carries them.
 */
final class AdminViews {
    private AdminViews() {
    }

    /** {@code suite} and {@code peerSignature} are configuration names, absent on plaintext (or unauthenticated) streams. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record StreamView(int id, String role, String state, boolean active, String peerNode, boolean authorized, boolean encrypted,
                      String suite, String peerSignature, String remoteAddress,
                      Long sessionId, boolean primary, long createTime, boolean acknowledged, long unacknowledgedBytes,
                      StreamStatsView stats, List<ChannelView> channels) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record StreamStatsView(long packetsSent, long packetsReceived, long bytesSent, long bytesReceived,
                           int activeChannels, Double avgLatencyMillis) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SessionView(long id, String node, boolean active, long createTime, long lastActivity, List<Integer> streams,
                       String owner, String movedFrom, boolean suspended, Long suspendedSince, long retainedBytes, long resumes,
                       Long lastResume, List<ChannelView> channels) {
    }

    record ChannelView(int stream, int id, String type, String typeTag, int typeCode, String state, boolean openedLocally, String encryption,
                       long packetsSent, long packetsReceived, long bytesSent, long bytesReceived, long bufferedBytes) {
    }

    record NodeView(String node, int streamPort, boolean draining, long streams, int sessions, boolean trace) {
    }

    record TraceView(boolean enabled) {
    }

    record SessionClosing(long session, List<Integer> closingStreams) {
    }

    static long sessionId(int id) {
        return Integer.toUnsignedLong(id);
    }

    static StreamView stream(Stream s, boolean withChannels) {
        Session session = s.session();
        StreamStats st = s.stats();
        return new StreamView(s.id(), s.role().name().toLowerCase(Locale.ROOT), s.state().name().toLowerCase(Locale.ROOT),
                s.active(), s.node().toString(), s.authorized(), s.encrypted(),
                s.suite() == null ? null : s.suite().configName(),
                s.peerSignatureAlgorithm() == null ? null : s.peerSignatureAlgorithm().configName(), s.remoteAddress(), session == null ? null : sessionId(session.id()),
                s.primary(), s.createTime(), s.acknowledged(), s.unacknowledgedBytes(),
                stats(st),
                withChannels ? s.channels().stream().map(AdminViews::channel).toList() : null);
    }

    /** The engine's NaN latency before the first pong becomes null, so the JSON leaves the field out. */
    static StreamStatsView stats(StreamStats st) {
        return new StreamStatsView(st.packetsSent(), st.packetsReceived(), st.bytesSent(), st.bytesReceived(), st.activeChannels(),
                Double.isNaN(st.avgLatencyMillis()) ? null : st.avgLatencyMillis());
    }

    /**
     * A session; {@code owner} is this node (the node that holds it), {@code movedFrom} the member
     * it was handed over from or lost with (absent when it began here). While its connection is
     * gone it is {@code suspended} (since when) and keeps {@code retainedBytes} for its peer;
     * otherwise that is what its streams keep unacknowledged.
     */
    static SessionView session(Session s, String owner, boolean withChannels) {
        Suspension waiting = s.suspension();
        long retained = waiting != null ? waiting.retainedBytes()
                : s.streams().stream().mapToLong(Stream::unacknowledgedBytes).sum();
        List<Channel> channels = waiting != null ? waiting.channels() : s.channels();
        return new SessionView(sessionId(s.id()), s.nodeAddress().toString(), s.active(), s.createTime(), s.lastActivity(),
                s.streams().stream().map(Stream::id).toList(), owner, s.movedFrom() == null ? null : s.movedFrom().toString(),
                waiting != null, waiting == null ? null : waiting.since(),
                retained, s.resumes(), s.lastResume() == 0 ? null : s.lastResume(),
                withChannels ? channels.stream().map(AdminViews::channel).toList() : null);
    }

    static ChannelView channel(Channel ch) {
        ChannelStats st = ch.stats();
        return new ChannelView(ch.stream().id(), ch.id(), ch.type().toString(), ChannelTypeTag.of(ch.type()).name(),
                ch.type().code(), ch.state().name().toLowerCase(Locale.ROOT), ch.openedLocally(), ch.encryption(),
                st.packetsSent(), st.packetsReceived(), st.bytesSent(), st.bytesReceived(), ch.bufferedBytes());
    }
}
