package com.domomigrationproxy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.domomigrationproxy.support.ApiKeys;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * A lookup only reads memory (it runs on the event loop): a changed file is seen by the
 * scheduled reload, never by a request.
 */
class ApiKeyStoreTest {

    @Test
    void lookupsNeverReadTheFileOnlyTheReloadDoes(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("api-keys.json");
        Files.writeString(file, entry("first", "first-secret"));
        ApiKeyStore store = new ApiKeyStore(config(file), new ObjectMapper(), new SimpleMeterRegistry());
        assertThat(store.find("first-secret").name()).isEqualTo("first");

        Files.writeString(file, entry("second", "second-secret"));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        // However long requests keep coming, none of them reads the file.
        await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(3))
                .until(() -> store.find("second-secret") == null && store.find("first-secret") != null);

        store.reloadIfChanged();
        assertThat(store.find("second-secret").name()).isEqualTo("second");
        assertThat(store.find("first-secret")).isNull();
        assertThat(store.isKeyName("second")).isTrue();

        Files.delete(file);
        store.reloadIfChanged();
        assertThat(store.find("second-secret")).as("a vanished file keeps the keys loaded before").isNotNull();
    }

    /**
     * An expiry beyond what a millisecond count or PostgreSQL holds is kept within 1970 to 9999: one of year
     * -300000000 overflowed the per-request test and let the expired key in; one of year 300000 was
     * refused by every last-use write of the replica.
     */
    @Test
    void anExpiryFarBeyondTheCalendarIsHeldWithinIt() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ApiKeyStore.ApiKey longAgo = ApiKeyStore.ApiKey.of(json.readTree("{\"name\":\"old\",\"sha256\":\""
                + ApiKeys.sha256("old-secret") + "\",\"roles\":[\"reader\"],\"expiresAt\":\"-300000000-01-01T00:00:00Z\"}"));
        assertThat(longAgo.expiredNow()).isTrue();
        assertThat(longAgo.expiresAt()).isEqualTo(Instant.EPOCH);
        ApiKeyStore.ApiKey farOff = ApiKeyStore.ApiKey.of(json.readTree("{\"name\":\"far\",\"sha256\":\""
                + ApiKeys.sha256("far-secret") + "\",\"roles\":[\"reader\"],\"expiresAt\":\"+300000-01-01T00:00:00Z\"}"));
        assertThat(farOff.expiredNow()).isFalse();
        assertThat(farOff.expiresAt()).isEqualTo(Instant.parse("9999-12-31T23:59:59Z"));
    }

    private static ApiKeyConfig config(Path file) {
        return new ApiKeyConfig() {
            @Override
            public Optional<Path> apiKeysFile() {
                return Optional.of(file);
            }

            @Override
            public String apiKeysReloadInterval() {
                return "1s";
            }

            @Override
            public Duration apiKeyExpiryWarning() {
                return Duration.ofDays(14);
            }

            @Override
            public String jwtScopesClaim() {
                return "domo_scopes";
            }

            @Override
            public String principalLastUseWriteCheck() {
                return "5s";
            }
        };
    }

    private static String entry(String name, String secret) {
        return "[{\"name\":\"" + name + "\",\"sha256\":\"" + ApiKeys.sha256(secret) + "\",\"roles\":[\"reader\"]}]";
    }
}
