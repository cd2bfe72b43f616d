package org.dapstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

class ShutdownSignalsTest {
    private final List<Integer> halts = new ArrayList<>();
    private final AtomicInteger orderly = new AtomicInteger();
    private final ShutdownSignals signals = new ShutdownSignals(halts::add);

    @Test
    void firstSignalShutsDownInOrderWithoutHalting() {
        signals.received("INT", orderly::incrementAndGet);
        assertEquals(1, orderly.get());
        assertEquals(List.of(), halts);
    }

    @Test
    void secondInterruptHaltsWith130AndDoesNotStartASecondShutdown() {
        signals.received("INT", orderly::incrementAndGet);
        signals.received("INT", orderly::incrementAndGet);
        assertEquals(1, orderly.get());
        assertEquals(List.of(130), halts);
    }

    @Test
    void terminateDuringAnInterruptShutdownHaltsWith143() {
        signals.received("INT", orderly::incrementAndGet);
        signals.received("TERM", orderly::incrementAndGet);
        signals.received("INT", orderly::incrementAndGet);
        assertEquals(1, orderly.get());
        assertEquals(List.of(143, 130), halts);
    }

    @Test
    void onlyInterruptAndTerminateHaveAStatus() {
        assertEquals(130, ShutdownSignals.status("INT"));
        assertEquals(143, ShutdownSignals.status("TERM"));
        assertThrows(IllegalArgumentException.class, () -> ShutdownSignals.status("HUP"));
    }
}
