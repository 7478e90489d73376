package com.domomigrationproxy.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.domomigrationproxy.support.ConfigMappings;

/** A body deadline not above 0 stops the start with its name (Vert.x would refuse its timer at every body). */
class BodyDeadlineSettingTest {

    @Test
    void onlyAPositiveDeadlinePasses() {
        BodyConfig defaults = ConfigMappings.of(BodyConfig.class, Map.of());
        assertThat(defaults.deadline()).isEqualTo(Duration.ofSeconds(10));
        assertThat(RequestFilter.problems(defaults.deadline())).isEmpty();
        assertThat(RequestFilter.problems(ConfigMappings.of(BodyConfig.class, Map.of("proxy.body.deadline", "0s")).deadline()))
                .containsExactly("PROXY_BODY_DEADLINE must be longer than 0, not PT0S");
        assertThat(RequestFilter.problems(Duration.ofSeconds(-1)))
                .containsExactly("PROXY_BODY_DEADLINE must be longer than 0, not PT-1S");
    }
}
