package org.dapstream.bench;

import java.util.List;

/** {@code --security}: which kind of stream a run measures. */
public enum Security {
    /** Secure handshake and encrypted frames: the product's default. */
    ON("on"),
    /** Plaintext HELLO/WELCOME and frames: the bare engine. */
    OFF("off"),
    /** Plaintext first as the baseline, then secure, and the ratio secure/plaintext, in one run. */
    BOTH("both");

    private final String option;

    Security(String option) {
        this.option = option;
    }

    /** The spelling on the command line and in result lines. */
    public String option() {
        return option;
    }

    /** The settings of the phases, in the order they run (baseline first). */
    List<Security> phases() {
        return this == BOTH ? List.of(OFF, ON) : List.of(this);
    }
}
