package org.dapstream.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import org.dapstream.client.ClientOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The baseline a stream phase is compared with: the same workload over plain Vert.x
 * sockets in this JVM, with {@link RawFormat} messages and no protocol logic, batched as
 * our transport batches (see {@link RawBatch}). It is the upper bound the stream can reach
 * on this machine with these loops.
 */
final class RawBaseline implements Testbed {
    private final BenchOptions options;
    private final CompletableFuture<Void> failure = new CompletableFuture<>();
    private final List<RawConnection> connections = new ArrayList<>();
    private final List<Lane> lanes = new ArrayList<>();
    private final List<Lane> reporters = new ArrayList<>();
    private Vertx serverVertx;
    private Vertx clientVertx;
    private NetClient client;
    private volatile boolean closing;

    private RawBaseline(BenchOptions options) {
        this.options = options;
    }

    /** Starts the raw server and connects every socket. */
    static RawBaseline open(BenchOptions options) throws BenchFailure {
        RawBaseline bed = new RawBaseline(options);
        try {
            bed.setUp();
            return bed;
        } catch (BenchFailure | RuntimeException e) {
            bed.close();
            throw e;
        }
    }

    private void setUp() throws BenchFailure {
        serverVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.serverLoops()));
        RawServer server = new RawServer(serverVertx, options.workload(), options.serverLoops());
        await(server.start().toCompletionStage().toCompletableFuture(), SETUP_TIMEOUT, "the raw server to start");
        clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.clientLoops()));
        client = clientVertx.createNetClient(new NetClientOptions()
                .setConnectTimeout((int) ClientOptions.DEFAULT_CONNECT_TIMEOUT.toMillis())
                .setTcpNoDelay(true));
        boolean echoes = options.workload() == Workload.PINGPONG;
        for (int c = 0; c < options.connections(); c++) {
            CompletableFuture<RawConnection> connected = new CompletableFuture<>();
            client.connect(server.port(), BenchOptions.EMBEDDED_HOST).onComplete(ar -> {
                if (ar.failed()) {
                    connected.completeExceptionally(ar.cause());
                } else {
                    connected.complete(new RawConnection(ar.result(), options.channels(), echoes, this));
                }
            });
            RawConnection connection = await(connected, SETUP_TIMEOUT, "raw connection to port " + server.port());
            connections.add(connection);
            lanes.addAll(connection.lanes());
            reporters.add(connection.lanes().get(0));
        }
    }

    boolean closing() {
        return closing;
    }

    void fail(String reason) {
        failure.completeExceptionally(new IllegalStateException(reason));
    }

    @Override
    public List<Lane> lanes() {
        return lanes;
    }

    @Override
    public List<Lane> reporters() {
        return reporters;
    }

    @Override
    public CompletableFuture<Void> failure() {
        return failure;
    }

    @Override
    public void close() {
        closing = true;
        connections.forEach(RawConnection::close);
        if (client != null) {
            client.close().toCompletionStage().toCompletableFuture().join();
        }
        if (clientVertx != null) {
            clientVertx.close().toCompletionStage().toCompletableFuture().join();
        }
        if (serverVertx != null) {
            serverVertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }
}
