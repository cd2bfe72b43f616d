package org.dapstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.ProtocolException;
import org.junit.jupiter.api.Test;

/** {@link SendWindow} alone: the credit the peer granted, and the stall a grant ends. */
class SendWindowTest {

    @Test
    void takeAndGrantMoveTheCredit() throws ProtocolException {
        SendWindow w = new SendWindow(1000);
        w.take(300);
        assertEquals(700, w.credit);
        w.take(700);
        assertEquals(0, w.credit);
        assertFalse(w.grant(250, "channel 1's window"), "nobody was stalled");
        assertEquals(250, w.credit);
        w.take(0);
        assertEquals(250, w.credit);
    }

    @Test
    void aGrantSaysWhetherASenderWasStalledAndClearsTheStall() throws ProtocolException {
        SendWindow w = new SendWindow(0);
        w.stalled = true;
        assertTrue(w.grant(10, "the stream window"));
        assertFalse(w.stalled);
        assertEquals(10, w.credit);
        assertFalse(w.grant(10, "the stream window"), "said once per stall");
        assertEquals(20, w.credit);
    }

    @Test
    void aGrantUpToTheMaximumWindowIsAllowed() throws ProtocolException {
        SendWindow w = new SendWindow(FlowWindow.INITIAL_CHANNEL_WINDOW);
        w.grant(FlowWindow.MAX_WINDOW - FlowWindow.INITIAL_CHANNEL_WINDOW, "channel 7's window");
        assertEquals(FlowWindow.MAX_WINDOW, w.credit);
    }

    @Test
    void aGrantPastTheMaximumWindowIsAFlowControlViolationNamingTheWindow() {
        SendWindow w = new SendWindow(FlowWindow.INITIAL_CHANNEL_WINDOW);
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> w.grant(FlowWindow.MAX_WINDOW - FlowWindow.INITIAL_CHANNEL_WINDOW + 1, "channel 7's window"));
        assertEquals(ErrorCode.FLOW_CONTROL_VIOLATION, e.code());
        assertEquals("WINDOW_UPDATE grew channel 7's window to 2147483648, past 2^31-1", e.getMessage());

        SendWindow stream = new SendWindow(FlowWindow.INITIAL_STREAM_WINDOW);
        stream.take(FlowWindow.INITIAL_STREAM_WINDOW);
        ProtocolException s = assertThrows(ProtocolException.class, () -> stream.grant(FlowWindow.MAX_WINDOW + 5, "the stream window"));
        assertEquals(ErrorCode.FLOW_CONTROL_VIOLATION, s.code());
        assertTrue(s.getMessage().contains("the stream window to 2147483652"), s.getMessage());
    }
}
