package com.domomigrationproxy.console;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start the console when its session cookies would be encrypted with a key each replica
 * draws at random: Quarkus OIDC takes the key from the token state manager's secret, else from the
 * client's secret, else makes one at start. With a public client (PKCE, no secret) and no
 * encryption secret, a person's session would fail on every other replica and after each restart,
 * which shows as sign-ins that loop. Dev mode and tests are not checked: they have a key of their own
 * (application.properties).
 */
@ApplicationScoped
class ConsoleSessionKeyCheck {

    /** What Quarkus OIDC reads for the session key, in its order; each is a whole secret or a lookup of one. */
    private static final String[] KEY_SOURCES = {
        "quarkus.oidc.token-state-manager.encryption-secret",
        "quarkus.oidc.credentials.secret",
        "quarkus.oidc.credentials.client-secret.value",
        "quarkus.oidc.credentials.client-secret.provider.key",
        "quarkus.oidc.credentials.jwt.secret",
    };

    void onStart(@Observes StartupEvent event, ConsoleConfig console, Config config) {
        if (LaunchMode.current() == LaunchMode.NORMAL && console.enabled()) {
            problem(config).ifPresent(problem -> {
                throw new IllegalStateException(problem);
            });
        }
    }

    /** What is wrong with the console's session key, if anything. */
    static Optional<String> problem(Config config) {
        for (String source : KEY_SOURCES) {
            if (config.getOptionalValue(source, String.class).filter(value -> !value.isBlank()).isPresent()) {
                return Optional.empty();
            }
        }
        return Optional.of("PROXY_CONSOLE_ENABLED=true needs a key for the console's session cookies that every"
                + " replica shares: QUARKUS_OIDC_CREDENTIALS_SECRET (the client's secret) or, for a public client,"
                + " QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET (at least 32 characters); without either,"
                + " each replica would make its own at start and a session would not survive a restart or reach"
                + " another replica");
    }
}
