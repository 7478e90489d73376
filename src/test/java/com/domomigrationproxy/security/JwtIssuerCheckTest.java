package com.domomigrationproxy.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

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
    void aVerificationKeyFileMustExist(@org.junit.jupiter.api.io.TempDir java.nio.file.Path directory)
            throws Exception {
        java.nio.file.Path key = java.nio.file.Files.writeString(directory.resolve("jwt.pem"), "-----BEGIN PUBLIC KEY…");
        String issuer = "https://sso.example.com";
        assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.verify.publickey.location",
                directory.resolve("nokey.pem").toString(), "mp.jwt.verify.issuer", issuer))))
                .hasValueSatisfying(problem -> assertThat(problem).contains("MP_JWT_VERIFY_PUBLICKEY_LOCATION",
                        "does not exist"));
        assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.verify.publickey.location", key.toString(),
                "mp.jwt.verify.issuer", issuer)))).isEmpty();
        assertThat(JwtIssuerCheck.problem(config(Map.of("mp.jwt.verify.publickey.location", "file:" + key,
                "mp.jwt.verify.issuer", issuer)))).as("a URL is not looked at").isEmpty();
    }

    private static Config config(Map<String, String> values) {
        return new SmallRyeConfigBuilder().withDefaultValues(values).build();
    }
}
