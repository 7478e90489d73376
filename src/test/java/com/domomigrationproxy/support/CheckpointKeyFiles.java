package com.domomigrationproxy.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Test-only checkpoint keys, made fresh for each run: the signing key the service uses, a former
 * key whose public half is in the verify-keys directory (a rotation), and a stranger's key that
 * nothing trusts. Checkpoint files go to a directory of their own per run.
 */
public class CheckpointKeyFiles implements QuarkusTestResourceLifecycleManager {

    public static final Path DIRECTORY = TestCredentials.DIRECTORY.resolve("checkpoint-keys");
    public static final Path SIGNING_KEY = DIRECTORY.resolve("signing.pem");
    public static final Path SIGNING_PUBLIC_KEY = DIRECTORY.resolve("signing-public.pem");
    public static final Path VERIFY_KEYS = DIRECTORY.resolve("verify");
    public static final Path FORMER_KEY = DIRECTORY.resolve("former.pem");
    public static final Path FORMER_PUBLIC_KEY = VERIFY_KEYS.resolve("former-public.pem");
    public static final Path STRANGER_KEY = DIRECTORY.resolve("stranger.pem");
    public static final Path STRANGER_PUBLIC_KEY = DIRECTORY.resolve("stranger-public.pem");
    private static final String CHECKPOINT_DIR = "checkpoint-key-files.directory";

    @Override
    public Map<String, String> start() {
        try {
            // Once per JVM: the app may restart between test classes while the database keeps its checkpoints.
            if (System.getProperty(CHECKPOINT_DIR) == null) {
                Files.createDirectories(VERIFY_KEYS);
                write(SIGNING_KEY, SIGNING_PUBLIC_KEY);
                write(FORMER_KEY, FORMER_PUBLIC_KEY);
                write(STRANGER_KEY, STRANGER_PUBLIC_KEY);
                Path checkpoints = Path.of("target", "test-checkpoints", Long.toString(System.currentTimeMillis()))
                        .toAbsolutePath();
                Files.createDirectories(checkpoints);
                System.setProperty(CHECKPOINT_DIR, checkpoints.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return Map.of(
                "proxy.audit.signing-key-file", SIGNING_KEY.toString(),
                "proxy.audit.verify-keys-dir", VERIFY_KEYS.toString(),
                "proxy.audit.checkpoint-dir", checkpointDirectory().toString());
    }

    @Override
    public void stop() {
    }

    public static Path checkpointDirectory() {
        return Path.of(System.getProperty(CHECKPOINT_DIR));
    }

    /** Base64 Ed25519 signature of text with the private key in a PEM file. */
    public static String sign(Path privateKeyPem, String text) {
        try {
            String body = Files.readString(privateKeyPem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            PrivateKey key = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
            Signature signature = Signature.getInstance("Ed25519");
            signature.initSign(key);
            signature.update(text.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(signature.sign());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key id of a public key PEM: first 16 hex digits of sha256 of its DER. */
    public static String keyId(Path publicKeyPem) {
        try {
            String body = Files.readString(publicKeyPem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Base64.getDecoder().decode(body));
            return java.util.HexFormat.of().formatHex(digest).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path privateFile, Path publicFile) throws IOException, GeneralSecurityException {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Files.writeString(privateFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(publicFile, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
