package com.domomigrationproxy.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.ConfigMappings;

/**
 * A body deadline under 1 s, or not shorter than the read timeout (a stalled HTTP/2 body would then
 * end its whole connection there), stops the start with its name.
 */
class BodyDeadlineSettingTest {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    @Test
    void onlyAPositiveDeadlinePasses() {
        BodyConfig defaults = ConfigMappings.of(BodyConfig.class, Map.of());
        assertThat(defaults.deadline()).isEqualTo(Duration.ofSeconds(10));
        assertThat(RequestFilter.problems(defaults.deadline(), READ_TIMEOUT)).isEmpty();
        assertThat(RequestFilter.problems(Duration.ofSeconds(1), READ_TIMEOUT)).isEmpty();
        assertThat(RequestFilter.problems(Duration.ofSeconds(59), READ_TIMEOUT)).isEmpty();
        for (String refused : new String[] { "0s", "-1s", "0.0005s", "999ms", "60s", "1h" }) {
            Duration deadline = ConfigMappings.of(BodyConfig.class, Map.of("proxy.body.deadline", refused)).deadline();
            assertThat(RequestFilter.problems(deadline, READ_TIMEOUT)).as(refused).containsExactly(
                    "PROXY_BODY_DEADLINE must be at least 1s and shorter than QUARKUS_HTTP_READ_TIMEOUT (PT1M), not "
                            + deadline);
        }
    }
}
