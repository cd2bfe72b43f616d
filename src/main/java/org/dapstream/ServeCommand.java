package org.dapstream;

import io.quarkus.runtime.Quarkus;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code serve}: runs the node, the Quarkus service, until it is stopped. Configured as any
 * Quarkus application (application.properties, {@code -Dkey=value}, environment variables;
 * docs/OPERATIONS.md); it takes no options of its own.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Runs the node (the default command) until SIGTERM or Ctrl-C, which drain its streams.",
            "Configuration: application.properties, -Dkey=value before -jar, or environment variables (docs/OPERATIONS.md)."})
final class ServeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        ShutdownSignals.install();
        // Returns only if Quarkus does not end the process itself (it does, with the service's status).
        Quarkus.run();
        return 0;
    }
}
