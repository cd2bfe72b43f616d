package org.dapstream.bench;

import java.util.List;

/** {@code --compression}: whether channels offer adaptive LZ4. */
public enum Compression {
    /** The product's default: offered, used when it pays. */
    ON("on"),
    OFF("off"),
    /** Off first as the baseline, then on, and the ratio compressed/uncompressed, in one run. */
    BOTH("both");

    private final String option;

    Compression(String option) {
        this.option = option;
    }

    public String option() {
        return option;
    }

    static Compression parse(String value) throws OptionException {
        return switch (value) {
            case "on" -> ON;
            case "off" -> OFF;
            case "both" -> BOTH;
            default -> throw new OptionException("--compression: '" + value + "' is not on, off or both");
        };
    }

    List<Compression> phases() {
        return this == BOTH ? List.of(OFF, ON) : List.of(this);
    }
}
