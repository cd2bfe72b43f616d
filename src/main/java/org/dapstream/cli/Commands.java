package org.dapstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * What every command of the command line shares: exit statuses, where usage and errors go, and
 * how a wrong command line is answered. A mistyped command or option prints what was not
 * understood, picocli's closest matches and the usage; a bad option value prints the option,
 * the value and what to give instead, then where the usage is. Both exit {@link #EXIT_USAGE}.
 * {@code --help} prints the usage and also exits {@link #EXIT_USAGE}: a script that asked for
 * usage did not run anything, so it must not read the result as a success.
 */
public final class Commands {
    /** Exit status: the command did what it was asked. */
    public static final int EXIT_OK = 0;
    /** Exit status: the command ran and failed (a node unreachable, a file not written); the reason is printed. */
    public static final int EXIT_FAILED = 1;
    /** Exit status: the command line is wrong, or only usage was asked for; nothing ran. */
    public static final int EXIT_USAGE = 2;
    /** The name users type, as in {@code java -jar quarkus-run.jar} (docs/CLI.md). */
    public static final String PROGRAM = "dap-stream";

    private Commands() {
    }

    /**
     * {@code command} ready to execute: usage and {@code --version} on {@code out}, errors on
     * {@code err}, {@link #EXIT_USAGE} for a wrong command line or {@code --help} on it and on
     * every subcommand added so far.
     */
    public static CommandLine configure(CommandLine command, PrintStream out, PrintStream err) {
        command.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        command.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        command.setParameterExceptionHandler(new UsageErrors());
        exitWithUsageStatus(command);
        return command;
    }

    private static void exitWithUsageStatus(CommandLine command) {
        command.getCommandSpec().exitCodeOnUsageHelp(EXIT_USAGE);
        command.getCommandSpec().exitCodeOnInvalidInput(EXIT_USAGE);
        command.getCommandSpec().exitCodeOnExecutionException(EXIT_FAILED);
        command.getSubcommands().values().forEach(Commands::exitWithUsageStatus);
    }

    /** Runs one command (a tool on its own, e.g. in tests) with {@code args}; returns its exit status. */
    public static int execute(Object command, PrintStream out, PrintStream err, String... args) {
        return configure(new CommandLine(command), out, err).execute(args);
    }

    /**
     * The version of this build, from the manifest of the application jar (Implementation-Title
     * {@value #PROGRAM}); {@code development build} outside the packaged jar.
     */
    public static String version() {
        String own = Commands.class.getPackage().getImplementationVersion();
        if (own != null) {
            return own;
        }
        try {
            // Quarkus's class loader does not define packages from manifests: find the jar's own.
            Enumeration<URL> manifests = Commands.class.getClassLoader().getResources("META-INF/MANIFEST.MF");
            while (manifests.hasMoreElements()) {
                try (InputStream in = manifests.nextElement().openStream()) {
                    Attributes main = new Manifest(in).getMainAttributes();
                    if (PROGRAM.equals(main.getValue(Attributes.Name.IMPLEMENTATION_TITLE))) {
                        return main.getValue(Attributes.Name.IMPLEMENTATION_VERSION);
                    }
                }
            }
        } catch (IOException e) {
            // no manifest to read: not the packaged jar
        }
        return "development build";
    }

    /** {@code --version}: this build and the JVM it runs on. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {PROGRAM + " " + version(),
                    "java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")"};
        }
    }

    /** A wrong command line: say what is wrong in the command's own terms, then where the usage is. */
    static final class UsageErrors implements IParameterExceptionHandler {
        @Override
        public int handleParseException(ParameterException e, String[] args) {
            CommandLine cmd = e.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            if (e instanceof UnmatchedArgumentException unmatched) {
                // A typo: the closest names, then the whole usage so the right one is in sight.
                unmatched.printSuggestions(err);
                cmd.usage(err);
            } else {
                err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
            }
            err.flush();
            return EXIT_USAGE;
        }
    }
}
