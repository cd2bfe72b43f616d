package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.PacketType;
import org.junit.jupiter.api.Test;

import java.util.List;

/** A channel's ledger: what it is and where its sequence numbers are, taken off one stream and continued on another. */
class ChannelLedgerTest extends EngineTest {

    @Test
    void theLedgerSaysWhereBothSequenceNumbersAre() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        h.peer.data(1, "a");
        h.peer.data(1, "b");
        ch.write(PacketType.DATA, new byte[] {1});
        ChannelLedger ledger = ch.ledger();
        assertEquals(new ChannelLedger(1, ch.type(), false, 1, 2), ledger);
    }

    @Test
    void aChannelThatContinuesALedgerGoesOnFromItsSequenceNumbers() {
        StreamHarness first = StreamHarness.activeAcceptor();
        Channel old = first.peerOpens(1);
        first.peer.data(1, "a");
        old.write(PacketType.DATA, new byte[] {1});
        old.write(PacketType.DATA, new byte[] {2});
        ChannelLedger ledger = old.ledger();

        StreamHarness second = StreamHarness.activeAcceptor();
        Channel next = second.peerOpens(1);
        next.resume(ledger);
        assertEquals(2, next.sendSeq());
        assertEquals(1, next.receiveSeq());
        second.peer.raw(PacketType.DATA, 1, 1, 0, new byte[] {'b'}); // seq 1: where the first stream left off
        assertEquals(List.of("in 1 DATA b"), second.service.events("in"));
        second.peer.expectNothing();
    }

    @Test
    void aLedgerOfAnotherChannelIsRefused() {
        StreamHarness h = StreamHarness.activeAcceptor();
        Channel ch = h.peerOpens(1);
        assertThrows(IllegalArgumentException.class, () -> ch.resume(new ChannelLedger(3, ch.type(), false, 5, 5)));
        assertThrows(IllegalArgumentException.class, () -> ch.resume(new ChannelLedger(1, ChannelType.MEDIA, false, 5, 5)));
        assertThrows(IllegalArgumentException.class, () -> ch.resume(new ChannelLedger(1, ch.type(), true, 5, 5)));
        assertEquals(0, ch.sendSeq(), "a refused ledger changes nothing");
    }
}
