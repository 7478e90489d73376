package com.domomigrationproxy.support;

import java.time.Duration;
import java.util.Map;

import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * Config mappings read from a few values, without starting the application: what the start-up
 * checks of each package are given, with Quarkus's duration and size converters and the
 * application's name (the default of the audit origin and the stream's app name).
 */
public final class ConfigMappings {

    private static final Map<String, String> DEFAULTS = Map.of("quarkus.application.name", "domo-migration-proxy");

    private ConfigMappings() {
    }

    /** One mapping, read from these values. */
    public static <T> T of(Class<T> mapping, Map<String, String> values) {
        return config(values, mapping).getConfigMapping(mapping);
    }

    /** A configuration holding these mappings, read from these values. */
    public static SmallRyeConfig config(Map<String, String> values, Class<?>... mappings) {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder()
                .withConverter(Duration.class, 100, new DurationConverter())
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(values, "test", 300),
                        new PropertiesConfigSource(DEFAULTS, "defaults", 100));
        for (Class<?> mapping : mappings) {
            builder.withMapping(mapping);
        }
        return builder.build();
    }
}
