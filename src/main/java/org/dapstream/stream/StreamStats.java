package org.dapstream.stream;

/**
 * The seed's {@code dap_stream_stats_t}: packets and bytes as they crossed the wire
 * (headers included, every frame type), channels in use (open, or still opening or
 * closing), and the keepalive round trip.
 *
 * @param avgLatencyMillis smoothed keepalive round-trip time in milliseconds (EWMA with
 *                         weight 1/8, as TCP smooths RTT), {@code NaN} before the first pong
 */
public record StreamStats(long packetsSent, long packetsReceived, long bytesSent, long bytesReceived,
                          int activeChannels, double avgLatencyMillis) {
}
