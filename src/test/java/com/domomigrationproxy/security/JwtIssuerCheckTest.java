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

    private static Config config(Map<String, String> values) {
        return new SmallRyeConfigBuilder().withDefaultValues(values).build();
    }
}
