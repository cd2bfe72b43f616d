package org.dapstream.stream;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps the streams in setup (the secure handshake is where a server spends CPU on a
 * stranger): at most {@code maxTotal} at once, and at most {@code maxPerAddress} from one
 * remote address, so one slow or hostile source cannot take every slot while others still
 * get through. Slots free when a stream becomes active or ends; the setup deadline ends
 * abandoned ones. Thread-safe: acceptors on every event loop share one gate.
 */
public final class HandshakeGate {
    /** 256 handshakes in progress at once on a node: about a quarter second of a 2-core node's signing capacity. */
    public static final int DEFAULT_MAX_TOTAL = 256;
    /** 32 from one remote address: a NAT of honest clients fits, a single slowloris source does not take the node. */
    public static final int DEFAULT_MAX_PER_ADDRESS = 32;

    private final int maxTotal;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();

    public HandshakeGate(int maxTotal, int maxPerAddress) {
        if (maxTotal < 1 || maxPerAddress < 1) {
            throw new IllegalArgumentException("handshake caps must be positive: total " + maxTotal + ", per address " + maxPerAddress);
        }
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    public static HandshakeGate defaults() {
        return new HandshakeGate(DEFAULT_MAX_TOTAL, DEFAULT_MAX_PER_ADDRESS);
    }

    /** Takes a slot for a new connection from {@code address}; false when either cap is reached. */
    public boolean admit(String address) {
        // A compare-and-set loop, not increment-then-undo: the count never shows more than the cap.
        int now;
        do {
            now = total.get();
            if (now >= maxTotal) {
                return false;
            }
        } while (!total.compareAndSet(now, now + 1));
        boolean[] admitted = {false};
        perAddress.compute(address, (a, count) -> {
            AtomicInteger c = count == null ? new AtomicInteger() : count;
            if (c.get() < maxPerAddress) {
                c.incrementAndGet();
                admitted[0] = true;
            }
            return c.get() == 0 ? null : c;
        });
        if (!admitted[0]) {
            total.decrementAndGet();
        }
        return admitted[0];
    }

    /** Frees the slot {@link #admit} took; call once per admitted connection. */
    public void release(String address) {
        perAddress.computeIfPresent(address, (a, c) -> c.decrementAndGet() <= 0 ? null : c);
        total.decrementAndGet();
    }

    /** Handshakes in progress now. */
    public int inProgress() {
        return total.get();
    }

    public int maxTotal() {
        return maxTotal;
    }

    public int maxPerAddress() {
        return maxPerAddress;
    }
}
