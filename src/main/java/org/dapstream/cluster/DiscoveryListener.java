package org.dapstream.cluster;

import java.util.Collection;

/** Told every change discovery sees. */
public interface DiscoveryListener {
    /**
     * The complete set of member nodes now known, this node included when discovery lists it.
     * Called after each change (never per lookup), from discovery's own thread; must not block.
     */
    void members(Collection<DiscoveredMember> members);

    /** Discovery's health changed (synced, or a problem and its fix). */
    default void status(DiscoveryStatus status) {
    }
}
