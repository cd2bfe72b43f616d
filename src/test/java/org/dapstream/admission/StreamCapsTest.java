package org.dapstream.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class StreamCapsTest {
    @Test
    void theNodeCapAndThePerAddressCapEachRefuse() {
        StreamCaps caps = new StreamCaps(5, 3);
        for (int i = 0; i < 3; i++) {
            assertNull(caps.admit("10.0.0.1"));
        }
        assertSame(AdmissionCap.STREAMS_PER_ADDRESS, caps.admit("10.0.0.1"));
        assertNull(caps.admit("10.0.0.2"));
        assertNull(caps.admit("10.0.0.3"));
        assertSame(AdmissionCap.STREAMS, caps.admit("10.0.0.4"), "the node is full");
        assertEquals(5, caps.streams(), "refusals leave no trace");
        caps.release("10.0.0.1");
        assertNull(caps.admit("10.0.0.4"));
        assertSame(AdmissionCap.STREAMS, caps.admit("10.0.0.1"));
    }

    @Test
    void capsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new StreamCaps(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new StreamCaps(1, 0));
    }
}
