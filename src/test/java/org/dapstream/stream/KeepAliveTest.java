package org.dapstream.stream;

import static org.dapstream.stream.KeepAlive.Action.NONE;
import static org.dapstream.stream.KeepAlive.Action.PING;
import static org.dapstream.stream.KeepAlive.Action.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The keepalive engine alone: time in, decisions out. */
class KeepAliveTest {
    private static final long MS = 1_000_000;
    /** Far from zero, and the arithmetic must survive a nanoTime that wraps past Long.MAX_VALUE. */
    private static final long T0 = Long.MAX_VALUE - 2_000 * MS;

    @Test
    void tickIsAQuarterOfTheShorterPeriod() {
        assertEquals(250, KeepAlive.tickMillis(1000 * MS, 3000 * MS));
        assertEquals(250, KeepAlive.tickMillis(3000 * MS, 1000 * MS));
        assertEquals(75, KeepAlive.tickMillis(300 * MS, 1000 * MS));
        assertEquals(1, KeepAlive.tickMillis(4 * MS, 4 * MS));
        assertEquals(1, KeepAlive.tickMillis(1 * MS, 1000 * MS), "never 0: a timer needs a period");
        assertEquals(1, KeepAlive.tickMillis(1, 1));
    }

    @Test
    void periodsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new KeepAlive(0, 1, T0));
        assertThrows(IllegalArgumentException.class, () -> new KeepAlive(1, 0, T0));
        assertThrows(IllegalArgumentException.class, () -> new KeepAlive(-1, 1, T0));
    }

    @Test
    void pingsWhenTheWriteSideIsIdleForTheInterval() {
        KeepAlive ka = new KeepAlive(1000 * MS, 3000 * MS, T0);
        assertEquals(NONE, ka.tick(T0 + 999 * MS, true, false));
        assertEquals(PING, ka.tick(T0 + 1000 * MS, true, false));
        // The ping is a write: the next one is an interval later.
        assertEquals(NONE, ka.tick(T0 + 1999 * MS, true, false));
        assertEquals(PING, ka.tick(T0 + 2000 * MS, true, false));
    }

    @Test
    void writesPostponeThePing() {
        KeepAlive ka = new KeepAlive(1000 * MS, 3000 * MS, T0);
        for (int t = 250; t <= 5000; t += 250) {
            assertEquals(NONE, ka.tick(T0 + t * MS, true, true), "at " + t + " ms");
        }
        assertEquals(NONE, ka.tick(T0 + 5999 * MS, true, false));
        assertEquals(PING, ka.tick(T0 + 6000 * MS, true, false));
    }

    @Test
    void silenceForTheTimeoutIsATimeout() {
        KeepAlive ka = new KeepAlive(1000 * MS, 3000 * MS, T0);
        assertEquals(PING, ka.tick(T0 + 1000 * MS, false, false));
        assertEquals(PING, ka.tick(T0 + 2000 * MS, false, false));
        assertEquals(NONE, ka.tick(T0 + 2999 * MS, false, false));
        assertEquals(TIMEOUT, ka.tick(T0 + 3000 * MS, false, false));
        assertEquals(TIMEOUT, ka.tick(T0 + 3001 * MS, false, true), "writing does not help the read side");
    }

    @Test
    void readsPostponeTheTimeout() {
        KeepAlive ka = new KeepAlive(1000 * MS, 3000 * MS, T0);
        assertEquals(PING, ka.tick(T0 + 2500 * MS, true, false));
        assertEquals(NONE, ka.tick(T0 + 5499 * MS, false, true));
        assertEquals(TIMEOUT, ka.tick(T0 + 5500 * MS, false, true));
    }

    @Test
    void timeoutWinsOverPing() {
        KeepAlive ka = new KeepAlive(1000 * MS, 3000 * MS, T0);
        assertEquals(TIMEOUT, ka.tick(T0 + 10_000 * MS, false, false));
    }

    @Test
    void averageIsAnEwmaWithWeightOneEighth() {
        KeepAlive ka = new KeepAlive(1000 * MS, 3000 * MS, T0);
        assertTrue(Double.isNaN(ka.avgLatencyMillis()), "no sample yet");
        assertEquals(-1, ka.lastRttNanos());
        assertEquals(0, ka.pongs());

        ka.pingSent(T0);
        ka.onPong(T0 + 100 * MS, T0);
        assertEquals(100.0, ka.avgLatencyMillis(), 1e-9, "the first sample is the average");
        ka.pingSent(T0 + 1000 * MS);
        ka.onPong(T0 + 1020 * MS, T0 + 1000 * MS);
        assertEquals(100 + (20 - 100) / 8.0, ka.avgLatencyMillis(), 1e-9);   // 90
        ka.pingSent(T0 + 2000 * MS);
        ka.onPong(T0 + 2060 * MS, T0 + 2000 * MS);
        assertEquals(90 + (60 - 90) / 8.0, ka.avgLatencyMillis(), 1e-9);     // 86.25
        assertEquals(60 * MS, ka.lastRttNanos());
        assertEquals(3, ka.pongs());
        assertEquals(0.125, KeepAlive.RTT_WEIGHT);
    }

    @Test
    void aPongFromTheFutureIsIgnored() {
        KeepAlive ka = new KeepAlive(1000 * MS, 3000 * MS, T0);
        ka.pingSent(T0);
        ka.pingSent(T0 + 5000 * MS); // even a ping of ours: a pong before it left is no sample
        assertEquals(10 * MS, ka.onPong(T0 + 10 * MS, T0));
        assertEquals(-1, ka.onPong(T0 + 20 * MS, T0 + 5000 * MS));
        assertEquals(10.0, ka.avgLatencyMillis(), 1e-9);
        assertEquals(1, ka.pongs());
        assertEquals(10 * MS, ka.lastRttNanos());
    }

    @Test
    void aZeroRoundTripIsASample() {
        KeepAlive ka = new KeepAlive(1000 * MS, 3000 * MS, T0);
        ka.pingSent(T0);
        ka.onPong(T0, T0);
        assertEquals(0.0, ka.avgLatencyMillis());
        assertEquals(1, ka.pongs());
    }

    @Test
    void onlyAPongThatAnswersAPingInFlightIsASample() {
        KeepAlive ka = new KeepAlive(1000 * MS, 3000 * MS, T0);
        assertEquals(-1, ka.onPong(T0 + 10 * MS, T0 + 5 * MS), "no ping sent: a forged pong");
        assertEquals(-1, ka.onPong(T0 + 10 * MS, 1), "timestamp 1 would make the round trip the uptime");
        ka.pingSent(T0 + 100 * MS);
        assertEquals(-1, ka.onPong(T0 + 150 * MS, T0 + 99 * MS), "a timestamp we never sent");
        assertEquals(50 * MS, ka.onPong(T0 + 150 * MS, T0 + 100 * MS));
        assertEquals(-1, ka.onPong(T0 + 160 * MS, T0 + 100 * MS), "the same pong twice is one sample");
        assertEquals(1, ka.pongs());
        assertEquals(50.0, ka.avgLatencyMillis(), 1e-9);
    }

    @Test
    void aPingLongGivenUpNoLongerGetsASample() {
        KeepAlive ka = new KeepAlive(1000 * MS, 3000 * MS, T0);
        for (int i = 0; i <= KeepAlive.PINGS_IN_FLIGHT; i++) {
            ka.pingSent(T0 + i * 1000 * MS);
        }
        assertEquals(-1, ka.onPong(T0 + 9000 * MS, T0), "the oldest ping was forgotten for a newer one");
        assertEquals(8000 * MS, ka.onPong(T0 + 9000 * MS, T0 + 1000 * MS));
    }
}
