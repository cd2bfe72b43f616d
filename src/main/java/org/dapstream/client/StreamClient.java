package org.dapstream.client;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import org.dapstream.crypto.HandshakeSettings;
import org.dapstream.protocol.Features;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.HandshakeWorkers;
import org.dapstream.stream.LocalNode;
import org.dapstream.stream.ResumeTicket;
import org.dapstream.stream.Session;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamClock;
import org.dapstream.stream.StreamCounters;
import org.dapstream.stream.StreamListener;
import org.dapstream.stream.StreamRole;
import org.dapstream.stream.StreamSecurity;
import org.dapstream.transport.ByteConnection;
import org.dapstream.transport.TcpConnection;
import org.dapstream.transport.VertxTransport;
import org.dapstream.transport.WebSocketConnection;
import org.dapstream.transport.WebSocketFraming;
import org.dapstream.transport.WebSocketSettings;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * The Java client: dials a DAP Stream node and returns a set-up {@link Stream}, on which
 * the application opens channels ({@link Stream#openChannel}), writes, reads and closes.
 * No Quarkus; runs in any JVM application, on its own Vert.x instance or on one it is given.
 *
 * <pre>{@code
 * try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
 *     Stream stream = client.connect("127.0.0.1", 8079).get();
 *     Channel ch = stream.openChannel(ChannelType.ECHO, handler).get();
 *     ch.write(PacketType.DATA, bytes);
 * }
 * }</pre>
 *
 * <p>Over WebSocket the same stream runs on {@code ws://host:8080/stream} (or {@code wss://},
 * with the TLS settings of the {@link WebSocketClientOptions} given to the constructor):
 * {@code client.connect(URI.create("ws://127.0.0.1:8080/stream"))}.
 */
public final class StreamClient implements AutoCloseable {
    private final Vertx vertx;
    private final boolean ownsVertx;
    private final NetClient netClient;
    private final WebSocketClient webSocketClient;
    /** The WebSocket frame limit this client accepts from servers. */
    private final WebSocketSettings webSocket;
    private final ClientOptions options;
    private final StreamCounters counters = new StreamCounters();
    /** The port of a {@code ws://} URI without one. */
    static final int HTTP_PORT = 80;
    /** The port of a {@code wss://} URI without one. */
    static final int HTTPS_PORT = 443;
    private final ChannelRegistry services;
    /** The handshake's key generation, verification and signing, off the event loop the application may share. */
    private final HandshakeWorkers handshakeWorkers = HandshakeWorkers.defaults();

    /** A client on its own Vert.x instance, closed with the client. */
    public StreamClient(ClientOptions options) {
        this(options, new WebSocketClientOptions());
    }

    /**
     * A client on its own Vert.x instance whose WebSocket connections use {@code webSocket}:
     * its TLS settings ({@code setTrustOptions}, {@code setVerifyHost}, client certificates)
     * for {@code wss://}, its proxy and idle settings. The frame limit and compression are
     * set by the client.
     */
    public StreamClient(ClientOptions options, WebSocketClientOptions webSocket) {
        this(Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.eventLoops())), true, options, new ChannelRegistry(), webSocket);
    }

    /**
     * A client on the application's Vert.x.
     *
     * @param services handlers for channels the server opens towards this client
     */
    public StreamClient(Vertx vertx, ClientOptions options, ChannelRegistry services) {
        this(vertx, false, options, services, new WebSocketClientOptions());
    }

    /** A client on the application's Vert.x, its WebSocket connections with {@code webSocket} (see above). */
    public StreamClient(Vertx vertx, ClientOptions options, ChannelRegistry services, WebSocketClientOptions webSocket) {
        this(vertx, false, options, services, webSocket);
    }

    private StreamClient(Vertx vertx, boolean ownsVertx, ClientOptions options, ChannelRegistry services,
                         WebSocketClientOptions webSocketOptions) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.options = options;
        this.services = services;
        this.netClient = vertx.createNetClient(new NetClientOptions()
                .setConnectTimeout((int) options.connectTimeout().toMillis())
                .setTcpNoDelay(true));
        this.webSocket = WebSocketSettings.defaults();
        this.webSocketClient = vertx.createWebSocketClient(webSocket.applyTo(new WebSocketClientOptions(webSocketOptions)
                .setConnectTimeout((int) options.connectTimeout().toMillis())
                .setTcpNoDelay(true)));
    }

    /** Connects and completes with the stream once its setup is done. */
    public CompletableFuture<Stream> connect(String host, int port) {
        return connect(host, port, StreamListener.NONE);
    }

    public CompletableFuture<Stream> connect(String host, int port, StreamListener listener) {
        return connect(host, port, null, listener);
    }

    /**
     * Connects to a known node: the handshake fails with IDENTITY_MISMATCH unless the server
     * proves it is {@code expected} (its identity's address).
     */
    public CompletableFuture<Stream> connect(String host, int port, NodeAddress expected) {
        return connect(host, port, expected, StreamListener.NONE);
    }

    public CompletableFuture<Stream> connect(String host, int port, NodeAddress expected, StreamListener listener) {
        CompletableFuture<Stream> result = new CompletableFuture<>();
        StreamSecurity security = security(expected, result);
        if (result.isDone()) {
            return result;
        }
        netClient.connect(port, host).onComplete(ar -> {
            if (ar.failed()) {
                result.completeExceptionally(ar.cause());
                return;
            }
            bind(new TcpConnection(ar.result()), security, listener, result, null, null);
        });
        return result;
    }

    /**
     * A session that survives its connection (PROTOCOL.md section 32): connects like
     * {@link #connect(String, int)}, offering acknowledgements and resumption, and when the
     * connection is lost dials again and resumes the session, losing and repeating nothing. Fails
     * when the node does not agree resumption.
     */
    public CompletableFuture<ClientSession> connectSession(String host, int port, SessionOptions sessionOptions,
                                                           SessionListener listener) {
        return connectSession(List.of(new ClientSession.Endpoint(host, port).toString()), sessionOptions, listener);
    }

    /**
     * A session that may resume at any of {@code endpoints} ({@code host:port}, members of one
     * cluster that share a ticket key; PROTOCOL.md section 33): it begins at the first; after a
     * cut it dials where it ran, and after a failed attempt the next in the list. A GOAWAY that
     * names another member moves it there at once.
     */
    public CompletableFuture<ClientSession> connectSession(List<String> endpoints, SessionOptions sessionOptions,
                                                           SessionListener listener) {
        List<ClientSession.Endpoint> parsed = new ArrayList<>(endpoints.size());
        for (String e : endpoints) {
            parsed.add(ClientSession.Endpoint.parse(e));
        }
        ClientSession.Endpoint first = parsed.isEmpty() ? null : parsed.get(0);
        ClientSession session = new ClientSession(parsed,
                watch -> connect(first.host(), first.port(), null, watch, null, null),
                (at, ticket, old, watch) -> connect(at.host(), at.port(), null, watch, ticket, old),
                sessionOptions, listener);
        return session.start();
    }

    /** {@link #connectSession(String, int, SessionOptions, SessionListener)} with the default options and no listener. */
    public CompletableFuture<ClientSession> connectSession(String host, int port) {
        return connectSession(host, port, SessionOptions.defaults(), SessionListener.NONE);
    }

    /** A TCP stream; with {@code ticket}, one that resumes {@code session} instead of starting one. */
    CompletableFuture<Stream> connect(String host, int port, NodeAddress expected, StreamListener listener,
                                              ResumeTicket ticket, Session session) {
        CompletableFuture<Stream> result = new CompletableFuture<>();
        StreamSecurity security = security(expected, result);
        if (result.isDone()) {
            return result;
        }
        if (security == null) {
            result.completeExceptionally(new IllegalStateException("sessions resume in the secure handshake; a plaintext client has none"));
            return result;
        }
        StreamSecurity resuming = security.withHandshake(security.handshake().withFeatures(
                security.handshake().features() | Features.ACKS | Features.RESUMPTION));
        netClient.connect(port, host).onComplete(ar -> {
            if (ar.failed()) {
                result.completeExceptionally(ar.cause());
                return;
            }
            bind(new TcpConnection(ar.result()), resuming, listener, result, ticket, session);
        });
        return result;
    }

    /**
     * Connects over WebSocket: {@code ws://host[:port][/path]} or {@code wss://...} (TLS with
     * the settings given to the constructor); the path defaults to {@code /stream}. The same
     * handshake and stream as over TCP; completes once its setup is done.
     */
    public CompletableFuture<Stream> connect(URI uri) {
        return connect(uri, null, StreamListener.NONE);
    }

    /** Over WebSocket to a known node: the handshake fails with IDENTITY_MISMATCH unless the server proves it is {@code expected}. */
    public CompletableFuture<Stream> connect(URI uri, NodeAddress expected, StreamListener listener) {
        CompletableFuture<Stream> result = new CompletableFuture<>();
        WebSocketConnectOptions connect;
        try {
            connect = webSocketConnectOptions(uri);
        } catch (IllegalArgumentException e) {
            result.completeExceptionally(e);
            return result;
        }
        StreamSecurity security = security(expected, result);
        if (result.isDone()) {
            return result;
        }
        webSocketClient.connect(connect).onComplete(ar -> {
            if (ar.failed()) {
                result.completeExceptionally(ar.cause());
                return;
            }
            WebSocket ws = ar.result();
            if (!WebSocketFraming.SUBPROTOCOL.equals(ws.subProtocol())) {
                ws.close(WebSocketFraming.CLOSE_PROTOCOL_ERROR, "subprotocol " + WebSocketFraming.SUBPROTOCOL + " not selected");
                result.completeExceptionally(new IllegalStateException(uri + " did not select the WebSocket subprotocol "
                        + WebSocketFraming.SUBPROTOCOL + " (selected: " + ws.subProtocol() + "); is it a DAP Stream node?"));
                return;
            }
            bind(new WebSocketConnection(ws, webSocket.maxMessageSize()), security, listener, result, null, null);
        });
        return result;
    }

    /** Where a {@code ws://} or {@code wss://} URI points, with the subprotocol offered. */
    static WebSocketConnectOptions webSocketConnectOptions(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        boolean tls = switch (scheme) {
            case "ws" -> false;
            case "wss" -> true;
            default -> throw new IllegalArgumentException(uri + ": a WebSocket URI starts with ws:// or wss://");
        };
        if (uri.getHost() == null) {
            throw new IllegalArgumentException(uri + ": no host");
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? WebSocketSettings.DEFAULT_PATH : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        return new WebSocketConnectOptions()
                .setHost(uri.getHost())
                .setPort(uri.getPort() >= 0 ? uri.getPort() : tls ? HTTPS_PORT : HTTP_PORT)
                .setSsl(tls)
                .setURI(path)
                .addSubProtocol(WebSocketFraming.SUBPROTOCOL);
    }

    /** The handshake settings for one dial; fails {@code result} when a plaintext client is asked to verify a peer. */
    private StreamSecurity security(NodeAddress expected, CompletableFuture<Stream> result) {
        HandshakeSettings settings = options.security();
        if (expected != null && settings == null) {
            result.completeExceptionally(new IllegalArgumentException("a plaintext client cannot verify the server's address "
                    + expected + "; enable security"));
            return null;
        }
        return settings == null ? null
                : StreamSecurity.of(expected == null ? settings : settings.withExpectedPeer(expected)).withWork(handshakeWorkers);
    }

    private void bind(ByteConnection connection, StreamSecurity security, StreamListener listener, CompletableFuture<Stream> result,
                      ResumeTicket ticket, Session session) {
        Stream stream = new VertxTransport(connection).bind(t -> {
            Stream s = new Stream(StreamRole.CONNECTOR, t,
                    new LocalNode(options.stream(), StreamClock.SYSTEM, services, null, options.node(), counters, security), listener);
            if (ticket != null) {
                s.resumeWith(ticket, session);
            }
            return s;
        });
        stream.ready().whenComplete((s, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(s);
            }
        });
    }

    /** Counters over every stream of this client. */
    public StreamCounters counters() {
        return counters;
    }

    public ClientOptions options() {
        return options;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Closes the connections (abruptly; close streams first for an orderly end) and, if owned, the Vert.x instance. */
    @Override
    public void close() {
        netClient.close().toCompletionStage().toCompletableFuture().join();
        webSocketClient.close().toCompletionStage().toCompletableFuture().join();
        handshakeWorkers.close();
        if (ownsVertx) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }
}
