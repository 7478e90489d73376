package com.domomigrationproxy.domo;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Says where the Domo calls go (the sandbox or a Domo instance) without making the pod unready:
 * a Domo outage must not take the audit API down with it. Never includes the token.
 */
@Readiness
@ApplicationScoped
class DomoUpstreamHealthCheck implements HealthCheck {

    private final DomoConfig config;
    private final DomoTokenProvider tokens;

    @Inject
    DomoUpstreamHealthCheck(DomoConfig config, DomoTokenProvider tokens) {
        this.config = config;
        this.tokens = tokens;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("domo-upstream").up();
        if (config.sandbox().enabled()) {
            return response.withData("mode", "sandbox")
                    .withData("warning", "answers come from the built-in Domo sandbox, not from Domo")
                    .build();
        }
        return response.withData("mode", "domo")
                .withData("baseUrl", config.baseUrl().map(Object::toString).orElse("not configured"))
                .withData("tokenPresent", tokens.current().isPresent())
                .build();
    }
}
