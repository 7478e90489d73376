package com.domomigrationproxy.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * One test profile, one application restart, for the tests that need Domo's guards and the
 * limits tight (three operations per caller and minute, one migration or reversal in flight on the
 * replica) and the Domo token in a file that they rotate or remove.
 */
public class ShortFuses implements QuarkusTestProfile {

    public static final Path TOKEN_FILE = Path.of("target", "test-credentials", "domo-token").toAbsolutePath();
    public static final String FIRST_TOKEN = "first-token-value";
    /** Migrations and reversals per caller per minute. */
    public static final int OPERATIONS_PER_MINUTE = 3;

    @Override
    public Map<String, String> getConfigOverrides() {
        writeToken(FIRST_TOKEN + "\n");
        return Map.of(
                "domo.circuit-breaker.failure-threshold", "3",
                "domo.circuit-breaker.open-duration", "5s",
                "domo.retry.max-attempts", "1",
                "domo.developer-token-file", TOKEN_FILE.toString(),
                "proxy.rate-limit.operations-per-minute", Integer.toString(OPERATIONS_PER_MINUTE),
                "proxy.rate-limit.concurrent-operations", "1");
    }

    /** Replaces the file as Kubernetes does when a Secret rotates: a new file moved into place. */
    public static void writeToken(String token) {
        try {
            Files.createDirectories(TOKEN_FILE.getParent());
            Path next = Files.createTempFile(TOKEN_FILE.getParent(), "domo-token", ".tmp");
            Files.writeString(next, token);
            Files.move(next, TOKEN_FILE, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
