package org.dapstream.compress;

import java.util.Locale;

/**
 * What adaptive compression optimises on a channel whose writer is held back (config key
 * {@code dap.stream.flow.compression-goal}).
 */
public enum CompressionGoal {
    /**
     * The default: compress only while it moves more payload per second than sending raw,
     * as measured by a {@link ThroughputTrial}. On a link faster than the compressor the
     * channel then sends raw; where the link or a rate limit is the bottleneck, it compresses.
     */
    THROUGHPUT,
    /**
     * Compress every eligible frame that shrinks enough, even when that makes a saturated
     * channel slower: for metered or shared links where bytes cost more than CPU.
     */
    BYTES;

    /** The config spelling: {@code throughput} or {@code bytes}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the config spelling, case-insensitively. */
    public static CompressionGoal parse(String value) {
        for (CompressionGoal g : values()) {
            if (g.configName().equalsIgnoreCase(value.trim())) {
                return g;
            }
        }
        throw new IllegalArgumentException("compression goal '" + value + "' is not throughput or bytes");
    }
}
