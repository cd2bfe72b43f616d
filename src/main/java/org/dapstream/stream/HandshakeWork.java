package org.dapstream.stream;

/**
 * Where a stream runs the expensive steps of its secure handshake: signing, the key exchange
 * (ML-KEM, X25519) and verifying the peer's signature. A node hands them to
 * {@link HandshakeWorkers} so they never hold up the event loop its established streams share;
 * the step's result re-enters the stream on its own event loop.
 */
@FunctionalInterface
public interface HandshakeWork {
    /**
     * Runs {@code job} (on another thread, or at once).
     *
     * @return false when the job was refused (the workers' queue is full): the stream then
     *         ends its handshake with HANDSHAKE_BUSY
     */
    boolean submit(Runnable job);

    /** On the caller's thread, at once: for the engine's unit tests and tools without workers. */
    HandshakeWork INLINE = job -> {
        job.run();
        return true;
    };
}
