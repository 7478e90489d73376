package com.domomigrationproxy.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

import io.smallrye.config.SmallRyeConfigBuilder;

/** The console's session cookies need a key every replica shares, or sessions break between replicas. */
class ConsoleSessionKeyCheckTest {

    @Test
    void aPublicClientWithoutAnEncryptionSecretIsRefused() {
        assertThat(ConsoleSessionKeyCheck.problem(config(Map.of("quarkus.oidc.client-id", "console"))))
                .hasValueSatisfying(problem -> assertThat(problem)
                        .contains("QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET", "QUARKUS_OIDC_CREDENTIALS_SECRET"));
        assertThat(ConsoleSessionKeyCheck.problem(config(Map.of("quarkus.oidc.credentials.secret", "  "))))
                .as("a blank secret is none").isPresent();
    }

    @Test
    void anySecretQuarkusDerivesTheKeyFromIsEnough() {
        for (String source : new String[] { "quarkus.oidc.token-state-manager.encryption-secret",
                "quarkus.oidc.credentials.secret", "quarkus.oidc.credentials.client-secret.value",
                "quarkus.oidc.credentials.client-secret.provider.key", "quarkus.oidc.credentials.jwt.secret" }) {
            assertThat(ConsoleSessionKeyCheck.problem(config(Map.of(source, "a-secret-of-32-characters-or-more!"))))
                    .as(source).isEmpty();
        }
    }

    /** Keys shorter than 32 characters are refused, named by their variable and length, never shown. */
    @Test
    void aKeyShorterThan32CharactersIsRefused() {
        String shortKey = "nineteen-characters";
        assertThat(ConsoleSessionKeyCheck.problem(config(Map.of(
                "quarkus.oidc.token-state-manager.encryption-secret", shortKey))))
                .hasValueSatisfying(problem -> assertThat(problem).contains(
                        "QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET has 19 characters").doesNotContain(shortKey));
        // A short client secret alone: Quarkus would draw the sign-in state key at random on each replica.
        assertThat(ConsoleSessionKeyCheck.problem(config(Map.of("quarkus.oidc.credentials.secret", shortKey))))
                .hasValueSatisfying(problem -> assertThat(problem).contains("QUARKUS_OIDC_CREDENTIALS_SECRET has 19"
                        + " characters", "QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET", "another replica")
                        .doesNotContain(shortKey));
        // With a session key of its own, the client secret is the provider's business.
        assertThat(ConsoleSessionKeyCheck.problem(config(Map.of("quarkus.oidc.credentials.secret", shortKey,
                "quarkus.oidc.token-state-manager.encryption-secret", "a-secret-of-32-characters-or-more!"))))
                .isEmpty();
    }

    private static Config config(Map<String, String> values) {
        return new SmallRyeConfigBuilder().withDefaultValues(values).build();
    }
}
