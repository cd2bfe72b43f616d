package org.dapstream.bench;

import java.util.List;

/** {@code --acks}: whether the client offers acknowledgements (the node always accepts them, as a node does by default). */
public enum Acknowledging {
    /** The client's default: not offered. */
    OFF("off"),
    ON("on"),
    /** Off first as the baseline, then on, and the ratio acknowledged/unacknowledged, in one run. */
    BOTH("both");

    private final String option;

    Acknowledging(String option) {
        this.option = option;
    }

    public String option() {
        return option;
    }

    /** The phases a run of this choice has, in order. */
    List<Acknowledging> phases() {
        return this == BOTH ? List.of(OFF, ON) : List.of(this);
    }

    static Acknowledging parse(String value) throws OptionException {
        return switch (value) {
            case "on" -> ON;
            case "off" -> OFF;
            case "both" -> BOTH;
            default -> throw new OptionException("--acks: '" + value + "' is not on, off or both");
        };
    }
}
