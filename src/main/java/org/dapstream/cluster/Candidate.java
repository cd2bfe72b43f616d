package org.dapstream.cluster;

/** A member a {@link Balancer} may pick for one balanced delivery. */
public interface Candidate {
    /**
     * Stable identity of the member for as long as it is one (for example its node address
     * mixed with its session id): the hash balancer's keys follow it.
     */
    long id();

    /** What is queued for the member, in bytes: the least-loaded balancer prefers the smallest. */
    long load();
}
