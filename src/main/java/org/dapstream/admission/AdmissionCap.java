package org.dapstream.admission;

/**
 * A cap on the connections a node takes ({@link StreamCaps}, {@link HandshakeGate}): which one
 * refused a connection, or under which one an older unproven connection was evicted. The
 * {@code cap} tag of {@code dap_stream_connections_refused_total}.
 */
public enum AdmissionCap {
    /** Connections open on the node, set up or not. */
    STREAMS,
    /** Connections open from one remote address. */
    STREAMS_PER_ADDRESS,
    /** Connections in setup on the node. */
    HANDSHAKES,
    /** Connections in setup from one remote address. */
    HANDSHAKES_PER_ADDRESS,
    /** Connections in setup from one IPv4 /24 or IPv6 /64. */
    HANDSHAKES_PER_PREFIX;

    /** The meter's tag value. */
    public String tag() {
        return name().toLowerCase();
    }
}
