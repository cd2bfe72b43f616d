package org.dapstream.cli;

import org.dapstream.crypto.IdentityFile;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code keygen [--algorithm ml-dsa-65|ed25519] [--out FILE]}: makes a new node identity.
 * With {@code --out} it writes the PEM file (owner-only, never over an existing file) and
 * prints the node address and public key. Without it the PEM goes to stdout, so
 * {@code keygen > node.pem} captures just the key, and the address and public key go to
 * stderr. The private key is printed only as that PEM, never in the summary lines.
 */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = {"Generates a new node identity (a long-term signing key pair).",
            "Without --out the PEM is printed to stdout (refused when stdout is a file others can read) and the address "
                    + "and public key to stderr."})
public final class Keygen implements Callable<Integer> {
    /** Exit status: the identity was made. */
    public static final int EXIT_OK = Commands.EXIT_OK;
    /** Exit status: writing failed (file exists, no permission); the reason is printed. */
    public static final int EXIT_FAILED = Commands.EXIT_FAILED;
    /** Exit status: the options are wrong; the message says what to fix. */
    public static final int EXIT_USAGE = Commands.EXIT_USAGE;

    /** Where Linux shows the file behind this process's stdout. */
    private static final Path STDOUT_LINK = Path.of("/proc/self/fd/1");
    private static final Set<PosixFilePermission> READABLE_BY_OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.OTHERS_READ);

    @Spec
    CommandSpec spec;

    @Option(names = "--algorithm", paramLabel = "ALG", converter = AlgorithmConverter.class,
            description = "ml-dsa-65 (default, post-quantum) or ed25519")
    SignatureAlgorithm algorithm = SignatureAlgorithm.ML_DSA_65;

    @Option(names = "--out", paramLabel = "FILE",
            description = "write the private key there as PEM PKCS#8, owner-only (0600); refuses to overwrite an existing file")
    String out;

    private final PrintStream stdout;
    private final PrintStream stderr;
    private final Path stdoutFile;

    /** Prints to the process's stdout and stderr; a private key for stdout is checked against the file behind it. */
    public Keygen() {
        this(System.out, System.err);
    }

    public Keygen(PrintStream out, PrintStream err) {
        this(out, err, out == System.out ? STDOUT_LINK : null);
    }

    /**
     * @param outFile the file behind {@code out} when known (null: a terminal, a pipe, or not
     *                known), checked before a private key is printed there
     */
    Keygen(PrintStream out, PrintStream err, Path outFile) {
        this.stdout = out;
        this.stderr = err;
        this.stdoutFile = outFile;
    }

    /** Runs {@code keygen} with the arguments after the word; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Commands.execute(new Keygen(out, err), out, err, args);
    }

    static int run(String[] args, PrintStream out, PrintStream err, Path outFile) {
        return Commands.execute(new Keygen(out, err, outFile), out, err, args);
    }

    @Override
    public Integer call() {
        Path file = null;
        if (out != null) {
            if (out.isBlank()) {
                throw new ParameterException(spec.commandLine(), "--out needs a file name, got '" + out + "'");
            }
            file = Path.of(out);
        }
        if (file == null && stdoutFile != null) {
            String refusal = readableByOthers(stdoutFile);
            if (refusal != null) {
                stderr.println("keygen: " + refusal);
                return EXIT_USAGE;
            }
        }
        SignatureAlgorithm alg = algorithm;
        try (NodeIdentity id = NodeIdentity.generate(alg, new SecureRandom())) {
            PrintStream summary = stdout;
            if (file != null) {
                IdentityFile.write(id, file);
                stdout.println("wrote " + file + " (" + alg.configName() + ", owner-only)");
            } else {
                stdout.print(IdentityFile.toPem(id));
                summary = stderr;
            }
            summary.println("node address: " + id.address());
            summary.println("public key (" + alg.configName() + ", " + alg.publicKeySize() + " bytes): "
                    + HexFormat.of().formatHex(id.publicKey()));
            return EXIT_OK;
        } catch (FileAlreadyExistsException e) {
            stderr.println("keygen: " + file + " already exists; refusing to overwrite a node identity (choose another --out or remove it first)");
            return EXIT_FAILED;
        } catch (IOException e) {
            stderr.println("keygen: could not write " + file + ": " + e);
            return EXIT_FAILED;
        }
    }

    /** {@code --algorithm}: the names of {@link SignatureAlgorithm#parse}, its message on a wrong one. */
    static final class AlgorithmConverter implements ITypeConverter<SignatureAlgorithm> {
        @Override
        public SignatureAlgorithm convert(String value) {
            try {
                return SignatureAlgorithm.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /**
     * Why the private key must not go to {@code stdout} ({@code keygen > node.pem} creates the
     * file with the umask, usually world-readable), or null: not a regular file (a terminal or a
     * pipe), no POSIX permissions to tell, or readable by its owner only.
     */
    static String readableByOthers(Path stdout) {
        try {
            Path real = stdout.toRealPath();
            if (!Files.isRegularFile(real)) {
                return null;
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(real);
            if (perms.stream().noneMatch(READABLE_BY_OTHERS::contains)) {
                return null;
            }
            return "stdout is " + real + ", readable by others: use --out FILE (written owner-only), or chmod 600 it first";
        } catch (IOException | UnsupportedOperationException e) {
            return null; // a pipe or socket (pipe:[...] does not resolve), or no POSIX permissions: nothing to check
        }
    }
}
