package com.domomigrationproxy.console;

import java.util.Locale;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start the console when its cookies would be encrypted with a key each replica draws
 * at random, or with a key too short. Quarkus OIDC takes the session key from the token state
 * manager's secret, else from the client's secret, else makes one at start; the sign-in's state
 * cookie (PKCE) takes the session key (application.properties), else a client secret of 32
 * characters or more, else one made at start. With a random key a person's session, or a sign-in
 * that comes back from the provider to another replica, fails there and after each restart, which
 * shows as sign-ins that loop. Dev mode and tests are not checked: they have a key of their own
 * (application.properties).
 */
@ApplicationScoped
class ConsoleSessionKeyCheck {

    static final int LEAST_KEY_LENGTH = 32;
    private static final String SESSION_KEY = "quarkus.oidc.token-state-manager.encryption-secret";
    /** The client secrets Quarkus derives both keys from when there is no session key, each a whole secret. */
    private static final String[] CLIENT_SECRETS = {
        "quarkus.oidc.credentials.secret",
        "quarkus.oidc.credentials.client-secret.value",
        "quarkus.oidc.credentials.jwt.secret",
    };
    /** A secret held by a credentials provider: its length is not known before it is fetched. */
    private static final String PROVIDED_SECRET = "quarkus.oidc.credentials.client-secret.provider.key";

    void onStart(@Observes StartupEvent event, ConsoleConfig console, Config config) {
        if (LaunchMode.current() == LaunchMode.NORMAL && console.enabled()) {
            problem(config).ifPresent(problem -> {
                throw new IllegalStateException(problem);
            });
        }
    }

    /** What is wrong with the console's cookie keys, if anything; never a secret's value. */
    static Optional<String> problem(Config config) {
        Optional<String> sessionKey = value(config, SESSION_KEY);
        if (sessionKey.isPresent()) {
            return tooShort(SESSION_KEY, sessionKey.get(), "it is the key of its session and sign-in cookies");
        }
        for (String source : CLIENT_SECRETS) {
            Optional<String> secret = value(config, source);
            if (secret.isPresent()) {
                return tooShort(source, secret.get(), "without QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET"
                        + " (at least " + LEAST_KEY_LENGTH + " characters) Quarkus would draw the sign-in state"
                        + " cookie's key at random on each replica, and a sign-in that comes back to another replica"
                        + " would fail");
            }
        }
        if (value(config, PROVIDED_SECRET).isPresent()) {
            return Optional.empty();
        }
        return Optional.of("PROXY_CONSOLE_ENABLED=true needs a key for the console's session cookies that every"
                + " replica shares: QUARKUS_OIDC_CREDENTIALS_SECRET (the client's secret) or, for a public client,"
                + " QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET (at least " + LEAST_KEY_LENGTH + " characters);"
                + " without either, each replica would make its own at start and a session would not survive a"
                + " restart or reach another replica");
    }

    private static Optional<String> value(Config config, String property) {
        return config.getOptionalValue(property, String.class).filter(value -> !value.isBlank());
    }

    private static Optional<String> tooShort(String property, String secret, String why) {
        if (secret.length() >= LEAST_KEY_LENGTH) {
            return Optional.empty();
        }
        return Optional.of(environmentName(property) + " has " + secret.length() + " characters, fewer than the "
                + LEAST_KEY_LENGTH + " the console needs: " + why);
    }

    private static String environmentName(String property) {
        return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }
}
