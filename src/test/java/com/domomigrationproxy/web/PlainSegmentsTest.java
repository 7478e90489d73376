package com.domomigrationproxy.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** RequestFilter.plainSegments is the regex it replaced on the hot path, to the letter. */
class PlainSegmentsTest {

    private static final Pattern REPLACED = Pattern.compile("(/[A-Za-z0-9_-]+)+");

    @Test
    void answersAsTheRegex() {
        String[] paths = { "/", "//", "/a", "/a/", "/a//b", "/api/v1/accounts/1/candidates", "/api/v1/x.y",
            "/api/v1/%2e", "/api/v1/..", "/api/v1/a\\b", "a/b", "/A-z_0-9", "/api/v1/é", "/api/v1/ a", "" };
        for (String path : paths) {
            assertThat(RequestFilter.plainSegments(path)).as(path).isEqualTo(REPLACED.matcher(path).matches());
        }
        String alphabet = "/aZ09_-.%\\ é";
        Random random = new Random(42);
        for (int n = 0; n < 100_000; n++) {
            StringBuilder path = new StringBuilder();
            for (int length = random.nextInt(8); length >= 0; length--) {
                path.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String text = path.toString();
            assertThat(RequestFilter.plainSegments(text)).as(text).isEqualTo(REPLACED.matcher(text).matches());
        }
    }
}
