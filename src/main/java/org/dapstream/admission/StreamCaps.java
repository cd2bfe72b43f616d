package org.dapstream.admission;

import java.util.HashMap;
import java.util.Map;

/**
 * Caps on the connections a node serves at once, set up or not: in all and per remote
 * address. Each connection costs memory for its whole life (decoder, buffers, keys), so
 * these bound what peers can make a node hold; the handshake caps ({@link HandshakeGate})
 * only cover setup. A connection over a cap is refused with RESOURCE_EXHAUSTED before a
 * stream exists. Thread-safe: acceptors on every event loop share it; one lock per
 * connection accepted or ended, never per frame.
 */
public final class StreamCaps {
    /** 10,000 connections per node: about 1 GiB at the 100 KiB per idle secure stream measured at start-up. */
    public static final int DEFAULT_MAX_STREAMS = 10_000;
    /** 1,000 from one address: a NAT or a client pool fits, one host cannot take the node. */
    public static final int DEFAULT_MAX_STREAMS_PER_ADDRESS = 1_000;

    private final int maxStreams;
    private final int maxPerAddress;
    private int total;
    private final Map<String, int[]> perAddress = new HashMap<>();

    public StreamCaps(int maxStreams, int maxPerAddress) {
        if (maxStreams < 1 || maxPerAddress < 1) {
            throw new IllegalArgumentException("stream caps must be positive: total " + maxStreams + ", per address " + maxPerAddress);
        }
        this.maxStreams = maxStreams;
        this.maxPerAddress = maxPerAddress;
    }

    public static StreamCaps defaults() {
        return new StreamCaps(DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_ADDRESS);
    }

    /** Counts a new connection from {@code address}; returns the cap that refuses it, or null when admitted. */
    public synchronized AdmissionCap admit(String address) {
        if (total >= maxStreams) {
            return AdmissionCap.STREAMS;
        }
        int[] c = perAddress.computeIfAbsent(address, a -> new int[1]);
        if (c[0] >= maxPerAddress) {
            return AdmissionCap.STREAMS_PER_ADDRESS;
        }
        c[0]++;
        total++;
        return null;
    }

    /** Forgets a connection {@link #admit} counted; call once per admitted connection. */
    public synchronized void release(String address) {
        int[] c = perAddress.get(address);
        if (c != null && --c[0] <= 0) {
            perAddress.remove(address);
        }
        total--;
    }

    /** Connections counted now. */
    public synchronized int streams() {
        return total;
    }

    public int maxStreams() {
        return maxStreams;
    }

    public int maxPerAddress() {
        return maxPerAddress;
    }
}
