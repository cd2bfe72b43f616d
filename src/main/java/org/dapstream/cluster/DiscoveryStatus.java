package org.dapstream.cluster;

/**
 * Whether discovery knows the member set, and if not, why and what to do about it.
 *
 * @param synced        true once the member set is known (static: at once; Kubernetes: after the first LIST)
 * @param problem       what is wrong, or null when nothing is
 * @param fix           what an operator should do about {@code problem}, or null
 * @param watchRestarts how often the watch had to be started again (Kubernetes; 0 in static mode)
 */
public record DiscoveryStatus(boolean synced, String problem, String fix, long watchRestarts) {
    public static DiscoveryStatus ok(long watchRestarts) {
        return new DiscoveryStatus(true, null, null, watchRestarts);
    }

    public static DiscoveryStatus failed(String problem, String fix, long watchRestarts) {
        return new DiscoveryStatus(false, problem, fix, watchRestarts);
    }

    /** True when the member set is known and nothing is wrong. */
    public boolean healthy() {
        return synced && problem == null;
    }
}
