package com.domomigrationproxy.devdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.eclipse.microprofile.config.spi.ConfigSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.runtime.LaunchMode;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * The embedded database's source joins the configuration only when nothing else sets the JDBC URL:
 * a configured database without a password must not start an embedded one that would replace it.
 * (The source itself starts PostgreSQL when asked; nothing is asked here.)
 */
class EmbeddedPostgresConfigSourceFactoryTest {

    private LaunchMode before;

    @BeforeEach
    void inTests() {
        before = LaunchMode.current();
        LaunchMode.set(LaunchMode.TEST);
    }

    @AfterEach
    void restore() {
        LaunchMode.set(before);
    }

    /** In production the factory adds nothing and does not even resolve the URL (it may need a later source). */
    @Test
    void inProductionItAddsNothingAndResolvesNothing() {
        LaunchMode.set(LaunchMode.NORMAL);
        assertThat(sources(config(Map.of(EmbeddedPostgresConfigSource.URL, "${defined.by.a.later.source}"), null)))
                .doesNotContain("embedded-postgresql");
        assertThat(sources(config(Map.of(), null))).doesNotContain("embedded-postgresql");
    }

    @Test
    void aUrlOnlyALaterSourceResolvesCountsAsConfigured() {
        assertThat(sources(config(Map.of(EmbeddedPostgresConfigSource.URL, "${defined.by.a.later.source}"), null)))
                .doesNotContain("embedded-postgresql");
    }

    @Test
    void aConfiguredUrlLeavesTheEmbeddedSourceOut() {
        assertThat(sources(config(Map.of(EmbeddedPostgresConfigSource.URL, "jdbc:postgresql://db/app",
                EmbeddedPostgresConfigSource.USERNAME, "me"), null))).doesNotContain("embedded-postgresql");
    }

    @Test
    void aUrlOfTheActiveProfileLeavesItOutToo() {
        Map<String, String> properties = Map.of("%dev." + EmbeddedPostgresConfigSource.URL, "jdbc:postgresql://db/app");
        assertThat(sources(config(properties, "dev"))).doesNotContain("embedded-postgresql");
        assertThat(sources(config(properties, "prod"))).contains("embedded-postgresql");
    }

    @Test
    void withoutAUrlTheEmbeddedSourceIsThere() {
        assertThat(sources(config(Map.of(EmbeddedPostgresConfigSource.USERNAME, "me"), null)))
                .contains("embedded-postgresql");
    }

    private static SmallRyeConfig config(Map<String, String> properties, String profile) {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(properties, "configured", 300))
                .withSources(new EmbeddedPostgresConfigSourceFactory());
        if (profile != null) {
            builder.withProfile(profile);
        }
        return builder.build();
    }

    private static Iterable<String> sources(SmallRyeConfig config) {
        return java.util.stream.StreamSupport.stream(config.getConfigSources().spliterator(), false)
                .map(ConfigSource::getName).toList();
    }
}
