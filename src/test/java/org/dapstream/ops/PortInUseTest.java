package org.dapstream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Vertx;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Sessions;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamCounters;
import org.dapstream.transport.StreamServer;
import org.dapstream.transport.StreamServerOptions;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** A stream port held by another program fails start-up with one line naming the port and its key. */
class PortInUseTest {

    @Test
    void aTakenPortIsNamedWithItsKey() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (ServerSocket holder = new ServerSocket()) {
            holder.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = holder.getLocalPort();
            StreamServerOptions options = new StreamServerOptions("127.0.0.1", port, 1, StreamConfig.defaults(), new NodeAddress(1));
            StreamServer server = new StreamServer(vertx, options, ChannelRegistry.withDiagnostics(), new Sessions(), new StreamCounters());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> StreamEndpoint.bind(server, options));
            assertEquals("dap.stream.tcp.port=" + port + ": address 127.0.0.1:" + port + " is already in use (another node or "
                    + "program is listening there; pick another port or stop it)", e.getMessage());
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }
}
