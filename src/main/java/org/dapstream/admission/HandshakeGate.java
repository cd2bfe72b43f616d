package org.dapstream.admission;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Admission to stream setup (the secure handshake is where a server spends CPU on a
 * stranger). A connection holds a slot from accept until it is set up or ends, under three
 * caps: in all ({@code maxTotal}), per remote address ({@code maxPerAddress}) and per network
 * prefix, an IPv4 /24 or an IPv6 /64 ({@code maxPerPrefix}), so neither one host nor one
 * network can take every slot.
 *
 * <p>A cap alone would let cheap idle connections starve everyone: a socket that sends a
 * few bytes costs the attacker nothing while it holds a slot for the whole setup timeout.
 * So a slot is <em>unproven</em> until its connection has delivered one complete frame (an
 * honest connector sends its first frame as soon as it connects, so that takes one round
 * trip), and the node's admission, shared by its transports, ends an unproven connection at
 * the {@code firstFrameTimeout}.
 * When a cap is full, the newcomer takes the slot of the <em>oldest unproven</em> connection
 * under that cap (same address, same prefix, or any), which is ended with HANDSHAKE_BUSY;
 * only when every slot under the cap is proven is the newcomer refused. An honest connector
 * is unproven only for its first round trip, the youngest of all, so a flood of partial
 * handshakes evicts its own older connections first: it would have to open as many
 * connections as the cap holds within that round trip to push an honest one out. Proven
 * slots are never evicted: they cost their peer a whole first frame (a CLIENT_HELLO) and
 * end at the setup deadline.
 *
 * <p>Thread-safe: acceptors on every event loop share one gate. Admission takes a lock once
 * per connection, never per frame.
 */
public final class HandshakeGate {
    /** 256 handshakes in progress at once on a node: about a quarter second of a 2-core node's signing capacity. */
    public static final int DEFAULT_MAX_TOTAL = 256;
    /** 32 from one remote address: a NAT of honest clients fits, a single slowloris source does not take the node. */
    public static final int DEFAULT_MAX_PER_ADDRESS = 32;
    /** 64 from one IPv4 /24 or IPv6 /64: a host may hold many addresses of its prefix (an IPv6 /64 is one host's). */
    public static final int DEFAULT_MAX_PER_PREFIX = 64;
    /** 1 s for the first complete frame: many round trips of any real network, short against the 5 s setup timeout. */
    public static final Duration DEFAULT_FIRST_FRAME_TIMEOUT = Duration.ofSeconds(1);

    private final int maxTotal;
    private final int maxPerAddress;
    private final int maxPerPrefix;
    private final Duration firstFrameTimeout;
    /** Guarded by {@code this}, with everything below. */
    private int total;
    private final Map<String, int[]> perAddress = new HashMap<>();
    private final Map<String, int[]> perPrefix = new HashMap<>();
    /** Unproven slots, oldest first: the eviction order. */
    private final LinkedHashSet<Slot> unproven = new LinkedHashSet<>();

    /**
     * @param maxPerPrefix      at least {@code maxPerAddress}: one address is within its prefix
     * @param firstFrameTimeout how long a connection may take to deliver its first complete frame
     */
    public HandshakeGate(int maxTotal, int maxPerAddress, int maxPerPrefix, Duration firstFrameTimeout) {
        if (maxTotal < 1 || maxPerAddress < 1 || maxPerPrefix < 1) {
            throw new IllegalArgumentException("handshake caps must be positive: total " + maxTotal + ", per address "
                    + maxPerAddress + ", per prefix " + maxPerPrefix);
        }
        if (maxPerPrefix < maxPerAddress) {
            throw new IllegalArgumentException("the per-prefix cap (" + maxPerPrefix + ") must be at least the per-address cap ("
                    + maxPerAddress + "): an address is within its prefix");
        }
        if (firstFrameTimeout == null || firstFrameTimeout.isNegative() || firstFrameTimeout.isZero()) {
            throw new IllegalArgumentException("the first-frame timeout must be a positive duration, got " + firstFrameTimeout);
        }
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
        this.maxPerPrefix = maxPerPrefix;
        this.firstFrameTimeout = firstFrameTimeout;
    }

    /** Total and per-address caps; the per-prefix cap is the default or the per-address cap if higher, the first-frame timeout the default. */
    public HandshakeGate(int maxTotal, int maxPerAddress) {
        this(maxTotal, maxPerAddress, Math.max(DEFAULT_MAX_PER_PREFIX, maxPerAddress), DEFAULT_FIRST_FRAME_TIMEOUT);
    }

    public static HandshakeGate defaults() {
        return new HandshakeGate(DEFAULT_MAX_TOTAL, DEFAULT_MAX_PER_ADDRESS, DEFAULT_MAX_PER_PREFIX, DEFAULT_FIRST_FRAME_TIMEOUT);
    }

    /**
     * Takes a slot for a new connection from {@code address}, evicting the oldest unproven
     * connection under a full cap when there is one. {@code evict} is what ends this
     * connection should a later newcomer evict it: it runs on the newcomer's thread, after
     * the slot was freed, and must only hand the work to the connection's own loop.
     *
     * @return the slot; {@link Slot#refusedBy()} is non-null when none could be had
     */
    public Slot admit(String address, Runnable evict) {
        Slot slot = new Slot(address, prefixOf(address), evict);
        List<Slot> victims = new ArrayList<>(3);
        synchronized (this) {
            AdmissionCap refused = makeRoom(slot, victims);
            if (refused != null) {
                slot.refusedBy = refused;
                slot.evictedFor = null;
                slot.released = true;
                return slot;
            }
            for (Slot v : victims) {
                v.evicted = true;
                releaseLocked(v);
            }
            total++;
            perAddress.computeIfAbsent(slot.address, k -> new int[1])[0]++;
            perPrefix.computeIfAbsent(slot.prefix, k -> new int[1])[0]++;
            unproven.add(slot);
        }
        for (Slot v : victims) {
            v.evict.run();
        }
        return slot;
    }

    /** Chooses the victims that make room for {@code slot} under every cap, or says which cap refuses it. Holds the lock. */
    private AdmissionCap makeRoom(Slot slot, List<Slot> victims) {
        if (held(perAddress, slot.address) >= maxPerAddress) {
            Slot v = oldestUnproven(s -> s.address.equals(slot.address), victims);
            if (v == null) {
                return AdmissionCap.HANDSHAKES_PER_ADDRESS;
            }
            victims.add(v);
            slot.evictedFor = AdmissionCap.HANDSHAKES_PER_ADDRESS;
        }
        long prefixVictims = victims.stream().filter(v -> v.prefix.equals(slot.prefix)).count();
        if (held(perPrefix, slot.prefix) - prefixVictims >= maxPerPrefix) {
            Slot v = oldestUnproven(s -> s.prefix.equals(slot.prefix), victims);
            if (v == null) {
                return AdmissionCap.HANDSHAKES_PER_PREFIX;
            }
            victims.add(v);
            slot.evictedFor = slot.evictedFor == null ? AdmissionCap.HANDSHAKES_PER_PREFIX : slot.evictedFor;
        }
        if (total - victims.size() >= maxTotal) {
            Slot v = oldestUnproven(s -> true, victims);
            if (v == null) {
                return AdmissionCap.HANDSHAKES;
            }
            victims.add(v);
            slot.evictedFor = slot.evictedFor == null ? AdmissionCap.HANDSHAKES : slot.evictedFor;
        }
        return null;
    }

    private Slot oldestUnproven(Predicate<Slot> under, List<Slot> taken) {
        for (Slot s : unproven) {
            if (under.test(s) && !taken.contains(s)) {
                return s;
            }
        }
        return null;
    }

    private void releaseLocked(Slot slot) {
        slot.released = true;
        unproven.remove(slot);
        total--;
        decrement(perAddress, slot.address);
        decrement(perPrefix, slot.prefix);
    }

    private static int held(Map<String, int[]> map, String key) {
        int[] c = map.get(key);
        return c == null ? 0 : c[0];
    }

    private static void decrement(Map<String, int[]> map, String key) {
        int[] c = map.get(key);
        if (c != null && --c[0] <= 0) {
            map.remove(key);
        }
    }

    /** Handshakes in progress now (slots held, proven or not). */
    public synchronized int inProgress() {
        return total;
    }

    /** Slots held by connections that have not yet delivered a complete frame. */
    public synchronized int unproven() {
        return unproven.size();
    }

    public int maxTotal() {
        return maxTotal;
    }

    public int maxPerAddress() {
        return maxPerAddress;
    }

    public int maxPerPrefix() {
        return maxPerPrefix;
    }

    public Duration firstFrameTimeout() {
        return firstFrameTimeout;
    }

    /**
     * The network prefix an address counts under: the /24 of an IPv4 address (also when
     * IPv4-mapped), the /64 of an IPv6 address; an address it cannot read counts on its own.
     */
    public static String prefixOf(String address) {
        if (address == null) {
            return "";
        }
        if (address.indexOf(':') < 0) {
            int last = address.lastIndexOf('.');
            return last < 0 ? address : address.substring(0, last) + ".0/24";
        }
        String literal = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        int scope = literal.indexOf('%');
        if (scope >= 0) {
            literal = literal.substring(0, scope);
        }
        if (!literal.matches("[0-9A-Fa-f:.]+")) {
            return address; // not an IP literal: never resolve a name here
        }
        try {
            byte[] b = InetAddress.getByName(literal).getAddress();
            if (b.length == 4) { // IPv4-mapped IPv6
                return (b[0] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[2] & 0xFF) + ".0/24";
            }
            StringBuilder p = new StringBuilder();
            for (int i = 0; i < 8; i += 2) {
                p.append(Integer.toHexString(((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF))).append(':');
            }
            return p.append(":/64").toString();
        } catch (UnknownHostException e) {
            return address;
        }
    }

    /** One connection's place in setup. */
    public final class Slot {
        private final String address;
        private final String prefix;
        private final Runnable evict;
        /** Guarded by the gate. */
        private boolean released;
        private boolean evicted;
        private AdmissionCap refusedBy;
        private AdmissionCap evictedFor;

        private Slot(String address, String prefix, Runnable evict) {
            this.address = address;
            this.prefix = prefix;
            this.evict = evict == null ? () -> { } : evict;
        }

        /** The cap that refused this connection; null when it was admitted. */
        public AdmissionCap refusedBy() {
            return refusedBy;
        }

        /** The cap under which this connection made room by evicting an older unproven one; null when it evicted none. */
        public AdmissionCap evictedOthersFor() {
            synchronized (HandshakeGate.this) {
                return evictedFor;
            }
        }

        /** The connection delivered its first complete frame: it can no longer be evicted. */
        public void proven() {
            synchronized (HandshakeGate.this) {
                unproven.remove(this);
            }
        }

        /** Still waiting for its first complete frame (and holding its slot). */
        public boolean isUnproven() {
            synchronized (HandshakeGate.this) {
                return !released && unproven.contains(this);
            }
        }

        /** A newcomer took this slot; the connection is being ended. */
        public boolean evicted() {
            synchronized (HandshakeGate.this) {
                return evicted;
            }
        }

        /** Frees the slot (set up, or ended); later calls do nothing. */
        public void release() {
            synchronized (HandshakeGate.this) {
                if (!released) {
                    releaseLocked(this);
                }
            }
        }

        public String address() {
            return address;
        }
    }
}
