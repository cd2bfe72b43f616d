package org.dapstream.bench;

/** A run that could not finish (connection refused, peer closed the stream, a timeout); the message says why. */
public final class BenchFailure extends Exception {
    public BenchFailure(String message) {
        super(message);
    }

    public BenchFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
