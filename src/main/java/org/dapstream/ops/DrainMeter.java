package org.dapstream.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.inject.Singleton;

/** {@code dap_stream_draining}: 1 while this node drains, 0 while it serves (docs/OPERATIONS.md). */
@Singleton
public class DrainMeter implements MeterBinder {
    private final DrainState state;

    public DrainMeter(DrainState state) {
        this.state = state;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("dap.stream.draining", state, s -> s.draining() ? 1 : 0)
                .description("1 while the node drains (GOAWAY sent, new streams refused), 0 while it serves")
                .register(registry);
    }
}
