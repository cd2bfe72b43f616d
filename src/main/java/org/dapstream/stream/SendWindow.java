package org.dapstream.stream;

import org.dapstream.protocol.ErrorCode;
import org.dapstream.protocol.FlowWindow;
import org.dapstream.protocol.ProtocolException;

/**
 * What the peer lets this side send, on one channel or on the whole stream: the credit
 * (payload bytes) its WINDOW_UPDATEs granted and this side has not used, and whether a
 * sender found it short. The same value serves channels and the stream. Event-loop confined.
 */
final class SendWindow {
    /** Payload bytes the peer still lets us send. Plain field: read and written per frame. */
    long credit;
    /** A queued frame found the credit short: nothing more goes until the next grant. */
    boolean stalled;

    SendWindow(long initial) {
        this.credit = initial;
    }

    /** Uses {@code bytes} of credit; the caller checked they are there. */
    void take(int bytes) {
        credit -= bytes;
    }

    /**
     * A WINDOW_UPDATE's increment.
     *
     * @return whether a sender was stalled on this window (it may go on now)
     * @throws ProtocolException FLOW_CONTROL_VIOLATION past 2^31-1, as the protocol forbids
     */
    boolean grant(long increment, String window) throws ProtocolException {
        credit += increment;
        if (credit > FlowWindow.MAX_WINDOW) {
            throw new ProtocolException(ErrorCode.FLOW_CONTROL_VIOLATION, "WINDOW_UPDATE grew " + window + " to "
                    + credit + ", past 2^31-1");
        }
        boolean wasStalled = stalled;
        stalled = false;
        return wasStalled;
    }
}
