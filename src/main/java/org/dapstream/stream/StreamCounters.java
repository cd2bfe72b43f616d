package org.dapstream.stream;

import org.dapstream.admission.AdmissionCap;
import org.dapstream.protocol.ErrorCode;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * Node-wide event counts shared by all streams of a server or client: opened and closed
 * streams by role, keepalive and setup timeouts, errors by code in each direction, the
 * traffic of every stream (closed ones included) and keepalive round trips. Thread-safe.
 * Plain Java: the Micrometer binding lives in the Quarkus shell ({@code ops.metrics}).
 */
public final class StreamCounters {
    private final Map<StreamRole, LongAdder> opened = new EnumMap<>(StreamRole.class);
    private final Map<StreamRole, LongAdder> closed = new EnumMap<>(StreamRole.class);
    private final Set<Stream> live = ConcurrentHashMap.newKeySet();
    /** Traffic of the streams that have ended; guarded by {@code this} with {@link #live}'s removals. */
    private long endedPacketsSent;
    private long endedPacketsReceived;
    private long endedBytesSent;
    private long endedBytesReceived;
    private volatile LongConsumer roundTrips = nanos -> { };
    private final LongAdder keepAliveTimeouts = new LongAdder();
    private final LongAdder setupTimeouts = new LongAdder();
    private final Map<ErrorCode, LongAdder> errorsSent = new EnumMap<>(ErrorCode.class);
    private final Map<ErrorCode, LongAdder> errorsReceived = new EnumMap<>(ErrorCode.class);
    private final LongAdder unknownErrorsReceived = new LongAdder();
    private final Map<HandshakeOutcome, LongAdder> handshakes = new EnumMap<>(HandshakeOutcome.class);
    private final LongAdder flowControlStalls = new LongAdder();
    private final LongAdder compressionSavedBytes = new LongAdder();
    private final LongAdder mediaDropped = new LongAdder();
    private final LongAdder pongsIgnored = new LongAdder();
    private final LongAdder connectionsLost = new LongAdder();
    private final LongAdder truncatedFrames = new LongAdder();
    private final Map<AdmissionCap, LongAdder> refused = new EnumMap<>(AdmissionCap.class);
    private final LongAdder evicted = new LongAdder();
    private final Map<ResumeOutcome, LongAdder> resumes = new EnumMap<>(ResumeOutcome.class);
    private final LongAdder ticketsIssued = new LongAdder();
    private final LongAdder sessionsSuspended = new LongAdder();
    private final LongAdder sessionsExpired = new LongAdder();
    private final LongAdder sessionsMovedOut = new LongAdder();

    public StreamCounters() {
        for (ErrorCode c : ErrorCode.values()) {
            errorsSent.put(c, new LongAdder());
            errorsReceived.put(c, new LongAdder());
        }
        for (HandshakeOutcome o : HandshakeOutcome.values()) {
            handshakes.put(o, new LongAdder());
        }
        for (StreamRole r : StreamRole.values()) {
            opened.put(r, new LongAdder());
            closed.put(r, new LongAdder());
        }
        for (AdmissionCap cap : AdmissionCap.values()) {
            refused.put(cap, new LongAdder());
        }
        for (ResumeOutcome o : ResumeOutcome.values()) {
            resumes.put(o, new LongAdder());
        }
    }

    void streamOpened(Stream stream) {
        opened.get(stream.role()).increment();
        live.add(stream);
    }

    /**
     * Called from the stream's {@code finish}, on its loop, when no frame will be counted any
     * more: its final traffic moves into the ended totals in the same step that forgets it,
     * so a concurrent {@link #traffic()} never counts it twice or not at all.
     */
    void streamClosed(Stream stream) {
        StreamStats last = stream.stats();
        synchronized (this) {
            if (live.remove(stream)) {
                endedPacketsSent += last.packetsSent();
                endedPacketsReceived += last.packetsReceived();
                endedBytesSent += last.bytesSent();
                endedBytesReceived += last.bytesReceived();
                closed.get(stream.role()).increment();
            }
        }
    }

    /** A keepalive pong measured this round trip. */
    void roundTrip(long nanos) {
        roundTrips.accept(nanos);
    }

    /**
     * Where round-trip times go (one observer; the metrics binding sets it). Called on the
     * stream's event loop, once per pong: it must be quick and must not block.
     */
    public void onRoundTrip(LongConsumer observer) {
        roundTrips = observer == null ? nanos -> { } : observer;
    }

    void keepAliveTimeout() {
        keepAliveTimeouts.increment();
    }

    /** Public because the server's first-frame deadline, a setup deadline too, ends streams from outside. */
    public void setupTimeout() {
        setupTimeouts.increment();
    }

    void pongIgnored() {
        pongsIgnored.increment();
    }

    void errorSent(ErrorCode code) {
        errorsSent.get(code).increment();
    }

    void errorReceived(int code) {
        ErrorCode known = ErrorCode.fromCode(code);
        if (known == null) {
            unknownErrorsReceived.increment();
        } else {
            errorsReceived.get(known).increment();
        }
    }

    public long streamsOpened() {
        return opened.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long streamsClosed() {
        return closed.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long streamsOpened(StreamRole role) {
        return opened.get(role).sum();
    }

    /** Streams of {@code role} started and not yet ended. */
    public long streamsActive(StreamRole role) {
        // Closed first: read the other way round, an open between the reads could show -1.
        long ended = closed.get(role).sum();
        return opened.get(role).sum() - ended;
    }

    /** The streams started and not yet ended (a snapshot). */
    public List<Stream> liveStreams() {
        return new ArrayList<>(live);
    }

    /**
     * Frames and bytes (headers included) of every stream these counters saw: the final
     * figures of ended streams plus the current ones of live streams. Live figures are read
     * from other threads as monitoring data, so they may lag the loop by a few frames.
     */
    public synchronized Traffic traffic() {
        long ps = endedPacketsSent;
        long pr = endedPacketsReceived;
        long bs = endedBytesSent;
        long br = endedBytesReceived;
        for (Stream s : live) {
            StreamStats st = s.stats();
            ps += st.packetsSent();
            pr += st.packetsReceived();
            bs += st.bytesSent();
            br += st.bytesReceived();
        }
        return new Traffic(ps, pr, bs, br);
    }

    /** Node-wide traffic totals, as {@link StreamStats} counts them (frames, header + payload bytes). */
    public record Traffic(long packetsSent, long packetsReceived, long bytesSent, long bytesReceived) {
    }

    public long keepAliveTimeouts() {
        return keepAliveTimeouts.sum();
    }

    public long setupTimeouts() {
        return setupTimeouts.sum();
    }

    /** Pongs that answered no ping of ours in flight: forged or stale, and not taken as a round trip. */
    public long pongsIgnored() {
        return pongsIgnored.sum();
    }

    public long errorsSent(ErrorCode code) {
        return errorsSent.get(code).sum();
    }

    public long errorsReceived(ErrorCode code) {
        return errorsReceived.get(code).sum();
    }

    /** ERROR frames received with a code this version does not know. */
    public long unknownErrorsReceived() {
        return unknownErrorsReceived.sum();
    }

    /** Counts a secure handshake's end; public because the server counts the ones it refuses before a stream exists. */
    public void handshake(HandshakeOutcome outcome) {
        handshakes.get(outcome).increment();
    }

    public long handshakes(HandshakeOutcome outcome) {
        return handshakes.get(outcome).sum();
    }

    /** A channel or the stream had a frame to send and no credit for it (counted once per stall). */
    void flowControlStall() {
        flowControlStalls.increment();
    }

    void compressionSaved(long bytes) {
        compressionSavedBytes.add(bytes);
    }

    /** A MEDIA channel dropped a queued message for a fresher one. */
    void mediaDropped() {
        mediaDropped.increment();
    }

    public long flowControlStalls() {
        return flowControlStalls.sum();
    }

    /** Payload bytes compression kept off the wire (raw minus compressed, frames sent compressed). */
    public long compressionSavedBytes() {
        return compressionSavedBytes.sum();
    }

    public long mediaDroppedMessages() {
        return mediaDropped.sum();
    }

    /**
     * A connection ended without CLOSE or ERROR (the peer closed or reset it, or the network
     * failed); {@code midFrame}: part of a frame had arrived, and is lost with it.
     */
    void connectionLost(boolean midFrame) {
        connectionsLost.increment();
        if (midFrame) {
            truncatedFrames.increment();
        }
    }

    /** A frame was begun and not completed in time (the stream ended with TRUNCATED_FRAME). */
    void frameTruncated() {
        truncatedFrames.increment();
    }

    /**
     * A connection refused at accept by {@code cap}, with an ERROR of {@code code}; public because
     * the server refuses before a stream exists.
     */
    public void refused(AdmissionCap cap, ErrorCode code) {
        refused.get(cap).increment();
        errorsSent.get(code).increment();
    }

    /**
     * A connection that had not yet delivered a complete frame was ended to make room for a
     * newer one (its ERROR HANDSHAKE_BUSY is counted by the stream as it goes out).
     */
    public void evicted() {
        evicted.increment();
    }

    /** Connections that ended without CLOSE or ERROR: closed or reset by the peer, or lost. */
    public long connectionsLost() {
        return connectionsLost.sum();
    }

    /** Frames begun and never completed: the connection ended mid-frame, or the frame deadline passed. */
    public long truncatedFrames() {
        return truncatedFrames.sum();
    }

    /** Connections refused at accept by {@code cap}. */
    public long refused(AdmissionCap cap) {
        return refused.get(cap).sum();
    }

    /** Unproven connections evicted for newer ones. */
    public long evictions() {
        return evicted.sum();
    }

    /** An attempt to resume a session ended (either side counts its own view). */
    public void resume(ResumeOutcome outcome) {
        resumes.get(outcome).increment();
    }

    public long resumes(ResumeOutcome outcome) {
        return resumes.get(outcome).sum();
    }

    void ticketIssued() {
        ticketsIssued.increment();
    }

    /** TICKETs sent (acceptor) for later resumptions. */
    public long ticketsIssued() {
        return ticketsIssued.sum();
    }

    void sessionSuspended() {
        sessionsSuspended.increment();
    }

    /** Sessions whose connection was lost and that waited to be resumed. */
    public long sessionsSuspended() {
        return sessionsSuspended.sum();
    }

    void sessionExpired() {
        sessionsExpired.increment();
    }

    /** Suspended sessions that were not resumed within the expiry: their channels closed. */
    public long sessionsExpired() {
        return sessionsExpired.sum();
    }

    void sessionMovedOut() {
        sessionsMovedOut.increment();
    }

    /**
     * Sessions this node handed over to another member (PROTOCOL.md section 33). Those it took
     * over are {@link #resumes resumes} with outcome HANDED_OVER.
     */
    public long sessionsMovedOut() {
        return sessionsMovedOut.sum();
    }
}
