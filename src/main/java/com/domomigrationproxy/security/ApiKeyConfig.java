package com.domomigrationproxy.security;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** API keys, the scopes JWTs carry, and the principals' last use. */
@ConfigMapping(prefix = "proxy")
public interface ApiKeyConfig {

    /**
     * JSON file of {@code [{"name","sha256","roles","scopes","expiresAt"}]}, re-read when it changes.
     * Env PROXY_API_KEYS_FILE. Without it, only JWTs authenticate.
     */
    Optional<Path> apiKeysFile();

    /** How often the file is looked at (and re-read when it changed). Env PROXY_API_KEYS_RELOAD_INTERVAL. */
    @WithDefault("1s")
    String apiKeysReloadInterval();

    /** API keys expiring within this period are listed by the health check. Env PROXY_API_KEY_EXPIRY_WARNING. */
    @WithDefault("14d")
    Duration apiKeyExpiryWarning();

    /** The JWT claim that holds the caller's scopes object. Env PROXY_JWT_SCOPES_CLAIM. */
    @WithDefault("domo_scopes")
    String jwtScopesClaim();

    /**
     * How often principals' last use is looked at for writing (each principal's row is written at most
     * once a minute whatever this is). Env PROXY_PRINCIPAL_LAST_USE_WRITE_CHECK.
     */
    @WithDefault("5s")
    String principalLastUseWriteCheck();
}
