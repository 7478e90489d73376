package com.domomigrationproxy.security;

import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start with JWT settings that accept tokens nobody meant for this service: a
 * verification key but no expected issuer (SmallRye JWT checks {@code iss} only when one is set,
 * so any token the key signed, for another realm, would be accepted, while the contract checks
 * signature, {@code iss} and {@code exp}); a decryption key without a verification key (SmallRye
 * JWT then accepts encrypted tokens nobody signed, which anyone with the public encryption key can
 * make); a key set fetched over plain http (anyone on the way could hand the service keys of their
 * own); or a verification key file that does not exist. Warns when no audience is expected. Not
 * in dev mode, where Quarkus may make a key pair of its own for local tokens.
 */
@ApplicationScoped
class JwtIssuerCheck {

    private static final Logger LOG = Logger.getLogger(JwtIssuerCheck.class);
    /** MicroProfile's names of the key location, and SmallRye's own. */
    private static final List<String> KEY_LOCATIONS = List.of("mp.jwt.verify.publickey.location",
            "smallrye.jwt.verify.key.location");

    void onStart(@Observes StartupEvent event, Config config) {
        if (LaunchMode.current() != LaunchMode.DEVELOPMENT) {
            problem(config).ifPresent(problem -> {
                throw new IllegalStateException(problem);
            });
            warning(config).ifPresent(LOG::warn);
        }
    }

    /** What is wrong with the JWT settings, if anything. */
    static Optional<String> problem(Config config) {
        boolean key = verificationKey(config);
        if (!key && (set(config, "mp.jwt.decrypt.key.location") || set(config, "smallrye.jwt.decrypt.key.location")
                || set(config, "smallrye.jwt.decrypt.key"))) {
            return Optional.of("A JWT decryption key (MP_JWT_DECRYPT_KEY_LOCATION) needs a verification key"
                    + " (MP_JWT_VERIFY_PUBLICKEY_LOCATION) and MP_JWT_VERIFY_ISSUER: alone, SmallRye JWT accepts"
                    + " encrypted tokens that nobody signed, which anyone with the public encryption key can make");
        }
        if (key && !set(config, "mp.jwt.verify.issuer")) {
            return Optional.of("MP_JWT_VERIFY_ISSUER is required when a JWT verification key is configured"
                    + " (MP_JWT_VERIFY_PUBLICKEY_LOCATION): the iss every accepted token must carry");
        }
        for (String name : KEY_LOCATIONS) {
            Optional<String> location = config.getOptionalValue(name, String.class);
            if (location.filter(JwtIssuerCheck::plainHttp).isPresent()) {
                return Optional.of(variable(name) + " fetches the keys over plain http: " + location.get()
                        + " (anyone on the way could hand the service keys of their own, and sign any token); use"
                        + " https (plain http only to a loopback address)");
            }
            if (location.filter(JwtIssuerCheck::missing).isPresent()) {
                return Optional.of(variable(name) + " names a file that does not exist: " + location.get()
                        + " (every bearer token would fail with a 500)");
            }
        }
        return Optional.empty();
    }

    /**
     * A setting that is allowed but lets in more than it should: no expected audience, so a token
     * the provider issued to another client of the same realm, with the right groups, is accepted.
     */
    static Optional<String> warning(Config config) {
        if (verificationKey(config) && !set(config, "mp.jwt.verify.audiences")) {
            return Optional.of("No MP_JWT_VERIFY_AUDIENCES: bearer tokens are accepted whatever client of the"
                    + " provider they were issued to, as long as the issuer and groups match; name this service's"
                    + " audience (the aud its tokens carry)");
        }
        return Optional.empty();
    }

    private static boolean verificationKey(Config config) {
        return set(config, "mp.jwt.verify.publickey.location") || set(config, "mp.jwt.verify.publickey")
                || set(config, "smallrye.jwt.verify.key.location") || set(config, "smallrye.jwt.verify.secretkey");
    }

    private static String variable(String name) {
        return name.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /** An {@code http:} URL to a host other than a loopback address. */
    private static boolean plainHttp(String location) {
        if (!location.regionMatches(true, 0, "http:", 0, 5)) {
            return false;
        }
        try {
            String host = URI.create(location.strip()).getHost();
            return host == null || !LoopbackHosts.loopback(host);
        } catch (IllegalArgumentException e) {
            return true;
        }
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
