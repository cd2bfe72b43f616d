package org.dapstream.stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandshakeGateTest {
    @Test
    void perAddressCapLeavesRoomForOthers() {
        HandshakeGate gate = new HandshakeGate(10, 3);
        for (int i = 0; i < 3; i++) {
            assertTrue(gate.admit("10.0.0.1"));
        }
        assertFalse(gate.admit("10.0.0.1"), "fourth from one address");
        assertTrue(gate.admit("10.0.0.2"), "another address still gets in");
        assertEquals(4, gate.inProgress());
        gate.release("10.0.0.1");
        assertTrue(gate.admit("10.0.0.1"), "a freed slot is usable again");
    }

    @Test
    void totalCapHoldsAcrossAddresses() {
        HandshakeGate gate = new HandshakeGate(4, 4);
        for (int i = 0; i < 4; i++) {
            assertTrue(gate.admit("10.0.0." + i));
        }
        assertFalse(gate.admit("10.0.0.9"));
        assertEquals(4, gate.inProgress(), "a refused admit leaves no trace");
        for (int i = 0; i < 4; i++) {
            gate.release("10.0.0." + i);
        }
        assertEquals(0, gate.inProgress());
    }

    @Test
    void concurrentAdmitsNeverExceedTheCaps() throws Exception {
        // Caps below the 8 threads (4 per address), so they bind while the threads race.
        HandshakeGate gate = new HandshakeGate(3, 2);
        java.util.concurrent.atomic.AtomicInteger admitted = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger[] holding = {new java.util.concurrent.atomic.AtomicInteger(),
                new java.util.concurrent.atomic.AtomicInteger()};
        java.util.concurrent.atomic.AtomicInteger mostTotal = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger mostPerAddress = new java.util.concurrent.atomic.AtomicInteger();
        Thread[] threads = new Thread[8];
        for (int t = 0; t < threads.length; t++) {
            int a = t % 2;
            String address = "10.0.0." + a;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    if (gate.admit(address)) {
                        admitted.incrementAndGet();
                        // Observed while this thread holds its slot: the caps must hold at every moment.
                        mostPerAddress.accumulateAndGet(holding[a].incrementAndGet(), Math::max);
                        mostTotal.accumulateAndGet(gate.inProgress(), Math::max);
                        holding[a].decrementAndGet();
                        gate.release(address);
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

    @Test
    void capsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new HandshakeGate(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new HandshakeGate(1, 0));
    }
}
