package com.domomigrationproxy.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Test-only credentials, made fresh for each run and never committed: an RSA key pair for JWTs
 * (public key verified by the app, private key used by {@link Tokens}) and an API key file.
 */
public class TestCredentials implements QuarkusTestResourceLifecycleManager {

    public static final String ISSUER = "https://issuer.test.domo-migration-proxy";
    public static final Path DIRECTORY = Path.of("target", "test-credentials").toAbsolutePath();
    public static final Path PRIVATE_KEY = DIRECTORY.resolve("jwt-private.pem");
    public static final Path PUBLIC_KEY = DIRECTORY.resolve("jwt-public.pem");
    public static final Path API_KEYS = DIRECTORY.resolve("api-keys.json");

    private static final String GENERATED = "test-credentials.generated";

    public static final String READER_KEY = "test-reader-key-5d1f";
    public static final String OPERATOR_KEY = "test-operator-key-9b2e";
    public static final String AUDITOR_KEY = "test-auditor-key-3c7a";

    @Override
    public Map<String, String> start() {
        try {
            Files.createDirectories(DIRECTORY);
            // Once per JVM: the app may restart between test classes while tests keep signing.
            if (System.getProperty(GENERATED) == null) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                KeyPair pair = generator.generateKeyPair();
                Files.writeString(PRIVATE_KEY, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
                Files.writeString(PUBLIC_KEY, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
                System.setProperty(GENERATED, "true");
            }
            ApiKeys.write(ApiKeys.DEFAULT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return Map.of(
                "mp.jwt.verify.publickey.location", PUBLIC_KEY.toUri().toString(),
                "mp.jwt.verify.issuer", ISSUER,
                "smallrye.jwt.sign.key.location", PRIVATE_KEY.toUri().toString(),
                "proxy.api-keys-file", API_KEYS.toString());
    }

    @Override
    public void stop() {
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
