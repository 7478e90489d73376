package com.domomigrationproxy.security;

import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start with a JWT verification key but no expected issuer: SmallRye JWT checks
 * {@code iss} only when one is set, so any token the key signed (for another realm or client of
 * the same provider, say) would be accepted, while the contract checks signature, {@code iss} and
 * {@code exp}; or with a verification key file that does not exist. Not in dev mode, where Quarkus
 * may make a key pair of its own for local tokens.
 */
@ApplicationScoped
class JwtIssuerCheck {

    void onStart(@Observes StartupEvent event, Config config) {
        if (LaunchMode.current() != LaunchMode.DEVELOPMENT) {
            problem(config).ifPresent(problem -> {
                throw new IllegalStateException(problem);
            });
        }
    }

    /** What is wrong with the JWT settings, if anything. */
    static Optional<String> problem(Config config) {
        // MicroProfile's names, and SmallRye's own, which take a verification key as well.
        boolean key = set(config, "mp.jwt.verify.publickey.location") || set(config, "mp.jwt.verify.publickey")
                || set(config, "smallrye.jwt.verify.key.location") || set(config, "smallrye.jwt.verify.secretkey");
        if (key && !set(config, "mp.jwt.verify.issuer")) {
            return Optional.of("MP_JWT_VERIFY_ISSUER is required when a JWT verification key is configured"
                    + " (MP_JWT_VERIFY_PUBLICKEY_LOCATION): the iss every accepted token must carry");
        }
        return config.getOptionalValue("mp.jwt.verify.publickey.location", String.class).filter(JwtIssuerCheck::missing)
                .map(location -> "MP_JWT_VERIFY_PUBLICKEY_LOCATION names a file that does not exist: " + location
                        + " (every bearer token would fail with a 500)");
    }

    /**
     * A file (a path, or a {@code file:} URL as the chart writes it) that does not exist, or a
     * resource ({@code classpath:}, or a path that is no file) the application does not have; an
     * {@code http(s)} URL (a JWKS endpoint) is not looked at here: its server may be up later.
     */
    private static boolean missing(String location) {
        if (location.isBlank()) {
            return false;
        }
        if (location.regionMatches(true, 0, "file:", 0, 5)) {
            String path = location.substring(5);
            try {
                return !Files.exists(path.startsWith("//") ? Path.of(URI.create("file:" + path)) : Path.of(path));
            } catch (IllegalArgumentException e) {
                return true; // no file could be read from it either
            }
        }
        if (location.regionMatches(true, 0, "classpath:", 0, 10)) {
            return resource(location.substring(10)) == null;
        }
        if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
            return false;
        }
        return !Files.exists(Path.of(location)) && resource(location) == null;
    }

    private static URL resource(String name) {
        return Thread.currentThread().getContextClassLoader().getResource(name.startsWith("/") ? name.substring(1) : name);
    }

    private static boolean set(Config config, String name) {
        return config.getOptionalValue(name, String.class).filter(value -> !value.isBlank()).isPresent();
    }
}
