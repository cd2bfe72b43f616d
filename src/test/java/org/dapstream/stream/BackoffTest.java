package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

/** Capped exponential back-off with full jitter. */
class BackoffTest {
    private static final Duration INITIAL = Duration.ofMillis(100);
    private static final Duration MAX = Duration.ofSeconds(10);

    @Test
    void everyDelayIsWithinZeroAndTheDoublingCeiling() {
        Backoff backoff = new Backoff(INITIAL, MAX, new SplittableRandom(1));
        for (int attempt = 0; attempt < 40; attempt++) {
            Duration ceiling = INITIAL.multipliedBy(1L << Math.min(attempt, 20));
            ceiling = ceiling.compareTo(MAX) > 0 ? MAX : ceiling;
            assertEquals(ceiling, backoff.ceiling(), "ceiling of attempt " + attempt);
            Duration d = backoff.next();
            assertTrue(!d.isNegative() && d.compareTo(ceiling) <= 0, "attempt " + attempt + ": " + d + " outside [0, " + ceiling + "]");
            assertEquals(attempt + 1, backoff.attempts());
        }
    }

    @Test
    void manyDrawsStayInBoundsAndFillTheRange() {
        for (int attempt = 0; attempt < 10; attempt++) {
            Duration ceiling = Duration.ofMillis(Math.min(100L << attempt, 10_000));
            Random random = new Random(attempt);
            long low = Long.MAX_VALUE;
            long high = 0;
            for (int i = 0; i < 2_000; i++) {
                Backoff backoff = new Backoff(INITIAL, MAX, random);
                for (int k = 0; k < attempt; k++) {
                    backoff.next();
                }
                long nanos = backoff.next().toNanos();
                assertTrue(nanos >= 0 && nanos <= ceiling.toNanos(), nanos + " outside [0, " + ceiling + "]");
                low = Math.min(low, nanos);
                high = Math.max(high, nanos);
            }
            // Full jitter: the draws reach near both ends of [0, ceiling], not a band around it.
            assertTrue(low < ceiling.toNanos() / 20, "lowest draw " + low + " of " + ceiling);
            assertTrue(high > ceiling.toNanos() * 19 / 20, "highest draw " + high + " of " + ceiling);
        }
    }

    @Test
    void theCapIsReachedAndHeld() {
        Backoff backoff = new Backoff(INITIAL, MAX, new SplittableRandom(2));
        for (int i = 0; i < 7; i++) {
            backoff.next(); // 100 ms .. 6.4 s
        }
        assertEquals(MAX, backoff.ceiling(), "100 ms * 2^7 = 12.8 s, capped at 10 s");
        long highest = 0;
        for (int i = 0; i < 1_000; i++) {
            long nanos = backoff.next().toNanos();
            assertTrue(nanos <= MAX.toNanos());
            highest = Math.max(highest, nanos);
        }
        assertEquals(MAX, backoff.ceiling());
        assertTrue(highest > MAX.toNanos() * 9 / 10, "capped draws still spread up to the cap: " + highest);
    }

    @Test
    void resetStartsOverAtTheInitialDelay() {
        Backoff backoff = new Backoff(INITIAL, MAX, new SplittableRandom(3));
        for (int i = 0; i < 12; i++) {
            backoff.next();
        }
        assertEquals(MAX, backoff.ceiling());
        backoff.reset();
        assertEquals(0, backoff.attempts());
        assertEquals(INITIAL, backoff.ceiling());
        assertTrue(backoff.next().compareTo(INITIAL) <= 0);
        assertEquals(1, backoff.attempts());
    }

    @Test
    void jitterSpreadsTheDelays() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), new SplittableRandom(4));
        Set<Duration> seen = new HashSet<>();
        long sum = 0;
        int draws = 10_000;
        int[] deciles = new int[10];
        for (int i = 0; i < draws; i++) {
            Duration d = backoff.next();
            seen.add(d);
            sum += d.toMillis();
            deciles[(int) Math.min(9, d.toNanos() / 100_000_000L)]++;
        }
        assertTrue(seen.size() > draws * 9 / 10, "distinct delays: " + seen.size());
        long mean = sum / draws;
        assertTrue(mean > 450 && mean < 550, "uniform on [0, 1 s] has mean 500 ms, got " + mean);
        for (int count : deciles) {
            assertTrue(count > 800 && count < 1_200, "each tenth of the range holds ~1000 draws: " + Arrays.toString(deciles));
        }
    }

    @Test
    void noOverflowAfterManyAttempts() {
        Backoff backoff = new Backoff(Duration.ofNanos(1), Duration.ofDays(365L * 200), new SplittableRandom(5));
        for (int i = 0; i < 1_000; i++) {
            Duration d = backoff.next();
            assertTrue(!d.isNegative() && d.compareTo(Duration.ofDays(365L * 200)) <= 0, "attempt " + i + ": " + d);
        }
        assertEquals(1_000, backoff.attempts());
        assertEquals(Duration.ofDays(365L * 200), backoff.ceiling());
        // A maximum beyond what a long of nanoseconds holds saturates instead of throwing.
        Backoff huge = new Backoff(Duration.ofMillis(1), Duration.ofSeconds(Long.MAX_VALUE), new SplittableRandom(6));
        for (int i = 0; i < 1_000; i++) {
            assertTrue(!huge.next().isNegative());
        }
        assertEquals(Duration.ofNanos(Long.MAX_VALUE), huge.ceiling());
    }

    @Test
    void settingsAreValidatedNamingTheirKeys() {
        assertEquals("dap.stream.cluster.link.backoff-initial must be greater than 0, got PT0S",
                assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, MAX, new SplittableRandom())).getMessage());
        assertEquals("dap.stream.cluster.link.backoff-initial must be greater than 0, got PT-1S",
                assertThrows(IllegalArgumentException.class,
                        () -> new Backoff(Duration.ofSeconds(-1), MAX, new SplittableRandom())).getMessage());
        assertEquals("dap.stream.cluster.link.backoff-max (PT0.05S) must be at least dap.stream.cluster.link.backoff-initial (PT0.1S)",
                assertThrows(IllegalArgumentException.class,
                        () -> new Backoff(INITIAL, Duration.ofMillis(50), new SplittableRandom())).getMessage());
        Backoff fixed = new Backoff(INITIAL, INITIAL, new SplittableRandom(7));
        assertEquals(INITIAL, fixed.ceiling(), "max equal to initial is allowed: a fixed ceiling");
    }
}
