package com.domomigrationproxy.security;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Lists the API keys that expire within PROXY_API_KEY_EXPIRY_WARNING, or have expired, in
 * {@code /q/health} (as {@code expiring.<name>} and {@code expired.<name>}, valued with the
 * instant). Always UP: a key running out is a task for whoever owns it, not a reason to take the
 * service out of rotation. Memory only.
 */
@Readiness
@ApplicationScoped
class ApiKeyExpiryHealthCheck implements HealthCheck {

    private final ApiKeyStore keys;
    private final Duration warning;

    @Inject
    ApiKeyExpiryHealthCheck(ApiKeyStore keys, ApiKeyConfig config) {
        this.keys = keys;
        this.warning = config.apiKeyExpiryWarning();
    }

    @Override
    public HealthCheckResponse call() {
        Instant now = Instant.now();
        Instant horizon = now.plus(warning);
        HealthCheckResponseBuilder response = HealthCheckResponse.named("api-key-expiry").up()
                .withData("warningPeriod", warning.toString());
        List<ApiKeyStore.ApiKey> soon = keys.keys().stream()
                .filter(key -> key.expiresAt() != null && key.expiresAt().isBefore(horizon))
                .sorted(Comparator.comparing(ApiKeyStore.ApiKey::expiresAt))
                .toList();
        for (ApiKeyStore.ApiKey key : soon) {
            response.withData((key.expiredAt(now) ? "expired." : "expiring.") + key.name(), key.expiresAt().toString());
        }
        return response.withData("expiringOrExpired", soon.size()).build();
    }
}
