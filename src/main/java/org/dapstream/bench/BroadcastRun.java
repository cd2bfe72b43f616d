package org.dapstream.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.dapstream.client.ClientOptions;
import org.dapstream.client.ClusterChannel;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.CloseReason;
import org.dapstream.protocol.ClusterCodec;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.ChannelRegistry;
import org.dapstream.stream.Stream;
import org.dapstream.stream.StreamConfig;
import org.dapstream.stream.StreamListener;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Broadcast across a cluster of member nodes ({@code --mode broadcast}): starts the nodes
 * ({@link ClusterBed}), connects {@code --members} member sessions spread over them in turn
 * (real client streams, each a {@link ClusterChannel} joined to one named cluster) and one
 * publisher session on node 0, and publishes as fast as the node's back-pressure and the
 * in-flight window allow. Deliveries are counted at the members over the measured window;
 * then the publisher stops, every member must receive everything published (or be told of
 * what it missed), and each member's count is compared to the publisher's.
 */
final class BroadcastRun implements AutoCloseable {
    /** The named cluster of the run. */
    static final String CLUSTER = "bench";
    /** After the publisher stops, how long the members may take to receive the rest while they make progress. */
    static final Duration DRAIN_STALL = Duration.ofSeconds(10);
    /**
     * The read-silence timeout of the members' and the publisher's streams (both ends), instead
     * of the product's 3 s: on the shared 2-core machine (3 nodes and 31 clients in one JVM,
     * other work beside it) a stream has been seen to receive nothing for 3 s, which ended the
     * run. The bench measures delivery; such a stall shows in the maximum latency instead.
     */
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(30);
    /** How often the drain looks at the members. */
    static final Duration DRAIN_POLL = Duration.ofMillis(10);

    private final BenchOptions options;
    private final CompletableFuture<Void> failure = new CompletableFuture<>();
    private final List<BroadcastMember> members = new ArrayList<>();
    private final List<Stream> streams = new ArrayList<>();
    private final Set<Long> clientThreads = ConcurrentHashMap.newKeySet();
    private ClusterBed bed;
    private Vertx clientVertx;
    private StreamClient client;
    /** The publisher's client, on a loop of its own: a publisher is an application of its own, not one of the members. */
    private Vertx publisherVertx;
    private StreamClient publisherClient;
    private BroadcastPublisher publisher;
    private volatile boolean closing;

    private BroadcastRun(BenchOptions options) {
        this.options = options;
    }

    /** Sets up, runs and tears down one broadcast phase. */
    static BroadcastResult run(BenchOptions options) throws BenchFailure {
        return run(options, Progress.NONE);
    }

    /** {@link #run(BenchOptions)}, showing the warm-up and the measurement on {@code progress}. */
    static BroadcastResult run(BenchOptions options, Progress progress) throws BenchFailure {
        try (BroadcastRun run = new BroadcastRun(options)) {
            run.setUp();
            return run.measure(progress);
        } finally {
            progress.done();
        }
    }

    private void setUp() throws BenchFailure {
        bed = ClusterBed.start(options);
        clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.clientLoops()));
        client = new StreamClient(clientVertx, clientOptions(options), new ChannelRegistry());
        List<ClusterBed.Node> nodes = bed.nodes();
        List<CompletableFuture<Stream>> connecting = new ArrayList<>();
        List<Watch> watches = new ArrayList<>();
        for (int m = 0; m < options.members(); m++) {
            ClusterBed.Node node = nodes.get(m % nodes.size());
            Watch w = new Watch("member " + m + " (node " + node.index() + ")");
            watches.add(w);
            connecting.add(client.connect(node.host(), node.port(), w));
        }
        List<CompletableFuture<ClusterChannel.Joined>> joins = new ArrayList<>();
        for (int m = 0; m < options.members(); m++) {
            Stream s = await(connecting.get(m), "member " + m + "'s stream");
            streams.add(s);
            BroadcastMember member = new BroadcastMember(m % nodes.size(), watches.get(m).context);
            members.add(member);
            ClusterChannel channel = await(ClusterChannel.open(s, member), "member " + m + "'s CLUSTER channel");
            joins.add(channel.join(CLUSTER));
        }
        for (int m = 0; m < joins.size(); m++) {
            await(joins.get(m), "member " + m + " joining " + CLUSTER);
        }
        bed.awaitMembers(CLUSTER, options.members());
        Watch w = new Watch("the publisher");
        ClusterBed.Node first = nodes.get(0);
        publisherVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        publisherClient = new StreamClient(publisherVertx, clientOptions(options), new ChannelRegistry());
        Stream s = await(publisherClient.connect(first.host(), first.port(), w), "the publisher's stream");
        streams.add(s);
        ClusterChannel channel = await(ClusterChannel.open(s, new ClusterChannel.Listener() {
            @Override
            public void message(String cluster, NodeAddress origin, int publisher, long seq,
                    ByteBuffer payload, boolean balanced) {
                // the publisher is not a member
            }

            @Override
            public void refused(int code, String reason) {
                failure.completeExceptionally(new IllegalStateException("the node refused a publish: " + reason));
            }
        }), "the publisher's CLUSTER channel");
        long inFlight = options.inFlightMessages(ClusterCodec.MESSAGE_HEADER_SIZE);
        publisher = new BroadcastPublisher(channel, CLUSTER, w.context, options.payload().fill(options.size()), inFlight,
                options.rate(), members);
        ClusterBed.learnLoopThreads(clientVertx, clientThreads);
        ClusterBed.learnLoopThreads(publisherVertx, clientThreads);
    }

    /** The members' and the publisher's client: {@code bench}'s usual client, with {@link #KEEPALIVE_TIMEOUT}. */
    private static ClientOptions clientOptions(BenchOptions options) {
        ClientOptions base = StreamTestbed.clientOptions(options);
        return base.withStream(streamConfig(base.stream()));
    }

    /** {@code config} with the keepalive of a broadcast run's client streams. */
    static StreamConfig streamConfig(StreamConfig config) {
        return config.withKeepAlive(config.keepAliveInterval(), KEEPALIVE_TIMEOUT);
    }

    private BroadcastResult measure(Progress progress) throws BenchFailure {
        publisher.start();
        progress.step("broadcast", "warm-up", options.warmup(), null, null);
        pause(options.warmup());
        progress.step("broadcast", "measuring", options.duration(), null, null);
        Snapshot before = snapshot();
        members.forEach(m -> m.recording(true));
        pause(options.duration());
        progress.done();
        Snapshot after = snapshot();
        members.forEach(m -> m.recording(false));
        publisher.stop();
        long published = drain();
        LatencyRecorder latency = new LatencyRecorder();
        for (BroadcastMember m : members) {
            latency.add(await(m.latency(), "a member's latencies"));
        }
        long min = Long.MAX_VALUE;
        long max = 0;
        long gapNotices = 0;
        long gapMissed = 0;
        long outOfOrder = 0;
        long skipped = 0;
        long unexpected = 0;
        for (BroadcastMember m : members) {
            min = Math.min(min, m.received());
            max = Math.max(max, m.received());
            gapNotices += m.gapNotices();
            gapMissed += m.gapMissed();
            outOfOrder += m.outOfOrder();
            skipped += m.skipped();
            unexpected += m.unexpected();
        }
        long nodeGaps = 0;
        long nodeMissed = 0;
        for (ClusterBed.Node n : bed.nodes()) {
            nodeGaps += n.clusters().gapNotices();
            nodeMissed += n.clusters().missedDeliveries();
        }
        long[] nodeCpu = new long[before.nodeCpu.length];
        for (int i = 0; i < nodeCpu.length; i++) {
            nodeCpu[i] = after.nodeCpu[i] - before.nodeCpu[i];
        }
        return new BroadcastResult(options, after.received - before.received, after.published - before.published,
                after.nanos - before.nanos, latency, published, min, max, gapNotices, gapMissed, nodeGaps, nodeMissed,
                outOfOrder, skipped, unexpected, publisher.pressureWaits(), publisher.windowWaits(),
                options.inFlightMessages(ClusterCodec.MESSAGE_HEADER_SIZE),
                ProcessCpu.between(before.processCpu, after.processCpu), nodeCpu, after.clientCpu - before.clientCpu,
                JitTime.between(before.jit, after.jit));
    }

    /** What the counters say at one moment of the run. */
    private record Snapshot(long nanos, long received, long published, long processCpu, long[] nodeCpu, long clientCpu, long jit) {
    }

    private Snapshot snapshot() {
        long received = 0;
        for (BroadcastMember m : members) {
            received += m.received();
        }
        long nanos = System.nanoTime();
        long[] nodeCpu = new long[bed.nodes().size()];
        for (ClusterBed.Node n : bed.nodes()) {
            nodeCpu[n.index()] = ClusterBed.threadCpu(n.loopThreads());
        }
        return new Snapshot(nanos, received, publisher.published(), ProcessCpu.nanos(), nodeCpu,
                ClusterBed.threadCpu(clientThreads), JitTime.millis());
    }

    /**
     * After the publisher stopped: waits until every member has received or been told of each
     * message published, for as long as they make progress. Returns the messages published.
     */
    private long drain() throws BenchFailure {
        // The stop takes effect on the publisher's loop; a task queued behind it reads the final count.
        CompletableFuture<Long> last = new CompletableFuture<>();
        publisher.stopOnLoop(last);
        long published = await(last, "the publisher stopping");
        long progress = -1;
        long stillSince = System.nanoTime();
        while (true) {
            long done = 0;
            boolean all = true;
            for (BroadcastMember m : members) {
                long accounted = m.received() + m.gapMissed();
                done += accounted;
                all &= accounted >= published;
            }
            if (all) {
                return published;
            }
            if (done != progress) {
                progress = done;
                stillSince = System.nanoTime();
            } else if (System.nanoTime() - stillSince > DRAIN_STALL.toNanos()) {
                throw new BenchFailure("the members stopped receiving: " + done + " of " + published * members.size()
                        + " deliveries accounted for after the publisher stopped");
            }
            pause(DRAIN_POLL);
        }
    }

    private <T> T await(CompletableFuture<T> f, String what) throws BenchFailure {
        return Testbed.await(f, failure, Testbed.SETUP_TIMEOUT, what);
    }

    /** Lets {@code time} pass, failing early when a stream ends. */
    private void pause(Duration time) throws BenchFailure {
        Testbed.pause(failure, time);
    }

    /** Learns a client stream's loop and reports its unexpected end as the run's failure. */
    private final class Watch implements StreamListener {
        final String who;
        volatile Context context;

        Watch(String who) {
            this.who = who;
        }

        @Override
        public void active(Stream stream) {
            context = Vertx.currentContext();
        }

        @Override
        public void closed(Stream stream, CloseReason reason) {
            if (!closing) {
                failure.completeExceptionally(new IllegalStateException(who + "'s " + stream + " ended: " + reason));
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        if (publisher != null) {
            publisher.stop();
        }
        List<CompletableFuture<CloseReason>> closed = new ArrayList<>();
        for (Stream s : streams) {
            s.close();
            closed.add(s.closed());
        }
        try {
            CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new)).get(Testbed.CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // An unanswered CLOSE: closing the client drops the connections anyway.
        }
        if (client != null) {
            client.close();
        }
        if (clientVertx != null) {
            clientVertx.close().toCompletionStage().toCompletableFuture().join();
        }
        if (publisherClient != null) {
            publisherClient.close();
        }
        if (publisherVertx != null) {
            publisherVertx.close().toCompletionStage().toCompletableFuture().join();
        }
        if (bed != null) {
            bed.close();
        }
    }
}
