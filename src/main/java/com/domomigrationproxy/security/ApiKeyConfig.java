package com.domomigrationproxy.security;

import java.nio.file.Path;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;

/** API-key authentication. */
@ConfigMapping(prefix = "proxy")
public interface ApiKeyConfig {

    /**
     * JSON file of {@code [{"name","sha256","roles"}]}, re-read when it changes. Env PROXY_API_KEYS_FILE.
     * Without it, only JWTs authenticate.
     */
    Optional<Path> apiKeysFile();
}
