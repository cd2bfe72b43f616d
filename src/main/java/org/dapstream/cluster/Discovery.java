package org.dapstream.cluster;

/**
 * Finds the member nodes of this node's cluster: the replicas of one deployment. The
 * platform is the source of truth for who they are; discovery reports it and builds no
 * gossip or failure detector of its own.
 */
public interface Discovery extends AutoCloseable {
    /** Starts watching; {@code listener} gets the member set (at least once when synced) and status changes. */
    void start(DiscoveryListener listener);

    /** The current status. */
    DiscoveryStatus status();

    /** {@code static} or {@code kubernetes}, for logs and the admin API. */
    String mode();

    /** Stops watching; no listener calls after it returns. */
    @Override
    void close();
}
