package com.domomigrationproxy.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;

import io.restassured.RestAssured;

/** Writes the API key file the app reads, as an operator would (atomic replace). */
public final class ApiKeys {

    /** A key of the file; {@code scopes} (JSON text) and {@code expiresAt} are left out when null. */
    public record Key(String name, String secret, List<String> roles, String scopes, Instant expiresAt) {

        public Key(String name, String secret, List<String> roles) {
            this(name, secret, roles, null, null);
        }
    }

    public static final List<Key> DEFAULT = List.of(
            new Key("reader-svc", TestCredentials.READER_KEY, List.of("reader")),
            new Key("operator-svc", TestCredentials.OPERATOR_KEY, List.of("reader", "operator")),
            new Key("auditor-svc", TestCredentials.AUDITOR_KEY, List.of("auditor")));

    private static final String UNKNOWN = "urn:problem-type:domo-migration-proxy:unauthenticated";

    private ApiKeys() {
    }

    public static void write(List<Key> keys) {
        String json = keys.stream()
                .map(key -> "{\"name\":\"" + key.name() + "\",\"sha256\":\"" + sha256(key.secret()) + "\",\"roles\":["
                        + key.roles().stream().map(role -> "\"" + role + "\"").collect(Collectors.joining(",")) + "]"
                        + (key.scopes() == null ? "" : ",\"scopes\":" + key.scopes())
                        + (key.expiresAt() == null ? "" : ",\"expiresAt\":\"" + key.expiresAt() + "\"") + "}")
                .collect(Collectors.joining(",", "[", "]"));
        writeRaw(json);
    }

    /**
     * Writes the default keys and these, and returns once the service has loaded them (it looks at
     * the file every second): when the last key is no longer unknown. The probe calls no Domo
     * operation.
     */
    public static void writeWithDefaults(List<Key> keys) {
        List<Key> all = new ArrayList<>(DEFAULT);
        all.addAll(keys);
        write(all);
        Key last = keys.get(keys.size() - 1);
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> !UNKNOWN.equals(RestAssured.given().header("X-API-Key", last.secret())
                        .get("/api/v1/audit/principals").then().extract().path("type")));
    }

    public static void writeRaw(String content) {
        try {
            var temporary = Files.createTempFile(TestCredentials.DIRECTORY, "api-keys", ".tmp");
            Files.writeString(temporary, content, StandardCharsets.UTF_8);
            Files.move(temporary, TestCredentials.API_KEYS, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String sha256(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
