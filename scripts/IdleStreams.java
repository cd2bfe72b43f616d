import org.dapstream.client.ClientOptions;
import org.dapstream.client.StreamClient;
import org.dapstream.stream.Stream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Opens N idle secure streams (full handshake, no channels) to host:port with the Java client
 * and keeps them open (the client's keepalives answer the node's) until killed. Prints
 * "open N" once all are set up. Used by scripts/startup-figures.sh for the memory figure.
 *
 * Run against the packaged app's classes (Java's single-file source launcher):
 *   java -cp "target/quarkus-app/app/*:target/quarkus-app/lib/main/*" scripts/IdleStreams.java HOST PORT N
 */
public class IdleStreams {
    /** Handshakes in flight at once: under the node's per-address cap (32 by default). */
    private static final int IN_FLIGHT = 16;

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: IdleStreams HOST PORT N");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        StreamClient client = new StreamClient(ClientOptions.defaults().withEventLoops(2));
        List<Stream> open = new ArrayList<>();
        List<CompletableFuture<Stream>> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(client.connect(host, port));
            if (batch.size() == IN_FLIGHT || i == n - 1) {
                for (CompletableFuture<Stream> f : batch) {
                    open.add(f.get(30, TimeUnit.SECONDS));
                }
                batch.clear();
            }
        }
        System.out.println("open " + open.size());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
