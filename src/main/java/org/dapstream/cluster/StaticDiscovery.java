package org.dapstream.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A fixed member list from configuration ({@code dap.stream.cluster.members}): outside
 * Kubernetes, on a laptop or in tests. Every listed member is READY; an empty list is this
 * node alone. A member that is down is found by its link, not here.
 */
public final class StaticDiscovery implements Discovery {
    private final List<DiscoveredMember> members;

    public StaticDiscovery(Collection<MemberEndpoint> endpoints) {
        List<DiscoveredMember> list = new ArrayList<>();
        for (MemberEndpoint e : endpoints) {
            if (list.stream().noneMatch(m -> m.endpoint().equals(e))) {
                list.add(new DiscoveredMember(e, MemberState.READY, e.toString()));
            }
        }
        this.members = List.copyOf(list);
    }

    @Override
    public void start(DiscoveryListener listener) {
        listener.status(status());
        listener.members(members);
    }

    @Override
    public DiscoveryStatus status() {
        return DiscoveryStatus.ok(0);
    }

    @Override
    public String mode() {
        return "static";
    }

    @Override
    public void close() {
        // nothing to stop
    }
}
