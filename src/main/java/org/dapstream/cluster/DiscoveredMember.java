package org.dapstream.cluster;

/**
 * One member node as discovery sees it.
 *
 * @param endpoint where it accepts cluster links
 * @param state    ready or draining
 * @param name     what discovery calls it, for logs and the admin API (the pod name on Kubernetes,
 *                 the endpoint text in static mode)
 */
public record DiscoveredMember(MemberEndpoint endpoint, MemberState state, String name) {
    public DiscoveredMember {
        if (endpoint == null || state == null) {
            throw new IllegalArgumentException("a discovered member needs an endpoint and a state");
        }
        name = name == null || name.isBlank() ? endpoint.toString() : name;
    }
}
