package org.dapstream.cli;

import org.dapstream.crypto.IdentityFile;
import org.dapstream.crypto.NodeIdentity;
import org.dapstream.crypto.SignatureAlgorithm;

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

/**
 * {@code keygen [--algorithm ml-dsa-65|ed25519] [--out FILE]}: makes a new node identity.
 * With {@code --out} it writes the PEM file (owner-only, never over an existing file) and
 * prints the node address and public key. Without it the PEM goes to stdout, so
 * {@code keygen > node.pem} captures just the key, and the address and public key go to
 * stderr. The private key is printed only as that PEM, never in the summary lines.
 */
public final class Keygen {
    /** Exit status: the identity was made. */
    public static final int EXIT_OK = 0;
    /** Exit status: writing failed (file exists, no permission); the reason is printed. */
    public static final int EXIT_FAILED = 1;
    /** Exit status: the options are wrong; the message says what to fix. */
    public static final int EXIT_USAGE = 2;

    public static final String USAGE = String.join("\n",
            "usage: keygen [--algorithm ml-dsa-65|ed25519] [--out FILE]",
            "  Generates a new node identity (a long-term signing key pair).",
            "  --algorithm  ml-dsa-65 (default, post-quantum) or ed25519",
            "  --out FILE   write the private key there as PEM PKCS#8, owner-only (0600);",
            "               refuses to overwrite an existing file. Without --out the PEM is",
            "               printed to stdout and the address and public key to stderr.",
            "");

    private Keygen() {
    }

    /** Where Linux shows the file behind this process's stdout. */
    private static final Path STDOUT_LINK = Path.of("/proc/self/fd/1");
    private static final Set<PosixFilePermission> READABLE_BY_OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.OTHERS_READ);

    /** Runs {@code keygen} with the arguments after the word; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, out == System.out ? STDOUT_LINK : null);
    }

    /**
     * Runs {@code keygen}; {@code outFile} is the file behind {@code out} when known (null: a
     * terminal, a pipe, or not known), checked before a private key is printed there.
     */
    static int run(String[] args, PrintStream out, PrintStream err, Path outFile) {
        SignatureAlgorithm alg = SignatureAlgorithm.ML_DSA_65;
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                out.print(USAGE);
                return EXIT_OK;
            }
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (!name.equals("--algorithm") && !name.equals("--out")) {
                err.println("keygen: unknown option '" + a + "'");
                err.print(USAGE);
                return EXIT_USAGE;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    err.println("keygen: " + name + " needs a value");
                    return EXIT_USAGE;
                }
                value = args[++i];
            }
            if (name.equals("--algorithm")) {
                try {
                    alg = SignatureAlgorithm.parse(value);
                } catch (IllegalArgumentException e) {
                    err.println("keygen: " + e.getMessage());
                    return EXIT_USAGE;
                }
            } else {
                if (value.isBlank()) {
                    err.println("keygen: --out needs a file name");
                    return EXIT_USAGE;
                }
                file = Path.of(value);
            }
        }
        if (file == null && outFile != null) {
            String refusal = readableByOthers(outFile);
            if (refusal != null) {
                err.println("keygen: " + refusal);
                return EXIT_USAGE;
            }
        }
        try (NodeIdentity id = NodeIdentity.generate(alg, new SecureRandom())) {
            PrintStream summary = out;
            if (file != null) {
                IdentityFile.write(id, file);
                out.println("wrote " + file + " (" + alg.configName() + ", owner-only)");
            } else {
                out.print(IdentityFile.toPem(id));
                summary = err;
            }
            summary.println("node address: " + id.address());
            summary.println("public key (" + alg.configName() + ", " + alg.publicKeySize() + " bytes): "
                    + HexFormat.of().formatHex(id.publicKey()));
            return EXIT_OK;
        } catch (FileAlreadyExistsException e) {
            err.println("keygen: " + file + " already exists; refusing to overwrite a node identity (choose another --out or remove it first)");
            return EXIT_FAILED;
        } catch (IOException e) {
            err.println("keygen: could not write " + file + ": " + e);
            return EXIT_FAILED;
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
