package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dapstream.compress.CompressionGoal;
import org.junit.jupiter.api.Test;

import java.time.Duration;

/** Each {@code with*} copy changes the components it names, keeps every other one, and is validated. */
class FlowConfigTest {
    private static final int MIB = 1024 * 1024;
    private static final RateLimit STREAM_RATE = new RateLimit(10 * MIB, 0);
    private static final RateLimit CHANNEL_RATE = new RateLimit(0, 1000);

    /** A configuration with no component at its default, so a copy that drops one shows. */
    private static final FlowConfig BASE = new FlowConfig(2 * MIB, 8 * MIB, 64 * 1024, 32 * MIB, 96 * MIB,
            Duration.ofSeconds(7), STREAM_RATE, CHANNEL_RATE, false, 3L * MIB, 12L * MIB, CompressionGoal.BYTES);

    @Test
    void withWindowsSetsWindowsAndKeepsMaximaAtLeastAsLarge() {
        assertEquals(new FlowConfig(4 * MIB, 16 * MIB, 64 * 1024, 32 * MIB, 96 * MIB, Duration.ofSeconds(7),
                STREAM_RATE, CHANNEL_RATE, false, 4L * MIB, 16L * MIB, CompressionGoal.BYTES), BASE.withWindows(4 * MIB, 16 * MIB));
        assertEquals(new FlowConfig(1 * MIB, 4 * MIB, 64 * 1024, 32 * MIB, 96 * MIB, Duration.ofSeconds(7),
                STREAM_RATE, CHANNEL_RATE, false, 3L * MIB, 12L * MIB, CompressionGoal.BYTES), BASE.withWindows(1 * MIB, 4 * MIB));
    }

    @Test
    void withMaxWindowsSetsOnlyTheMaxima() {
        assertEquals(new FlowConfig(2 * MIB, 8 * MIB, 64 * 1024, 32 * MIB, 96 * MIB, Duration.ofSeconds(7),
                STREAM_RATE, CHANNEL_RATE, false, 5L * MIB, 20L * MIB, CompressionGoal.BYTES), BASE.withMaxWindows(5L * MIB, 20L * MIB));
        FlowConfig fixed = BASE.withMaxWindows(FlowConfig.NO_GROWTH, FlowConfig.NO_GROWTH);
        assertEquals(BASE.channelWindow(), fixed.maxChannelWindow(), "no growth: the maximum is the window");
        assertEquals(BASE.streamWindow(), fixed.maxStreamWindow());
    }

    @Test
    void withChannelSendBufferSetsOnlyIt() {
        assertEquals(new FlowConfig(2 * MIB, 8 * MIB, 4096, 32 * MIB, 96 * MIB, Duration.ofSeconds(7),
                STREAM_RATE, CHANNEL_RATE, false, 3L * MIB, 12L * MIB, CompressionGoal.BYTES), BASE.withChannelSendBuffer(4096));
    }

    @Test
    void withMessageLimitsSetsOnlyThem() {
        assertEquals(new FlowConfig(2 * MIB, 8 * MIB, 64 * 1024, 1 * MIB, 2 * MIB, Duration.ofSeconds(3),
                STREAM_RATE, CHANNEL_RATE, false, 3L * MIB, 12L * MIB, CompressionGoal.BYTES),
                BASE.withMessageLimits(1 * MIB, 2 * MIB, Duration.ofSeconds(3)));
    }

    @Test
    void withRatesSetsOnlyThem() {
        assertEquals(new FlowConfig(2 * MIB, 8 * MIB, 64 * 1024, 32 * MIB, 96 * MIB, Duration.ofSeconds(7),
                RateLimit.NONE, STREAM_RATE, false, 3L * MIB, 12L * MIB, CompressionGoal.BYTES), BASE.withRates(RateLimit.NONE, STREAM_RATE));
    }

    @Test
    void withCompressionAndGoalSetOnlyThemselves() {
        assertEquals(new FlowConfig(2 * MIB, 8 * MIB, 64 * 1024, 32 * MIB, 96 * MIB, Duration.ofSeconds(7),
                STREAM_RATE, CHANNEL_RATE, true, 3L * MIB, 12L * MIB, CompressionGoal.BYTES), BASE.withCompression(true));
        assertEquals(new FlowConfig(2 * MIB, 8 * MIB, 64 * 1024, 32 * MIB, 96 * MIB, Duration.ofSeconds(7),
                STREAM_RATE, CHANNEL_RATE, false, 3L * MIB, 12L * MIB, CompressionGoal.THROUGHPUT),
                BASE.withCompressionGoal(CompressionGoal.THROUGHPUT));
    }

    @Test
    void copiesAreValidatedLikeNewConfigurations() {
        assertThrows(IllegalArgumentException.class, () -> BASE.withChannelSendBuffer(FlowConfig.MIN_CHANNEL_SEND_BUFFER - 1));
        assertThrows(IllegalArgumentException.class, () -> BASE.withMessageLimits(32 * MIB, 16 * MIB, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> BASE.withRates(null, RateLimit.NONE));
        assertThrows(IllegalArgumentException.class, () -> BASE.withCompressionGoal(null));
        assertThrows(IllegalArgumentException.class, () -> BASE.withMaxWindows(1L * MIB, 12L * MIB));
    }
}
