package org.dapstream.stream;

import org.dapstream.crypto.HandshakeException;
import org.dapstream.protocol.ProtocolException;

/**
 * One step of a stream's secure handshake whose crypto runs on a {@link HandshakeWork}
 * thread: it runs there once, keeps its result or failure, and the stream reads them back on
 * its event loop (the hand-over through the loop's task queue orders the writes before the reads).
 */
final class HandshakeStep<T> {
    /** The step's crypto: touches only its own handshake object (and thread-safe registries), never the stream. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws HandshakeException;
    }

    /** What the stream does with the result, on its loop. */
    @FunctionalInterface
    interface Then<T> {
        void accept(T result) throws ProtocolException;
    }

    private final Work<T> work;
    private T result;
    private HandshakeException failure;
    private RuntimeException bug;

    HandshakeStep(Work<T> work) {
        this.work = work;
    }

    void run() {
        try {
            result = work.run();
        } catch (HandshakeException e) {
            failure = e;
        } catch (RuntimeException e) {
            bug = e;
        }
    }

    T result() {
        return result;
    }

    /** The peer's fault (bad signature, MAC, policy): the stream ends with its code. */
    HandshakeException failure() {
        return failure;
    }

    /** Ours: the stream ends with INTERNAL_ERROR and the log says why. */
    RuntimeException bug() {
        return bug;
    }
}
