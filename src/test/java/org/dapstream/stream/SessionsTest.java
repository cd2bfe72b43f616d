package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.NodeAddress;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

/** The session registry: random unique ids, lookup, delete. */
class SessionsTest {
    private final FakeClock clock = new FakeClock();
    private final Sessions sessions = new Sessions(clock);

    @Test
    void createRegistersANewSessionWithANonZeroUniqueId() {
        Set<Integer> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            Session s = sessions.create(Peer.NODE);
            assertNotEquals(0, s.id());
            assertTrue(ids.add(s.id()), "id reused: " + s.id());
            assertSame(s, sessions.find(s.id()));
        }
        assertEquals(10_000, sessions.size());
        assertEquals(10_000, sessions.all().size());
    }

    @Test
    void aNewSessionIsStampedByTheClock() {
        clock.skip(java.time.Duration.ofMillis(1234));
        Session s = sessions.create(NodeAddress.parse("0001::0002::0003::0004"));
        assertEquals(FakeClock.START_MILLIS + 1234, s.createTime());
        assertEquals(s.createTime(), s.lastActivity());
        assertEquals(NodeAddress.parse("0001::0002::0003::0004"), s.nodeAddress());
        assertTrue(s.active());
        assertTrue(s.streams().isEmpty());
        assertTrue(s.channels().isEmpty());
    }

    @Test
    void deleteForgetsAndDeactivates() {
        Session s = sessions.create(Peer.NODE);
        sessions.delete(s);
        assertNull(sessions.find(s.id()));
        assertEquals(0, sessions.size());
        assertFalse(s.active());
        sessions.delete(s); // twice: harmless
    }

    @Test
    void deleteLeavesAnotherSessionWithTheSameIdAlone() {
        Session s = sessions.create(Peer.NODE);
        Session impostor = new Session(s.id(), Peer.NODE, 0);
        sessions.delete(impostor);
        assertSame(s, sessions.find(s.id()), "only the registered object is removed");
        assertTrue(s.active());
    }

    @Test
    void sessionStreamsAndChannels() {
        StreamHarness h = StreamHarness.activeAcceptor();
        h.peerOpens(1);
        h.peerOpens(3);
        Session s = h.stream.session();
        assertEquals(2, s.channels().size());
        assertTrue(s.toString().startsWith("session " + Integer.toUnsignedString(s.id()) + " node 1234::5678::9ABC::DEF0"));
        StreamHarness.checkAllAndForget();
    }
}
