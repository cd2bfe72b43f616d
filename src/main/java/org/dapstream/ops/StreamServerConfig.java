package org.dapstream.ops;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/**
 * Configuration of the stream endpoint, prefix {@code dap.stream}. Each default here is the
 * one documented in README.md and docs/OPERATIONS.md.
 */
@ConfigMapping(prefix = "dap.stream")
public interface StreamServerConfig {
    Tcp tcp();

    KeepAliveSettings keepalive();

    DrainSettings drain();

    /** Stream setup must finish within this long of connecting. */
    @WithDefault("5s")
    Duration setupTimeout();

    /** Largest received frame payload accepted (64 KiB + 256 B transform overhead; hard cap 16 MiB). */
    @WithDefault("65792")
    int maxFramePayload();

    /** Channels open at once on one stream. */
    @WithDefault("1024")
    int maxChannels();

    /** Bytes a pull-mode channel buffers before the stream stops reading. */
    @WithDefault("1048576")
    int channelBufferSize();

    /** Bytes written from other threads and not yet on the loop before {@code write} reports back-pressure. */
    @WithDefault("1048576")
    int writeHighWater();

    /** Per-frame debug tracing at start (the seed's {@code g_dap_stream_debug_more}); switchable at run time. */
    @WithDefault("false")
    boolean debugMore();

    /** This node's address, {@code XXXX::XXXX::XXXX::XXXX}; random per start when absent (until node identities exist). */
    Optional<String> nodeAddress();

    interface Tcp {
        /** Address the stream endpoint binds. */
        @WithDefault("0.0.0.0")
        String host();

        /** Port of the stream endpoint; 0 picks a free one. */
        @WithDefault("8079")
        int port();

        /** Acceptor instances (event loops serving streams); 0 = one per processor. */
        @WithDefault("0")
        int instances();

        /** Start the endpoint with the application. */
        @WithDefault("true")
        boolean enabled();
    }

    interface KeepAliveSettings {
        /** A ping goes out when nothing was written for this long. */
        @WithDefault("1s")
        Duration interval();

        /** The seed's STREAM_KEEPALIVE_TIMEOUT: a stream silent this long is closed. */
        @WithDefault("3s")
        Duration timeout();
    }

    /**
     * The graceful drain at shutdown (SIGTERM). Its worst case, the optional
     * {@code quarkus.shutdown.delay} + grace period + close timeout, must fit inside the pod's
     * {@code terminationGracePeriodSeconds} (k8s/: 5 s + 20 s + 3 s within 30 s).
     */
    interface DrainSettings {
        /** How long peers told GOAWAY have to finish and close before this node closes their streams. */
        @WithDefault("20s")
        Duration gracePeriod();

        /** After the grace period: how long a peer has to answer CLOSE GOING_AWAY before ERROR ends its stream. */
        @WithDefault("3s")
        Duration closeTimeout();

        /** Another member, {@code host:port}, named in GOAWAY for peers to use; none when absent. */
        Optional<String> alternate();
    }
}
