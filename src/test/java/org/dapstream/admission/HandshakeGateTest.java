package org.dapstream.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

class HandshakeGateTest {
    private static final Duration SECOND = Duration.ofSeconds(1);

    /** Admits and proves at once: a connection that sent its first frame, never evicted. */
    private static HandshakeGate.Slot proven(HandshakeGate gate, String address) {
        HandshakeGate.Slot s = gate.admit(address, () -> { throw new AssertionError("a proven slot was evicted"); });
        if (s.refusedBy() == null) {
            s.proven();
        }
        return s;
    }

    @Test
    void perAddressCapLeavesRoomForOthers() {
        HandshakeGate gate = new HandshakeGate(10, 3, 10, SECOND);
        for (int i = 0; i < 3; i++) {
            assertNull(proven(gate, "10.0.0.1").refusedBy());
        }
        assertSame(AdmissionCap.HANDSHAKES_PER_ADDRESS, proven(gate, "10.0.0.1").refusedBy(), "fourth from one address");
        HandshakeGate.Slot other = proven(gate, "10.0.0.2");
        assertNull(other.refusedBy(), "another address still gets in");
        assertEquals(4, gate.inProgress());
        other.release();
        other.release();
        assertEquals(3, gate.inProgress(), "a second release does nothing");
    }

    @Test
    void totalCapHoldsAcrossAddresses() {
        HandshakeGate gate = new HandshakeGate(4, 4, 4, SECOND);
        List<HandshakeGate.Slot> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            held.add(proven(gate, "10.0." + i + ".1"));
        }
        assertSame(AdmissionCap.HANDSHAKES, proven(gate, "10.0.9.1").refusedBy());
        assertEquals(4, gate.inProgress(), "a refused admit leaves no trace");
        held.forEach(HandshakeGate.Slot::release);
        assertEquals(0, gate.inProgress());
    }

    @Test
    void prefixCapCountsAWholeSlash24AndSlash64() {
        HandshakeGate gate = new HandshakeGate(100, 2, 3, SECOND);
        assertNull(proven(gate, "192.0.2.1").refusedBy());
        assertNull(proven(gate, "192.0.2.2").refusedBy());
        assertNull(proven(gate, "192.0.2.3").refusedBy());
        assertSame(AdmissionCap.HANDSHAKES_PER_PREFIX, proven(gate, "192.0.2.4").refusedBy(), "a fourth from the /24");
        assertNull(proven(gate, "192.0.3.1").refusedBy(), "the next /24 is another prefix");
        assertNull(proven(gate, "2001:db8:0:1::1").refusedBy());
        assertNull(proven(gate, "2001:db8:0:1:ffff::2").refusedBy());
        assertNull(proven(gate, "2001:db8:0:1:1:2:3:4").refusedBy());
        assertSame(AdmissionCap.HANDSHAKES_PER_PREFIX, proven(gate, "2001:db8:0:1::99").refusedBy(), "a fourth from the /64");
        assertNull(proven(gate, "2001:db8:0:2::1").refusedBy());
    }

    @Test
    void prefixesOfBothFamilies() {
        assertEquals("10.1.2.0/24", HandshakeGate.prefixOf("10.1.2.3"));
        assertEquals("10.1.2.0/24", HandshakeGate.prefixOf("::ffff:10.1.2.200"), "IPv4-mapped counts as IPv4");
        assertEquals("2001:db8:0:1::/64", HandshakeGate.prefixOf("2001:0db8:0000:0001:0:0:0:5"));
        assertEquals("2001:db8:0:1::/64", HandshakeGate.prefixOf("[2001:db8:0:1::7%eth0]"));
        assertEquals("not-an-address", HandshakeGate.prefixOf("not-an-address"));
    }

    @Test
    void aFullCapEvictsTheOldestUnprovenAndNeverAProvenOne() {
        HandshakeGate gate = new HandshakeGate(3, 3, 3, SECOND);
        AtomicInteger[] evictions = {new AtomicInteger(), new AtomicInteger()};
        HandshakeGate.Slot old = gate.admit("10.0.0.1", evictions[0]::incrementAndGet);
        HandshakeGate.Slot young = gate.admit("10.0.1.1", evictions[1]::incrementAndGet);
        HandshakeGate.Slot sure = proven(gate, "10.0.2.1");
        assertEquals(2, gate.unproven());

        HandshakeGate.Slot newcomer = gate.admit("10.0.3.1", () -> { });
        assertNull(newcomer.refusedBy(), "a full cap with unproven slots makes room");
        assertSame(AdmissionCap.HANDSHAKES, newcomer.evictedOthersFor());
        assertEquals(1, evictions[0].get(), "the oldest unproven goes");
        assertEquals(0, evictions[1].get());
        assertTrue(old.evicted());
        assertFalse(old.isUnproven());
        assertEquals(3, gate.inProgress());
        old.release(); // its stream ends later and releases again: no effect
        assertEquals(3, gate.inProgress());

        young.proven();
        newcomer.proven();
        assertSame(AdmissionCap.HANDSHAKES, gate.admit("10.0.4.1", () -> { }).refusedBy(), "every slot proven: refused");
        assertFalse(sure.evicted());
    }

    @Test
    void anAddressOrPrefixCapEvictsOnlyUnderItself() {
        HandshakeGate gate = new HandshakeGate(10, 2, 3, SECOND);
        AtomicInteger otherEvicted = new AtomicInteger();
        gate.admit("10.9.9.9", otherEvicted::incrementAndGet); // oldest of all, another prefix
        HandshakeGate.Slot a1 = gate.admit("10.0.0.1", () -> { });
        HandshakeGate.Slot a2 = gate.admit("10.0.0.1", () -> { });
        HandshakeGate.Slot a3 = gate.admit("10.0.0.1", () -> { });
        assertSame(AdmissionCap.HANDSHAKES_PER_ADDRESS, a3.evictedOthersFor());
        assertTrue(a1.evicted(), "the address's own oldest");
        assertFalse(a2.evicted());
        HandshakeGate.Slot b = gate.admit("10.0.0.2", () -> { });
        assertNull(b.evictedOthersFor(), "the /24 holds a2, a3 and now b: room for three");
        HandshakeGate.Slot c = gate.admit("10.0.0.3", () -> { });
        assertSame(AdmissionCap.HANDSHAKES_PER_PREFIX, c.evictedOthersFor());
        assertTrue(a2.evicted(), "the prefix's own oldest");
        assertEquals(0, otherEvicted.get(), "never one from another prefix while the total has room");
        assertEquals(4, gate.inProgress());
    }

    @Test
    void capsMustBePositiveAndThePrefixCapCoverAnAddress() {
        assertThrows(IllegalArgumentException.class, () -> new HandshakeGate(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new HandshakeGate(1, 0));
        assertThrows(IllegalArgumentException.class, () -> new HandshakeGate(10, 4, 3, SECOND));
        assertThrows(IllegalArgumentException.class, () -> new HandshakeGate(10, 4, 4, Duration.ZERO));
    }

    @Test
    void concurrentAdmitsNeverExceedTheCaps() throws Exception {
        // Caps below the 8 threads (4 per address), so they bind while the threads race. Each
        // slot is proven right after admission; in between it is unproven, and a racing
        // newcomer may evict it (by design): such a slot is not held, and its release does nothing.
        HandshakeGate gate = new HandshakeGate(3, 2, 3, SECOND);
        AtomicInteger evictions = new AtomicInteger();
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger[] holding = {new AtomicInteger(), new AtomicInteger()};
        AtomicInteger mostTotal = new AtomicInteger();
        AtomicInteger mostPerAddress = new AtomicInteger();
        Thread[] threads = new Thread[8];
        for (int t = 0; t < threads.length; t++) {
            int a = t % 2;
            String address = "10.0.0." + a;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    HandshakeGate.Slot s = gate.admit(address, evictions::incrementAndGet);
                    if (s.refusedBy() == null) {
                        s.proven();
                    }
                    if (s.refusedBy() == null && !s.evicted()) {
                        admitted.incrementAndGet();
                        // Observed while this thread holds its slot: the caps must hold at every moment.
                        mostPerAddress.accumulateAndGet(holding[a].incrementAndGet(), Math::max);
                        mostTotal.accumulateAndGet(gate.inProgress(), Math::max);
                        holding[a].decrementAndGet();
                        s.release();
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join(10_000);
            assertFalse(t.isAlive(), "worker finished");
        }
        assertEquals(0, gate.inProgress(), "every slot released");
        assertTrue(admitted.get() > 0);
        assertTrue(mostTotal.get() <= 3, "total in progress peaked at " + mostTotal.get());
        assertTrue(mostPerAddress.get() <= 2, "one address held " + mostPerAddress.get() + " slots");
    }
}
