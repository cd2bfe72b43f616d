package org.dapstream;

import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Entry point of the packaged application: the command line ({@link DapStreamCommand}). With
 * no arguments, or with {@code serve}, it runs the service; a tool's name ({@code keygen},
 * {@code bench}, {@code ping}, {@code channel}, {@code status}, {@code local-cluster}) runs that
 * tool instead, without starting the service, so a tool never binds the node's ports nor reads
 * or creates its identity file. Usage, a typo or a bad option value exit with status 2.
 */
@QuarkusMain
public final class DapStreamMain {
    DapStreamMain() {
    }

    public static void main(String... args) {
        // serve never returns here: Quarkus ends the process with the service's exit status.
        System.exit(DapStreamCommand.commandLine(System.out, System.err).execute(args));
    }
}
