package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dapstream.stream.FlowConfig;
import org.dapstream.stream.RateLimit;
import org.dapstream.stream.StreamConfig;
import org.dapstream.transport.StreamServerOptions;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Map;

/** The engine's own validation, rethrown naming the configuration key and the value written there. */
class ConfigErrorsTest {

    @Test
    void keepAliveTimeoutNamesItsKeyAndValue() {
        Duration bad = Duration.ofSeconds(-1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigErrors.settings()
                .with("keepAliveInterval", "dap.stream.keepalive.interval", Duration.ofSeconds(5))
                .with("keepAliveTimeout", "dap.stream.keepalive.timeout", bad)
                .build(() -> StreamConfig.defaults().withKeepAlive(Duration.ofSeconds(5), bad)));
        assertEquals("dap.stream.keepalive.timeout=-1s: must be a positive duration", e.getMessage());
    }

    @Test
    void portSaysWhichPort() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigErrors.settings()
                .with("port", "dap.stream.tcp.port", 70000)
                .with("instances", "dap.stream.tcp.instances", 0)
                .build(() -> new StreamServerOptions("0.0.0.0", 70000, 0, StreamConfig.defaults(), null, null, null, null)));
        assertEquals("dap.stream.tcp.port=70000: must be 0..65535", e.getMessage());
    }

    @Test
    void aMessageNamingNoParameterListsEveryKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigErrors.settings()
                .with("bytesPerSecond", "dap.stream.flow.stream-rate.bytes-per-second", -1)
                .with("framesPerSecond", "dap.stream.flow.stream-rate.frames-per-second", 0)
                .build(() -> new RateLimit(-1, 0)));
        assertEquals("dap.stream.flow.stream-rate.bytes-per-second=-1, dap.stream.flow.stream-rate.frames-per-second=0: "
                + "rate limits are >= 0 (0: none), got -1 B/s, 0 frames/s", e.getMessage());
    }

    @Test
    void subMillisecondDurationsAndFlowSettings() {
        assertEquals("250ms", ConfigErrors.show(Duration.ofMillis(250)));
        assertEquals("dap.stream.flow.channel-send-buffer=1: must be at least " + FlowConfig.MIN_CHANNEL_SEND_BUFFER + " bytes",
                ConfigErrors.settings().with("channelSendBuffer", "dap.stream.flow.channel-send-buffer", 1)
                        .explain("channelSendBuffer must be at least " + FlowConfig.MIN_CHANNEL_SEND_BUFFER + " bytes, got 1"));
    }

    @Test
    void handshakeSettingsNameTheirKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeSecurity.gate(security(Map.of(
                "maxConcurrent", 256, "maxPerAddress", 32, "maxPerPrefix", 8, "firstFrameTimeout", Duration.ofSeconds(1)))));
        assertEquals("dap.stream.security.handshake.max-per-prefix=8: must be at least the per-address cap (32): an address is within "
                + "its prefix", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NodeSecurity.gate(security(Map.of(
                "maxConcurrent", 256, "maxPerAddress", 32, "maxPerPrefix", 64, "firstFrameTimeout", Duration.ofMillis(-500)))));
        assertEquals("dap.stream.security.handshake.first-frame-timeout=-500ms: must be a positive duration", e.getMessage());
    }

    @Test
    void nodeAddressAndCompressionGoalNameTheirKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StreamEndpoint.nodeAddress("abc"));
        assertEquals("dap.stream.node-address=abc: node address must be XXXX::XXXX::XXXX::XXXX, got 'abc'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StreamEndpoint.compressionGoal("fastest"));
        assertTrue(e.getMessage().startsWith("dap.stream.flow.compression-goal=fastest: "), e.getMessage());
    }

    /** A {@code dap.stream.security} configuration whose handshake group answers from {@code handshake}. */
    private static StreamServerConfig.Security security(Map<String, Object> handshake) {
        StreamServerConfig.Handshake h = (StreamServerConfig.Handshake) Proxy.newProxyInstance(ConfigErrorsTest.class.getClassLoader(),
                new Class<?>[] {StreamServerConfig.Handshake.class}, (proxy, method, args) -> handshake.get(method.getName()));
        return (StreamServerConfig.Security) Proxy.newProxyInstance(ConfigErrorsTest.class.getClassLoader(),
                new Class<?>[] {StreamServerConfig.Security.class}, (proxy, method, args) -> method.getName().equals("handshake") ? h : null);
    }
}
