package org.dapstream.peers;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Drainable;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;

/**
 * gRPC-java over plaintext HTTP/2 (Netty, shaded), with its default windows: one
 * client-streaming call carries the messages, sent while the call {@code isReady()} (gRPC's
 * flow control, so nothing queues without bound), and a unary call returns the counts.
 * Messages are {@code byte[]} through a marshaller that hands gRPC the array whole, as a
 * generated protobuf marshaller would (a known length, drained in one write); no codegen.
 * Both sides run their callbacks on the Netty event loop ({@code directExecutor}), as gRPC's
 * own benchmarks can, and as DAP Stream runs its handlers.
 */
final class GrpcPeer implements PeerBench.Peer {
    private static final String SERVICE = "dapstream.peers.Sink";
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new Bytes();
    static final MethodDescriptor<byte[], byte[]> PUSH = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Push"))
            .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    static final MethodDescriptor<byte[], byte[]> REPORT = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Report"))
            .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();

    private Server server;

    @Override
    public void serve(int port) throws IOException {
        Report.Counters counters = new Report.Counters();
        ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
                .addMethod(PUSH, ServerCalls.asyncClientStreamingCall(response -> new StreamObserver<byte[]>() {
                    @Override
                    public void onNext(byte[] message) {
                        counters.received(message.length);
                    }

                    @Override
                    public void onError(Throwable t) {
                        // the client went away at the end of its run
                    }

                    @Override
                    public void onCompleted() {
                        response.onNext(new byte[0]);
                        response.onCompleted();
                    }
                }))
                .addMethod(REPORT, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(counters.now().encode());
                    response.onCompleted();
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port), InsecureServerCredentials.create())
                .directExecutor()
                .addService(service)
                .build()
                .start();
    }

    @Override
    public Report.Window measure(String host, int port, byte[] payload, long warmupNanos, long durationNanos) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress(host, port, InsecureChannelCredentials.create())
                .directExecutor()
                .build();
        ClientCall<byte[], byte[]> call = channel.newCall(PUSH, CallOptions.DEFAULT);
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onReady() {
                // On the event loop: send while the transport's flow control has room.
                while (call.isReady()) {
                    call.sendMessage(payload);
                }
            }
        }, new Metadata());
        call.request(1);
        try {
            return Report.Window.measure(() -> Report.decode(ClientCalls.blockingUnaryCall(channel, REPORT, CallOptions.DEFAULT, new byte[0])),
                    warmupNanos, durationNanos);
        } finally {
            channel.shutdownNow();
        }
    }

    /** A {@code byte[]} as a gRPC message: the array itself, with its length known. */
    private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new WholeArray(value);
        }

        @Override
        public byte[] parse(InputStream in) {
            try {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Lets gRPC size the message up front and copy it in one write, as protobuf's stream does. */
    private static final class WholeArray extends ByteArrayInputStream implements KnownLength, Drainable {
        WholeArray(byte[] b) {
            super(b);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
