package com.example.client;

import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.ChannelType;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.PacketType;
import org.dapstream.stream.Channel;
import org.dapstream.stream.ChannelHandler;
import org.dapstream.stream.Packet;
import org.dapstream.stream.Stream;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Connects to a node (secure handshake, every frame encrypted) and shows three ways to use a
 * channel, each on the node's built-in ECHO service:
 * <ol>
 * <li>echo: one message out, the same message back (push mode: a handler on the event loop);</li>
 * <li>back-pressure: many large messages from this thread, pausing whenever {@code write}
 * says so, until every one has come back in order;</li>
 * <li>pull mode: the echoes wait in the channel until this thread reads them.</li>
 * </ol>
 * Usage: {@code java -jar target/plain-client.jar [host] [port]} (default 127.0.0.1 8079).
 * Exits with status 0 when everything came back, 1 otherwise.
 */
public final class ClientExample {
    /** Every wait of the example is bounded by this. */
    private static final long TIMEOUT_SECONDS = 30;
    /** Back-pressure: this many messages of MESSAGE_BYTES, far more than the channel's 1 MiB send buffer. */
    private static final int MESSAGES = 2_000;
    private static final int MESSAGE_BYTES = 16 * 1024;
    /** Pull mode: this many small messages. */
    private static final int PULLED = 10;

    private ClientExample() {
    }

    public static void main(String[] args) {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8079;
        try {
            run(host, port);
        } catch (Exception e) {
            System.err.println("failed: " + e);
            System.exit(1);
        }
    }

    private static void run(String host, int port) throws Exception {
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
            Stream stream = client.connect(host, port).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            System.out.println("connected to node " + stream.node() + " (" + stream.suite() + ")");
            echo(stream);
            backPressure(stream);
            pullMode(stream);
            stream.close(); // CLOSE on channel 0, answered by the node
            CloseReason end = stream.closed().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            System.out.println("stream closed: " + end);
        }
    }

    /** Push mode: the handler is called on the stream's event loop with a buffer lent for the call. */
    private static void echo(Stream stream) throws Exception {
        LinkedBlockingQueue<String> echoes = new LinkedBlockingQueue<>();
        Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                echoes.add(StandardCharsets.UTF_8.decode(data).toString()); // copy: data is lent
            }
        }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        echo.write(PacketType.DATA, "hello".getBytes(StandardCharsets.UTF_8));
        String answer = echoes.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!"hello".equals(answer)) {
            throw new IllegalStateException("echo answered " + answer);
        }
        System.out.println("echo: " + answer);
        echo.close().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Writes numbered messages from this thread. {@code write} returning {@code false} means
     * "accepted, but stop": the channel's queue is full because the node grants credit only as
     * fast as it echoes. {@code whenWritable()} completes when writing may go on.
     */
    private static void backPressure(Stream stream) throws Exception {
        AtomicLong next = new AtomicLong();
        AtomicLong outOfOrder = new AtomicLong();
        Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void packetIn(Channel channel, PacketType type, ByteBuffer data) {
                long number = data.order(ByteOrder.LITTLE_ENDIAN).getLong(data.position());
                if (number != next.getAndIncrement()) {
                    outOfOrder.incrementAndGet();
                }
            }
        }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        long heldBack = 0;
        long start = System.nanoTime();
        for (int i = 0; i < MESSAGES; i++) {
            byte[] message = new byte[MESSAGE_BYTES];
            ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN).putLong(i);
            if (!echo.write(PacketType.DATA, message)) {
                heldBack++;
                echo.whenWritable().get(TIMEOUT_SECONDS, TimeUnit.SECONDS); // never on the event loop
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (next.get() < MESSAGES && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (next.get() != MESSAGES || outOfOrder.get() != 0) {
            throw new IllegalStateException("back-pressure: " + next.get() + " of " + MESSAGES + " echoed, "
                    + outOfOrder.get() + " out of order");
        }
        System.out.println("back-pressure: " + MESSAGES + " messages of " + MESSAGE_BYTES + " bytes echoed in order in "
                + millis + " ms; write said wait " + heldBack + " times");
        echo.close().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Pull mode: packets wait, copied, in the channel until {@code read()} takes them (from any
     * thread); the node's sender stops once the channel window is used up. {@code readyToRead}
     * fires on the loop when the buffer goes from empty to not empty.
     */
    private static void pullMode(Stream stream) throws Exception {
        Semaphore readable = new Semaphore(0);
        Channel echo = stream.openChannel(ChannelType.ECHO, new ChannelHandler() {
            @Override
            public void opened(Channel channel) {
                channel.pullMode(true); // before the first packet can arrive
            }

            @Override
            public void readyToRead(Channel channel) {
                readable.release();
            }
        }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        for (int i = 0; i < PULLED; i++) {
            echo.write(PacketType.DATA, ("message " + i).getBytes(StandardCharsets.UTF_8));
        }
        int read = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (read < PULLED && System.nanoTime() < deadline) {
            readable.tryAcquire(100, TimeUnit.MILLISECONDS);
            for (Packet p; (p = echo.read()) != null; ) {
                System.out.println("pulled: " + new String(p.data(), StandardCharsets.UTF_8));
                read++;
            }
        }
        if (read != PULLED) {
            throw new IllegalStateException("pull mode: read " + read + " of " + PULLED);
        }
        System.out.println("pull mode: read " + read + " messages");
        echo.close().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
