package org.dapstream.service;

import org.dapstream.protocol.ServiceCodec;

import java.time.Duration;

/**
 * Bounds of the node's SERVICE channels ({@code dap.stream.service.*}, OPERATIONS.md).
 *
 * @param maxRequestsPerChannel       requests under way at once on one channel; more are refused with SERVICE_REQUEST_LIMIT
 * @param maxHeaderBytes              largest REQUEST message (method, target, header fields); larger is SERVICE_HEADERS_TOO_LARGE
 * @param connectTimeout              how long a connection to an upstream may take
 * @param idleTimeout                 how long an upstream request may go without a byte of its response
 * @param maxConnectionsPerUpstream   HTTP/1.1 connections kept to each upstream (requests beyond wait for one)
 */
public record ServiceLimits(int maxRequestsPerChannel, int maxHeaderBytes, Duration connectTimeout, Duration idleTimeout,
                            int maxConnectionsPerUpstream) {
    public static final int DEFAULT_MAX_REQUESTS_PER_CHANNEL = 64;
    public static final int DEFAULT_MAX_HEADER_BYTES = 16384;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_CONNECTIONS_PER_UPSTREAM = 32;

    public ServiceLimits {
        if (maxRequestsPerChannel < 1) {
            throw new IllegalArgumentException("maxRequestsPerChannel is at least 1, not " + maxRequestsPerChannel);
        }
        if (maxHeaderBytes < 64 || maxHeaderBytes > ServiceCodec.MAX_HEAD_BYTES) {
            throw new IllegalArgumentException("maxHeaderBytes is 64.." + ServiceCodec.MAX_HEAD_BYTES
                    + ", not " + maxHeaderBytes);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts are positive: connect " + connectTimeout + ", idle " + idleTimeout);
        }
        if (maxConnectionsPerUpstream < 1) {
            throw new IllegalArgumentException("maxConnectionsPerUpstream is at least 1, not " + maxConnectionsPerUpstream);
        }
    }

    public static ServiceLimits defaults() {
        return new ServiceLimits(DEFAULT_MAX_REQUESTS_PER_CHANNEL, DEFAULT_MAX_HEADER_BYTES, DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS_PER_UPSTREAM);
    }
}
