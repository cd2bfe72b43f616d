package org.dapstream.stream;

import org.dapstream.protocol.ErrorCode;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Node-wide event counts shared by all streams of a server or client: opened and closed
 * streams, keepalive and setup timeouts, errors by code in each direction. Thread-safe.
 */
public final class StreamCounters {
    private final LongAdder streamsOpened = new LongAdder();
    private final LongAdder streamsClosed = new LongAdder();
    private final LongAdder keepAliveTimeouts = new LongAdder();
    private final LongAdder setupTimeouts = new LongAdder();
    private final Map<ErrorCode, LongAdder> errorsSent = new EnumMap<>(ErrorCode.class);
    private final Map<ErrorCode, LongAdder> errorsReceived = new EnumMap<>(ErrorCode.class);
    private final LongAdder unknownErrorsReceived = new LongAdder();
    private final Map<HandshakeOutcome, LongAdder> handshakes = new EnumMap<>(HandshakeOutcome.class);

    public StreamCounters() {
        for (ErrorCode c : ErrorCode.values()) {
            errorsSent.put(c, new LongAdder());
            errorsReceived.put(c, new LongAdder());
        }
        for (HandshakeOutcome o : HandshakeOutcome.values()) {
            handshakes.put(o, new LongAdder());
        }
    }

    void streamOpened() {
        streamsOpened.increment();
    }

    void streamClosed() {
        streamsClosed.increment();
    }

    void keepAliveTimeout() {
        keepAliveTimeouts.increment();
    }

    void setupTimeout() {
        setupTimeouts.increment();
    }

    void errorSent(ErrorCode code) {
        errorsSent.get(code).increment();
    }

    void errorReceived(int code) {
        ErrorCode known = ErrorCode.fromCode(code);
        if (known == null) {
            unknownErrorsReceived.increment();
        } else {
            errorsReceived.get(known).increment();
        }
    }

    public long streamsOpened() {
        return streamsOpened.sum();
    }

    public long streamsClosed() {
        return streamsClosed.sum();
    }

    public long keepAliveTimeouts() {
        return keepAliveTimeouts.sum();
    }

    public long setupTimeouts() {
        return setupTimeouts.sum();
    }

    public long errorsSent(ErrorCode code) {
        return errorsSent.get(code).sum();
    }

    public long errorsReceived(ErrorCode code) {
        return errorsReceived.get(code).sum();
    }

    /** ERROR frames received with a code this version does not know. */
    public long unknownErrorsReceived() {
        return unknownErrorsReceived.sum();
    }

    /** Counts a secure handshake's end; public because the server counts the ones it refuses before a stream exists. */
    public void handshake(HandshakeOutcome outcome) {
        handshakes.get(outcome).increment();
    }

    public long handshakes(HandshakeOutcome outcome) {
        return handshakes.get(outcome).sum();
    }
}
