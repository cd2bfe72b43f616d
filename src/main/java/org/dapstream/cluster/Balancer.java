package org.dapstream.cluster;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses the one member that receives a balanced delivery of a named cluster. Thread-safe:
 * one balancer serves every sender of its cluster.
 */
public sealed interface Balancer {
    /** Config key naming the balancer of a cluster, named in the parse error. */
    String CONFIG_KEY = "dap.stream.cluster.balancer";

    /** {@code round-robin}, {@code least-loaded} or {@code hash} (case and surrounding blanks ignored). */
    static Balancer parse(String text) {
        String name = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        return switch (name) {
            case RoundRobin.NAME -> new RoundRobin();
            case LeastLoaded.NAME -> new LeastLoaded();
            case Hash.NAME -> new Hash();
            default -> throw new IllegalArgumentException(CONFIG_KEY + " must be one of " + RoundRobin.NAME + ", "
                    + LeastLoaded.NAME + ", " + Hash.NAME + "; got '" + text + "'");
        };
    }

    /** The name {@link #parse} reads. */
    String configName();

    /**
     * The member to deliver to, or {@code null} when there is none. {@code key} steers the hash
     * balancer (null or empty: no key); the others ignore it. The list is not modified.
     */
    <C extends Candidate> C pick(List<C> candidates, byte[] key);

    /** Each member in turn. */
    final class RoundRobin implements Balancer {
        static final String NAME = "round-robin";
        private final AtomicInteger next = new AtomicInteger();

        @Override
        public String configName() {
            return NAME;
        }

        @Override
        public <C extends Candidate> C pick(List<C> candidates, byte[] key) {
            int n = candidates.size();
            return n == 0 ? null : candidates.get(Math.floorMod(next.getAndIncrement(), n));
        }

        @Override
        public String toString() {
            return NAME;
        }
    }

    /** The member with the fewest queued bytes; members tied for the fewest take turns. */
    final class LeastLoaded implements Balancer {
        static final String NAME = "least-loaded";
        private final AtomicInteger turn = new AtomicInteger();

        @Override
        public String configName() {
            return NAME;
        }

        @Override
        public <C extends Candidate> C pick(List<C> candidates, byte[] key) {
            int n = candidates.size();
            if (n == 0) {
                return null;
            }
            long least = Long.MAX_VALUE;
            int tied = 0;
            for (int i = 0; i < n; i++) {
                long load = candidates.get(i).load();
                if (load < least) {
                    least = load;
                    tied = 1;
                } else if (load == least) {
                    tied++;
                }
            }
            int chosen = Math.floorMod(turn.getAndIncrement(), tied);
            for (int i = 0; i < n; i++) {
                C c = candidates.get(i);
                if (c.load() == least && chosen-- == 0) {
                    return c;
                }
            }
            // The loads changed between the two passes (they are live counters): take the first.
            return candidates.get(0);
        }

        @Override
        public String toString() {
            return NAME;
        }
    }

    /**
     * Rendezvous (highest random weight) hashing of the key: each member's weight for a key is
     * a 64-bit mix of the key's hash and the member's id, and the heaviest member wins. When a
     * member leaves, only the keys it won move (each to its runner-up); when one joins, only the
     * keys it now wins move, about 1/(n+1) of them. No key: round robin.
     */
    final class Hash implements Balancer {
        static final String NAME = "hash";
        private static final long GOLDEN_GAMMA = 0x9E37_79B9_7F4A_7C15L;
        private final RoundRobin withoutKey = new RoundRobin();

        @Override
        public String configName() {
            return NAME;
        }

        @Override
        public <C extends Candidate> C pick(List<C> candidates, byte[] key) {
            if (key == null || key.length == 0) {
                return withoutKey.pick(candidates, null);
            }
            long keyHash = hash(key);
            C best = null;
            long bestWeight = 0;
            for (C c : candidates) {
                long weight = weight(keyHash, c.id());
                if (best == null || Long.compareUnsigned(weight, bestWeight) > 0
                        || (weight == bestWeight && c.id() < best.id())) {
                    best = c;
                    bestWeight = weight;
                }
            }
            return best;
        }

        /** The weight of member {@code id} for a key of hash {@code keyHash}. */
        static long weight(long keyHash, long id) {
            return mix(keyHash ^ mix(id + GOLDEN_GAMMA));
        }

        /** 64-bit hash of the key: 8 bytes at a time through the mix, then the length. */
        static long hash(byte[] key) {
            long h = GOLDEN_GAMMA;
            int i = 0;
            for (; i + 8 <= key.length; i += 8) {
                h = mix(h ^ littleEndianLong(key, i)) + GOLDEN_GAMMA;
            }
            long tail = 0;
            for (int shift = 0; i < key.length; i++, shift += 8) {
                tail |= (key[i] & 0xFFL) << shift;
            }
            return mix(mix(h ^ tail) ^ key.length);
        }

        /** SplitMix64's finalizer (Stafford's variant 13): every input bit flips each output bit with probability ~1/2. */
        static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
            return z ^ (z >>> 31);
        }

        private static long littleEndianLong(byte[] b, int at) {
            long v = 0;
            for (int k = 7; k >= 0; k--) {
                v = (v << 8) | (b[at + k] & 0xFFL);
            }
            return v;
        }

        @Override
        public String toString() {
            return NAME;
        }
    }
}
