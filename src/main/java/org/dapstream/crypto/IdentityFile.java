package org.dapstream.crypto;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.pqc.crypto.mldsa.MLDSAPrivateKeyParameters;
import org.bouncycastle.pqc.crypto.util.PrivateKeyInfoFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * A node identity on disk: one PEM block {@code -----BEGIN PRIVATE KEY-----}, an unencrypted
 * PKCS#8 {@code PrivateKeyInfo} (RFC 5958) as OpenSSL 3.5 and the JDK read and write it.
 * <ul>
 *   <li>Ed25519: OID 1.3.101.112, the 32-byte secret in an OCTET STRING (RFC 8410), version 1
 *   without the public key, as OpenSSL writes it (48 bytes of DER).</li>
 *   <li>ML-DSA-65: OID 2.16.840.1.101.3.4.3.18; we write the 32-byte seed form
 *   ({@code [0] OCTET STRING}, RFC 9881) and read the seed, expanded and both forms.</li>
 * </ul>
 * The file holds the private key only: the public key and the node address are derived
 * from it on load. Files are written owner-only (0600 where the file system has POSIX
 * permissions), atomically (a temporary file in the same directory, then linked into place),
 * and never over an existing file.
 */
public final class IdentityFile {
    static final String PEM_BEGIN = "-----BEGIN PRIVATE KEY-----";
    static final String PEM_END = "-----END PRIVATE KEY-----";
    /** Characters per base64 line (RFC 7468 §2). */
    private static final int PEM_LINE = 64;
    /** A PEM identity is under 7 KiB even in ML-DSA's expanded form; anything much larger is not one. */
    static final long MAX_FILE_SIZE = 64 * 1024;
    /** RFC 8410 id-Ed25519 (Bouncy Castle keeps its constant in an internal package). */
    static final ASN1ObjectIdentifier ID_ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private IdentityFile() {
    }

    /**
     * Reads an identity written by {@link #write} (or by OpenSSL / the JDK in the same format).
     *
     * @throws IOException with a message naming the file and what is wrong with it
     */
    public static NodeIdentity load(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "node identity file does not exist");
        }
        long size = Files.size(file);
        if (size > MAX_FILE_SIZE) {
            throw new IOException("node identity file " + file + " is " + size + " bytes; a PEM private key is under " + MAX_FILE_SIZE);
        }
        String text = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
        byte[] der = null;
        try {
            der = pemBody(text, file);
            return decode(der, file);
        } finally {
            Secrets.wipe(der);
        }
    }

    /**
     * Writes {@code id}'s private key to {@code file}, creating missing parent directories.
     *
     * @throws FileAlreadyExistsException when {@code file} exists: an identity is never replaced
     */
    public static void write(NodeIdentity id, Path file) throws IOException {
        byte[] pem = encodePem(id);
        try {
            Path target = file.toAbsolutePath();
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(target.toString(), null, "refusing to overwrite an existing node identity");
            }
            Path dir = target.getParent();
            Files.createDirectories(dir);
            boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
            FileAttribute<?>[] attrs = posix
                    ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                    : new FileAttribute<?>[0];
            Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp", attrs);
            try {
                try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE, StandardOpenOption.SYNC)) {
                    out.write(pem);
                }
                linkIntoPlace(tmp, target);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } finally {
            Secrets.wipe(pem);
        }
    }

    /**
     * The identity in {@code file}, or, when there is none yet, a new one of {@code alg}
     * written there (first start). An existing file wins even if it holds the other
     * algorithm: the caller can compare {@link NodeIdentity#algorithm()}.
     */
    public static NodeIdentity loadOrCreate(Path file, SignatureAlgorithm alg, SecureRandom random) throws IOException {
        if (Files.exists(file)) {
            return load(file);
        }
        NodeIdentity created = NodeIdentity.generate(alg, random);
        try {
            write(created, file);
            return created;
        } catch (FileAlreadyExistsException raced) {
            // Another process (a second replica on a shared volume) created it first: use theirs.
            created.close();
            return load(file);
        }
    }

    /** The PEM text of {@code id}'s private key, as {@link #write} stores it (for {@code keygen} to stdout). */
    public static String toPem(NodeIdentity id) throws IOException {
        byte[] pem = encodePem(id);
        try {
            return new String(pem, StandardCharsets.US_ASCII);
        } finally {
            Secrets.wipe(pem);
        }
    }

    /**
     * Moves the finished temporary file to its name without ever replacing a file that
     * appeared meanwhile: a hard link fails atomically if the name exists. Where hard links
     * are not supported, a move without REPLACE_EXISTING (checked, then renamed).
     */
    private static void linkIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(target.toString(), null, "refusing to overwrite an existing node identity");
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.move(tmp, target);
        }
    }

    private static byte[] encodePem(NodeIdentity id) throws IOException {
        byte[] der = pkcs8(id);
        try {
            String b64 = Base64.getMimeEncoder(PEM_LINE, new byte[] {'\n'}).encodeToString(der);
            return (PEM_BEGIN + "\n" + b64 + "\n" + PEM_END + "\n").getBytes(StandardCharsets.US_ASCII);
        } finally {
            Secrets.wipe(der);
        }
    }

    static byte[] pkcs8(NodeIdentity id) throws IOException {
        AsymmetricKeyParameter key = id.privateKey();
        PrivateKeyInfo info;
        if (key instanceof MLDSAPrivateKeyParameters) {
            MLDSAPrivateKeyParameters k = (MLDSAPrivateKeyParameters) key;
            // The 32-byte seed is the whole key (FIPS 204 keygen is deterministic from it): store
            // just that when we have it, as RFC 9881 recommends. A key loaded in expanded form has no seed.
            if (k.getSeed() != null) {
                k = k.getParametersWithFormat(MLDSAPrivateKeyParameters.SEED_ONLY);
            }
            info = PrivateKeyInfoFactory.createPrivateKeyInfo(k);
        } else {
            // Version 1 without the optional public key, byte for byte what OpenSSL writes:
            // OpenSSL 3.0 refuses the v2 form with the public key that BC's factory produces.
            byte[] secret = ((Ed25519PrivateKeyParameters) key).getEncoded();
            try {
                info = new PrivateKeyInfo(new AlgorithmIdentifier(ID_ED25519), new DEROctetString(secret));
            } finally {
                Secrets.wipe(secret);
            }
        }
        return info.getEncoded();
    }

    /** The DER between the PEM markers; a clear error for anything else. */
    static byte[] pemBody(String text, Path file) throws IOException {
        int begin = text.indexOf(PEM_BEGIN);
        if (begin < 0) {
            if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
                throw new IOException("node identity file " + file + " holds an encrypted private key; store it unencrypted (protect the file instead)");
            }
            if (text.contains("-----BEGIN")) {
                throw new IOException("node identity file " + file + " holds no '" + PEM_BEGIN + "' block (found another PEM type;"
                        + " expected an unencrypted PKCS#8 ML-DSA-65 or Ed25519 key)");
            }
            throw new IOException("node identity file " + file + " is not PEM: no '" + PEM_BEGIN + "' line");
        }
        int bodyStart = begin + PEM_BEGIN.length();
        int end = text.indexOf(PEM_END, bodyStart);
        if (end < 0) {
            throw new IOException("node identity file " + file + " is truncated: no '" + PEM_END + "' line");
        }
        String body = text.substring(bodyStart, end).replaceAll("\\s+", "");
        try {
            byte[] der = Base64.getDecoder().decode(body);
            if (der.length == 0) {
                throw new IOException("node identity file " + file + " has an empty PEM block");
            }
            return der;
        } catch (IllegalArgumentException e) {
            throw new IOException("node identity file " + file + " has invalid base64 in its PEM block: " + e.getMessage());
        }
    }

    static NodeIdentity decode(byte[] der, Path file) throws IOException {
        PrivateKeyInfo info;
        try {
            info = PrivateKeyInfo.getInstance(der);
        } catch (RuntimeException e) {
            throw new IOException("node identity file " + file + " is not a PKCS#8 private key (DER does not parse)");
        }
        ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        try {
            if (oid.equals(ID_ED25519)) {
                Ed25519PrivateKeyParameters k = (Ed25519PrivateKeyParameters)
                        PrivateKeyFactory.createKey(info);
                return NodeIdentity.ofEd25519(k.getEncoded(), new SecureRandom());
            }
            if (oid.equals(NISTObjectIdentifiers.id_ml_dsa_65)) {
                MLDSAPrivateKeyParameters k = (MLDSAPrivateKeyParameters)
                        org.bouncycastle.pqc.crypto.util.PrivateKeyFactory.createKey(info);
                return NodeIdentity.of(k, new SecureRandom());
            }
        } catch (IOException | RuntimeException e) {
            throw new IOException("node identity file " + file + " holds a malformed " + algorithmName(oid) + " private key");
        }
        throw new IOException("node identity file " + file + " holds a key of algorithm " + oid.getId()
                + "; supported are ML-DSA-65 (" + NISTObjectIdentifiers.id_ml_dsa_65.getId()
                + ") and Ed25519 (" + ID_ED25519.getId() + ")");
    }

    private static String algorithmName(ASN1ObjectIdentifier oid) {
        return oid.equals(ID_ED25519) ? "Ed25519" : "ML-DSA-65";
    }
}
