package com.domomigrationproxy.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/** Writes the API key file the app reads, as an operator would (atomic replace). */
public final class ApiKeys {

    public record Key(String name, String secret, List<String> roles) {
    }

    public static final List<Key> DEFAULT = List.of(
            new Key("reader-svc", TestCredentials.READER_KEY, List.of("reader")),
            new Key("operator-svc", TestCredentials.OPERATOR_KEY, List.of("reader", "operator")),
            new Key("auditor-svc", TestCredentials.AUDITOR_KEY, List.of("auditor")));

    private ApiKeys() {
    }

    public static void write(List<Key> keys) {
        String json = keys.stream()
                .map(key -> "{\"name\":\"" + key.name() + "\",\"sha256\":\"" + sha256(key.secret()) + "\",\"roles\":["
                        + key.roles().stream().map(role -> "\"" + role + "\"").collect(Collectors.joining(",")) + "]}")
                .collect(Collectors.joining(",", "[", "]"));
        writeRaw(json);
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
