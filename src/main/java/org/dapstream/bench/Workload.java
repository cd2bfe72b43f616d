package org.dapstream.bench;

/** What the load generator measures. */
public enum Workload {
    /** Producers stream DATA to a discard receiver; throughput is counted at the receiver. */
    ONEWAY("oneway"),
    /** Each message is echoed; the round trip goes into a latency histogram. */
    PINGPONG("pingpong"),
    /** Connectors loop connect -> ready -> close; setups per second and connect-to-ready latency. */
    HANDSHAKE("handshake"),
    /** One publisher broadcasts to the members of a named cluster across member nodes; deliveries are counted at the members. */
    BROADCAST("broadcast");

    private final String option;

    Workload(String option) {
        this.option = option;
    }

    /** The spelling on the command line and in result lines. */
    public String option() {
        return option;
    }
}
