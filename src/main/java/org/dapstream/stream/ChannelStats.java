package org.dapstream.stream;

/** Counters of one channel: application payload bytes (no headers) and packets. */
public record ChannelStats(long packetsSent, long packetsReceived, long bytesSent, long bytesReceived) {
}
