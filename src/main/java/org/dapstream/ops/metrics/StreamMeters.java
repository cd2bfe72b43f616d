package org.dapstream.ops.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.inject.Singleton;
import org.dapstream.admission.AdmissionCap;
import org.dapstream.ops.StreamEndpoint;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.stream.Channel;
import org.dapstream.stream.HandshakeOutcome;
import org.dapstream.stream.ResumeOutcome;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamRole;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Binds the node's plain-Java counters ({@link StreamCounters}, the session table) as
 * Micrometer meters, scraped as Prometheus text at {@code /q/metrics}. Names and tags are the
 * fixed list of docs/ADMIN.md; tags are bounded (role, channel type, error code), never ids
 * or addresses. Every value is read from the counters at scrape time, so nothing here runs
 * per frame; only the round-trip timer is fed as pongs arrive.
 */
@Singleton
public class StreamMeters implements MeterBinder {
    /**
     * Round-trip buckets: loopback (tens of µs) to a congested WAN (seconds). Fixed, so the
     * series count stays small and the same on every node for aggregation.
     */
    static final Duration[] ROUND_TRIP_BUCKETS = {
            Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5)};
    /** The {@code code} tag of an ERROR whose code this version does not know. */
    static final String UNKNOWN_CODE = "UNKNOWN";

    private final StreamEndpoint endpoint;

    StreamMeters(StreamEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        StreamCounters c = endpoint.counters();
        for (StreamRole role : StreamRole.values()) {
            String tag = role.name().toLowerCase(Locale.ROOT);
            Gauge.builder("dap.stream.streams.active", c, x -> x.streamsActive(role))
                    .description("Streams currently open").tag("role", tag).register(registry);
            FunctionCounter.builder("dap.stream.streams.opened", c, x -> x.streamsOpened(role))
                    .description("Streams ever opened").tag("role", tag).register(registry);
        }
        Gauge.builder("dap.stream.sessions.active", endpoint, e -> e.sessions().size())
                .description("Live sessions").register(registry);
        Gauge.builder("dap.stream.unacknowledged", c, StreamMeters::unacknowledgedBytes).baseUnit("bytes")
                .description("Bytes of written messages kept until peers acknowledge them").register(registry);
        for (ChannelTypeTag type : ChannelTypeTag.values()) {
            Gauge.builder("dap.stream.channels.active", c, x -> openChannels(x, type))
                    .description("Open channels by type").tag("type", type.name()).register(registry);
        }
        traffic(registry, c, "dap.stream.packets.sent", null, "Frames sent, all streams including closed ones", t -> t.packetsSent());
        traffic(registry, c, "dap.stream.packets.received", null, "Frames received, all streams including closed ones", t -> t.packetsReceived());
        traffic(registry, c, "dap.stream.sent", BaseUnits.BYTES, "Frame bytes sent (header + payload), all streams", t -> t.bytesSent());
        traffic(registry, c, "dap.stream.received", BaseUnits.BYTES, "Frame bytes received (header + payload), all streams", t -> t.bytesReceived());
        for (ErrorCode code : ErrorCode.values()) {
            FunctionCounter.builder("dap.stream.errors.sent", c, x -> x.errorsSent(code))
                    .description("ERROR frames and OPEN_REJECTs sent, by code").tag("code", code.name()).register(registry);
            FunctionCounter.builder("dap.stream.errors.received", c, x -> x.errorsReceived(code))
                    .description("ERROR frames received, by code").tag("code", code.name()).register(registry);
        }
        FunctionCounter.builder("dap.stream.errors.received", c, StreamCounters::unknownErrorsReceived)
                .description("ERROR frames received, by code").tag("code", UNKNOWN_CODE).register(registry);
        FunctionCounter.builder("dap.stream.keepalive.timeouts", c, StreamCounters::keepAliveTimeouts)
                .description("Streams ended by keepalive timeout").register(registry);
        FunctionCounter.builder("dap.stream.setup.timeouts", c, StreamCounters::setupTimeouts)
                .description("Streams ended by the setup deadline").register(registry);
        FunctionCounter.builder("dap.stream.keepalive.pongs.ignored", c, StreamCounters::pongsIgnored)
                .description("Keepalive pongs that answered no ping in flight (forged or stale): not taken as a round trip").register(registry);
        for (HandshakeOutcome outcome : HandshakeOutcome.values()) {
            FunctionCounter.builder("dap.stream.handshakes", c, x -> x.handshakes(outcome))
                    .description("Secure handshakes by outcome").tag("outcome", outcome.tag()).register(registry);
        }
        for (ResumeOutcome outcome : ResumeOutcome.values()) {
            FunctionCounter.builder("dap.stream.resumes", c, x -> x.resumes(outcome))
                    .description("Session resumptions by outcome").tag("outcome", outcome.tag()).register(registry);
        }
        FunctionCounter.builder("dap.stream.tickets.issued", c, StreamCounters::ticketsIssued)
                .description("Resumption tickets sent").register(registry);
        FunctionCounter.builder("dap.stream.sessions.suspended", c, StreamCounters::sessionsSuspended)
                .description("Sessions whose connection was lost and that waited to be resumed").register(registry);
        FunctionCounter.builder("dap.stream.sessions.expired", c, StreamCounters::sessionsExpired)
                .description("Suspended sessions not resumed within the expiry").register(registry);
        FunctionCounter.builder("dap.stream.sessions.moved.out", c, StreamCounters::sessionsMovedOut)
                .description("Sessions this node handed over to another member").register(registry);
        Gauge.builder("dap.stream.sessions.waiting", endpoint, e -> e.sessions().suspendedCount())
                .description("Sessions waiting to be resumed now").register(registry);
        Gauge.builder("dap.stream.sessions.waiting.retained", endpoint, e -> e.sessions().suspendedBytes()).baseUnit("bytes")
                .description("Bytes the sessions waiting to be resumed keep for their peers").register(registry);
        FunctionCounter.builder("dap.stream.flow.control.stalls", c, StreamCounters::flowControlStalls)
                .description("Times a channel or stream had a frame to send and no credit from the peer").register(registry);
        FunctionCounter.builder("dap.stream.compression.saved", c, StreamCounters::compressionSavedBytes)
                .baseUnit("bytes").description("Payload bytes kept off the wire by compression").register(registry);
        FunctionCounter.builder("dap.stream.media.dropped.frames", c, StreamCounters::mediaDroppedMessages)
                .description("MEDIA messages dropped from a full send queue for fresher ones").register(registry);
        FunctionCounter.builder("dap.stream.connections.lost", c, StreamCounters::connectionsLost)
                .description("Connections that ended without CLOSE or ERROR: closed or reset by the peer, or lost").register(registry);
        FunctionCounter.builder("dap.stream.truncated.frames", c, StreamCounters::truncatedFrames)
                .description("Frames begun and never completed: the connection ended mid-frame, or a deadline passed").register(registry);
        for (AdmissionCap cap : AdmissionCap.values()) {
            FunctionCounter.builder("dap.stream.connections.refused", c, x -> x.refused(cap))
                    .description("Connections refused at accept, by the cap that was full").tag("cap", cap.tag()).register(registry);
        }
        FunctionCounter.builder("dap.stream.handshakes.evicted", c, StreamCounters::evictions)
                .description("Connections without a complete frame yet, ended to make room for newer ones").register(registry);
        Timer roundTrip = Timer.builder("dap.stream.round.trip")
                .description("Keepalive round-trip times")
                .serviceLevelObjectives(ROUND_TRIP_BUCKETS)
                .register(registry);
        c.onRoundTrip(nanos -> roundTrip.record(nanos, TimeUnit.NANOSECONDS));
    }

    private static void traffic(MeterRegistry registry, StreamCounters c, String name, String unit, String description,
                                ToDoubleFunction<StreamCounters.Traffic> value) {
        FunctionCounter.builder(name, c, x -> value.applyAsDouble(x.traffic()))
                .baseUnit(unit).description(description).register(registry);
    }

    private static long unacknowledgedBytes(StreamCounters c) {
        long n = 0;
        for (Stream s : c.liveStreams()) {
            n += s.unacknowledgedBytes();
        }
        return n;
    }

    private static long openChannels(StreamCounters c, ChannelTypeTag type) {
        long n = 0;
        for (Stream s : c.liveStreams()) {
            for (Channel ch : s.channels()) {
                if (ch.active() && ChannelTypeTag.of(ch.type()) == type) {
                    n++;
                }
            }
        }
        return n;
    }
}
