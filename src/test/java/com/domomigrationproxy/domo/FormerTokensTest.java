package com.domomigrationproxy.domo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.domomigrationproxy.support.ConfigMappings;

/**
 * A token replaced in DOMO_DEVELOPER_TOKEN_FILE is still redacted for as long as an answer to a
 * call sent with it may arrive (twice the longest Domo deadline), however many rotations come
 * meanwhile, and no longer: each token kept costs a scan of every Domo answer.
 */
class FormerTokensTest {

    @Test
    void everyTokenReplacedWithinTheLongestDeadlineIsRedactedAndThenForgotten(@TempDir Path directory) throws IOException {
        Path file = directory.resolve("token");
        // Kept for 2 × (1 s + 0.2 s): long enough for six rotations, short enough to wait out.
        DomoTokenProvider provider = new DomoTokenProvider(ConfigMappings.of(DomoConfig.class, Map.of(
                "domo.developer-token-file", file.toString(), "domo.migration-timeout", "1s", "domo.read-timeout", "500ms",
                "domo.connect-timeout", "200ms")));
        List<String> tokens = new ArrayList<>();
        for (int rotation = 0; rotation < 6; rotation++) {
            String token = "rotation-" + rotation + "-token-0123456789abcdef";
            tokens.add(token);
            write(file, token);
            assertThat(provider.current()).contains(token);
        }
        for (String token : tokens) {
            assertThat(provider.redact("{\"message\":\"bad token " + token + "\"}")).as(token).doesNotContain(token);
        }

        String newest = tokens.get(tokens.size() - 1);
        List<String> formers = tokens.subList(0, tokens.size() - 1);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
            provider.current();
            return formers.stream().noneMatch(provider::appearsIn);
        });
        assertThat(provider.redact(tokens.get(0))).as("forgotten").isEqualTo(tokens.get(0));
        assertThat(provider.redact(newest)).as("the current token stays").doesNotContain(newest);

        // A token read again (a rollback) is current again, however long ago it was first replaced.
        write(file, tokens.get(0));
        assertThat(provider.current()).contains(tokens.get(0));
        assertThat(provider.appearsIn(tokens.get(0))).isTrue();
        assertThat(provider.appearsIn(newest)).as("replaced just now").isTrue();
    }

    private static void write(Path file, String token) throws IOException {
        Path next = file.resolveSibling("next");
        Files.writeString(next, token + "\n");
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
