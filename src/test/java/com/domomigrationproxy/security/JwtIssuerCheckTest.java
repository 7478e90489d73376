package com.domomigrationproxy.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.smallrye.config.SmallRyeConfigBuilder;

/** A JWT verification key without an expected issuer would accept any issuer the key signed for. */
class JwtIssuerCheckTest {

    @Test
    void aVerificationKeyNeedsAnIssuer() {
        assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.verify.publickey.location",
                "https://sso.example.com/certs")))).hasValueSatisfying(problem -> assertThat(problem)
                        .contains("MP_JWT_VERIFY_ISSUER"));
        assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.verify.publickey", "MIIB…",
                "mp.jwt.verify.issuer", " ")))).isPresent();
        assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.verify.publickey.location",
                "https://sso.example.com/certs", "mp.jwt.verify.issuer", "https://sso.example.com")))).isEmpty();
        assertThat(JwtIssuerCheck.problem(config(Map.of("smallrye.jwt.verify.key.location", "keys/jwks.json"))))
                .as("SmallRye's own name for the key").isPresent();
        assertThat(JwtIssuerCheck.problem(config(Map.of()))).as("API keys only").isEmpty();
    }

    /** A key file that is not there failed every bearer token with a 500, not the start. */
    @Test
    void aVerificationKeyFileMustExist(@TempDir Path directory) throws Exception {
        Path key = Files.writeString(directory.resolve("jwt.pem"), "-----BEGIN PUBLIC KEY…");
        Path none = directory.resolve("nokey.pem");
        String issuer = "https://sso.example.com";
        // A path, and the file: URLs the chart writes (file:/…) or a person may (file:///…).
        for (String missing : List.of(none.toString(), "file:" + none, none.toUri().toString(),
                "classpath:no-such-key.pem")) {
            assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.verify.publickey.location", missing,
                    "mp.jwt.verify.issuer", issuer)))).as(missing)
                    .hasValueSatisfying(problem -> assertThat(problem).contains("MP_JWT_VERIFY_PUBLICKEY_LOCATION",
                            "does not exist"));
        }
        for (String present : List.of(key.toString(), "file:" + key, key.toUri().toString())) {
            assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.verify.publickey.location", present,
                    "mp.jwt.verify.issuer", issuer)))).as(present).isEmpty();
        }
        assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.verify.publickey.location",
                "https://sso.example.com/jwks", "mp.jwt.verify.issuer", issuer)))).as("a JWKS URL is not fetched")
                .isEmpty();
    }

    /** Alone, a decryption key has SmallRye JWT accept encrypted tokens that nobody signed. */
    @Test
    void aDecryptionKeyNeedsAVerificationKey() {
        for (String name : List.of("mp.jwt.decrypt.key.location", "smallrye.jwt.decrypt.key.location",
                "smallrye.jwt.decrypt.key")) {
            assertThat(JwtIssuerCheck.problem(config(Map.of(name, "keys/decrypt.pem")))).as(name)
                    .hasValueSatisfying(problem -> assertThat(problem).contains("MP_JWT_DECRYPT_KEY_LOCATION",
                            "nobody signed"));
        }
        assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.decrypt.key.location", "keys/decrypt.pem",
                "mp.jwt.verify.publickey.location", "https://sso.example.com/certs", "mp.jwt.verify.issuer",
                "https://sso.example.com")))).as("signed, then encrypted").isEmpty();
    }

    /** Keys fetched over plain http could be swapped by anyone on the way, who could then sign any token. */
    @Test
    void theKeysAreNotFetchedOverPlainHttp() {
        String issuer = "https://sso.example.com";
        for (String name : List.of("mp.jwt.verify.publickey.location", "smallrye.jwt.verify.key.location")) {
            // A name that merely starts with "127." is a remote host (config review).
            for (String remote : List.of("http://sso.example.com/certs", "http://127.0.0.1.nip.io/certs",
                    "http://127.idp.example.com/jwks")) {
                assertThat(JwtIssuerCheck.problem(config(Map.of(name, remote, "mp.jwt.verify.issuer", issuer))))
                        .as(name + " " + remote).hasValueSatisfying(problem -> assertThat(problem)
                                .contains(name.toUpperCase().replace('.', '_'), "plain http"));
            }
        }
        for (String loopback : List.of("http://127.0.0.1:8180/certs", "http://localhost/certs", "http://[::1]:80/c")) {
            assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.verify.publickey.location", loopback,
                    "mp.jwt.verify.issuer", issuer)))).as(loopback).isEmpty();
        }
    }

    /** Allowed, but named: without an audience, tokens issued to any client of the provider are accepted. */
    @Test
    void noAudienceIsWarnedOf() {
        Map<String, String> key = Map.of("mp.jwt.verify.publickey.location", "https://sso.example.com/certs",
                "mp.jwt.verify.issuer", "https://sso.example.com");
        assertThat(JwtIssuerCheck.warning(config(key))).hasValueSatisfying(warning -> assertThat(warning)
                .contains("MP_JWT_VERIFY_AUDIENCES"));
        Map<String, String> withAudience = new java.util.HashMap<>(key);
        withAudience.put("mp.jwt.verify.audiences", "domo-migration-proxy");
        assertThat(JwtIssuerCheck.warning(config(withAudience))).isEmpty();
        assertThat(JwtIssuerCheck.warning(config(Map.of()))).as("API keys only").isEmpty();
    }

    private static Config config(Map<String, String> values) {
        return new SmallRyeConfigBuilder().withDefaultValues(values).build();
    }
}
