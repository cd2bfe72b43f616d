package org.dapstream.bench;

import java.io.PrintStream;

/** The load generator (placeholder entry; the real one is being written). */
public final class Bench {
    private Bench() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        err.println("bench: not yet implemented");
        return 2;
    }
}
