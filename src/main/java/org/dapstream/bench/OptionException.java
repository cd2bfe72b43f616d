package org.dapstream.bench;

/** A command line the load generator cannot run; the message says what to fix. */
public final class OptionException extends Exception {
    public OptionException(String message) {
        super(message);
    }
}
