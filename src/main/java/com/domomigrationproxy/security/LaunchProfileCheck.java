package com.domomigrationproxy.security;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.domomigrationproxy.problem.SettingProblems;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;

/**
 * Refuses to start the packaged service under the dev or test profile (QUARKUS_PROFILE): those
 * profiles hold what only {@code ./mvnw quarkus:dev} and the tests may use, committed to the
 * repository: the dev API key file, the console's session key, cookies without Secure, the Domo
 * sandbox. A packaged service so started took each of them wherever the environment did not set
 * its own, and said nothing (review).
 */
@ApplicationScoped
class LaunchProfileCheck {

    private static final List<String> DEVELOPMENT_PROFILES = List.of("dev", "test");

    void onStart(@Observes StartupEvent event) {
        SettingProblems.refuseStart(problems(LaunchMode.current(), ConfigUtils.getProfiles()));
    }

    static List<String> problems(LaunchMode mode, List<String> profiles) {
        if (mode != LaunchMode.NORMAL) {
            return List.of();
        }
        List<String> development = profiles.stream().filter(DEVELOPMENT_PROFILES::contains).toList();
        return development.isEmpty() ? List.of()
                : List.of("QUARKUS_PROFILE names " + String.join(", ", development) + ": those profiles hold the"
                        + " repository's dev-only API keys, console session key and Domo sandbox, for ./mvnw quarkus:dev"
                        + " and the tests only; the packaged service runs with its environment's settings");
    }
}
