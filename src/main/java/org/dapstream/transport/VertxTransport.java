package org.dapstream.transport;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import org.dapstream.protocol.ErrorCode;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamTransport;

import java.nio.ByteBuffer;
import java.util.function.Function;

/**
 * A {@link Stream} over a {@link ByteConnection} on a Vert.x event loop: the part of a
 * transport that is the same for every binding (TCP: {@link TcpConnection}). Timers and
 * tasks run on the event loop the connection was made on. Writes are encoded straight into
 * the connection's {@link WriteBatch}, so the frames of one event-loop turn leave in one
 * write; inbound bytes are lent to the stream as the binding reports them.
 */
public final class VertxTransport implements StreamTransport, ByteConnection.Events {
    /**
     * How long a closing connection may take to hand its last frames (ERROR or CLOSE after
     * what was queued) to a peer before it is closed without them: 5 s.
     */
    public static final long CLOSE_LINGER_MILLIS = 5_000;

    private final ByteConnection connection;
    private final ContextInternal context;
    private final String remote;
    private Stream stream;
    private final WriteBatch batch;
    private ByteBuf claimed;
    private int claimedAt;
    private boolean closed;
    /** Runs once, after the read that completed the stream's first frame; null once run (or when unset). */
    private Runnable firstFrame;
    /** The linger timer of a close in progress, or -1; cancelled once the connection is closed so nothing keeps this transport. */
    private long lingerTimer = -1;

    /** Call on the connection's event loop (in the connect or accept handler). */
    public VertxTransport(ByteConnection connection) {
        this.connection = connection;
        this.context = (ContextInternal) Vertx.currentContext();
        if (context == null || !context.inThread()) {
            throw new IllegalStateException("a transport is made on its connection's event loop");
        }
        this.remote = connection.remoteAddress();
        this.batch = new WriteBatch(connection.batchTarget());
    }

    /**
     * What to run once the stream has received its first complete frame (the server's
     * admission learns the connection is no longer a cheap partial one). Set before {@link #bind}.
     */
    public void onFirstFrame(Runnable task) {
        this.firstFrame = task;
    }

    /** Builds the stream for this transport and wires the connection's events to it. */
    public Stream bind(Function<StreamTransport, Stream> factory) {
        this.stream = factory.apply(this);
        connection.start(this);
        stream.start();
        return stream;
    }

    @Override
    public void bytes(ByteBuffer bytes) {
        stream.onBytes(bytes);
        // Looked at only until the first frame is in: one null test per read after that.
        if (firstFrame != null && stream.stats().packetsReceived() > 0) {
            Runnable task = firstFrame;
            firstFrame = null;
            task.run();
        }
    }

    @Override
    public void writable() {
        stream.onWritable();
    }

    @Override
    public void closed() {
        closed = true;
        if (lingerTimer >= 0) {
            context.owner().cancelTimer(lingerTimer);
        }
        batch.discard();
        stream.onTransportClosed();
    }

    @Override
    public void failed(ErrorCode code, String reason) {
        stream.abort(code, reason);
    }

    @Override
    public ByteBuffer claim(int bytes) {
        claimed = batch.claim(bytes);
        claimedAt = claimed.writerIndex();
        return claimed.internalNioBuffer(claimedAt, bytes);
    }

    @Override
    public void commit(int bytes) {
        claimed.writerIndex(claimedAt + bytes);
        claimed = null;
        batch.committed();
    }

    @Override
    public boolean writeQueueFull() {
        return batch.writeQueueFull();
    }

    @Override
    public long queuedBytes() {
        return batch.queuedBytes();
    }

    @Override
    public void pauseReading() {
        connection.pauseReading();
    }

    @Override
    public void resumeReading() {
        connection.resumeReading();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        batch.flushAndClose().onComplete(ar -> connection.close());
        // A peer that does not read never lets that write (nor the binding's close, which waits
        // for it) complete: past the linger the connection is closed at once and its queue dropped.
        lingerTimer = context.setTimer(CLOSE_LINGER_MILLIS, id -> connection.abort());
    }

    @Override
    public void execute(Runnable task) {
        context.runOnContext(v -> task.run());
    }

    @Override
    public boolean inLoop() {
        return context.inThread();
    }

    @Override
    public Cancellable every(long periodMillis, Runnable task) {
        long timer = context.setPeriodic(periodMillis, id -> task.run());
        return () -> context.owner().cancelTimer(timer);
    }

    @Override
    public Cancellable after(long delayMillis, Runnable task) {
        long timer = context.setTimer(delayMillis, id -> task.run());
        return () -> context.owner().cancelTimer(timer);
    }

    @Override
    public String remoteAddress() {
        return remote;
    }
}
