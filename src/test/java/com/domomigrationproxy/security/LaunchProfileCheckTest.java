package com.domomigrationproxy.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.LaunchMode;

/** The packaged service never takes the dev or test profile's committed keys and sandbox. */
class LaunchProfileCheckTest {

    @Test
    void thePackagedServiceRefusesTheDevAndTestProfiles() {
        assertThat(LaunchProfileCheck.problems(LaunchMode.NORMAL, List.of("prod"))).isEmpty();
        assertThat(LaunchProfileCheck.problems(LaunchMode.NORMAL, List.of("staging", "prod"))).isEmpty();
        assertThat(LaunchProfileCheck.problems(LaunchMode.NORMAL, List.of("dev"))).singleElement().asString()
                .startsWith("QUARKUS_PROFILE names dev: ");
        assertThat(LaunchProfileCheck.problems(LaunchMode.NORMAL, List.of("staging", "test"))).singleElement()
                .asString().startsWith("QUARKUS_PROFILE names test: ");
        assertThat(LaunchProfileCheck.problems(LaunchMode.DEVELOPMENT, List.of("dev"))).isEmpty();
        assertThat(LaunchProfileCheck.problems(LaunchMode.TEST, List.of("test"))).isEmpty();
    }
}
