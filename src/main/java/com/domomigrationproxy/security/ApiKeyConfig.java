package com.domomigrationproxy.security;

import java.nio.file.Path;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** API-key authentication. */
@ConfigMapping(prefix = "proxy")
public interface ApiKeyConfig {

    /**
     * JSON file of {@code [{"name","sha256","roles"}]}, re-read when it changes. Env PROXY_API_KEYS_FILE.
     * Without it, only JWTs authenticate.
     */
    Optional<Path> apiKeysFile();

    /** How often the file is looked at (and re-read when it changed). Env PROXY_API_KEYS_RELOAD_INTERVAL. */
    @WithDefault("1s")
    String apiKeysReloadInterval();
}
