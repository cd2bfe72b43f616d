package org.dapstream.ops;

import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether this node is draining (shutting down gracefully): set once when the drain
 * begins, never cleared. Readiness reports DOWN while draining, the endpoint stops
 * accepting new streams, and connected peers are told to go elsewhere.
 */
@ApplicationScoped
public class DrainState {
    private final AtomicReference<Instant> since = new AtomicReference<>();

    /** Marks the node as draining; returns false when it already was. */
    public boolean begin() {
        return since.compareAndSet(null, Instant.now());
    }

    public boolean draining() {
        return since.get() != null;
    }

    /** When the drain began, empty while the node is serving. */
    public Optional<Instant> since() {
        return Optional.ofNullable(since.get());
    }
}
