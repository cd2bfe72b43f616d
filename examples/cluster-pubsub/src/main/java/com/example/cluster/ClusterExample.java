package com.example.cluster;

import org.dapstream.client.ClientOptions;
import org.dapstream.client.ClusterChannel;
import org.dapstream.client.StreamClient;
import org.dapstream.protocol.NodeAddress;
import org.dapstream.stream.Stream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A subscriber and a publisher of one named cluster. Run them against two member nodes of a
 * node cluster (or both against one node): what the publisher publishes on its node reaches
 * the subscriber on the other, through the link between the nodes.
 *
 * <pre>
 * java -jar target/cluster-pubsub.jar subscribe 127.0.0.1:8079 prices 5
 * java -jar target/cluster-pubsub.jar publish   127.0.0.1:8179 prices 5
 * </pre>
 *
 * {@code subscribe} joins the cluster, prints each message and exits after {@code count} of
 * them. {@code publish} joins too, waits until the cluster has a member besides itself (on any
 * node), then publishes {@code count} messages. Both exit with status 1 when a wait runs out.
 */
public final class ClusterExample {
    /** Every wait of the example is bounded by this. */
    private static final long TIMEOUT_SECONDS = 30;
    /** How often the publisher asks how many members the cluster has while it waits for a subscriber. */
    private static final long MEMBER_POLL_MILLIS = 100;

    private ClusterExample() {
    }

    public static void main(String[] args) {
        if (args.length != 4 || !(args[0].equals("subscribe") || args[0].equals("publish"))) {
            System.err.println("usage: cluster-pubsub subscribe|publish HOST:PORT CLUSTER COUNT");
            System.exit(2);
        }
        String[] endpoint = args[1].split(":", 2);
        String cluster = args[2];
        int count = Integer.parseInt(args[3]);
        try (StreamClient client = new StreamClient(ClientOptions.defaults())) {
            Stream stream = client.connect(endpoint[0], Integer.parseInt(endpoint[1])).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (args[0].equals("subscribe")) {
                subscribe(stream, cluster, count);
            } else {
                publish(stream, cluster, count);
            }
            stream.close();
            stream.closed().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("failed: " + e);
            System.exit(1);
        }
    }

    private static void subscribe(Stream stream, String cluster, int count) throws Exception {
        CountDownLatch received = new CountDownLatch(count);
        ClusterChannel members = ClusterChannel.open(stream, new ClusterChannel.Listener() {
            @Override
            public void message(String name, NodeAddress origin, int publisher, long seq, ByteBuffer payload, boolean balanced) {
                // On the stream's event loop: never block here. The payload is lent for the call.
                String text = StandardCharsets.UTF_8.decode(payload).toString();
                System.out.println(name + " #" + seq + " from " + origin + "/" + publisher + ": " + text);
                received.countDown();
            }

            @Override
            public void gap(String name, long missed) {
                System.out.println(name + ": missed " + missed + " messages (this subscriber read too slowly)");
            }
        }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        ClusterChannel.Joined joined = members.join(cluster).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        System.out.println("joined " + cluster + " on node " + stream.node() + " (" + joined.members() + " members)");
        if (!received.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("received " + (count - received.getCount()) + " of " + count + " messages");
        }
        System.out.println("received " + count + " messages");
    }

    private static void publish(Stream stream, String cluster, int count) throws Exception {
        ClusterChannel members = ClusterChannel.open(stream, (name, origin, publisher, seq, payload, balanced) -> {
            // a publisher that is a member receives its own messages too; this one ignores them
        }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        // Joining again is answered with the cluster's current member count (every node's members):
        // wait until another node has told this one of a subscriber.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        long seen = members.join(cluster).get(TIMEOUT_SECONDS, TimeUnit.SECONDS).members();
        while (seen < 2) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no subscriber of " + cluster + " within " + TIMEOUT_SECONDS + " s");
            }
            Thread.sleep(MEMBER_POLL_MILLIS);
            seen = members.join(cluster).get(TIMEOUT_SECONDS, TimeUnit.SECONDS).members();
        }
        System.out.println("publishing to " + cluster + " on node " + stream.node() + " (" + seen + " members)");
        for (int i = 1; i <= count; i++) {
            if (!members.publish(cluster, ("price " + i).getBytes(StandardCharsets.UTF_8))) {
                members.channel().whenWritable().get(TIMEOUT_SECONDS, TimeUnit.SECONDS); // back-pressure
            }
        }
        members.channel().close().get(TIMEOUT_SECONDS, TimeUnit.SECONDS); // sends what is queued first, then CLOSE
        System.out.println("published " + count + " messages");
    }
}
