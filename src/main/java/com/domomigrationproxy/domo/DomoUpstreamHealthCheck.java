package com.domomigrationproxy.domo;

import java.net.URI;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;


/**
 * Readiness summary of the Domo side: where calls go (sandbox or Domo) and what the last token check
 * found. Always UP: a Domo outage must not take the pod out of the Service, or the audit API would
 * go down with Domo; {@link DomoTokenHealthCheck} is the one that fails. Never calls Domo, never
 * includes the token.
 */
@Readiness
@ApplicationScoped
class DomoUpstreamHealthCheck implements HealthCheck {

    static final String SANDBOX_WARNING = "answers come from the built-in Domo sandbox, not from Domo";

    private final DomoTokenMonitor monitor;
    private final DomoConfig config;
    private final DomoTokenProvider tokens;
    private final DomoClient domo;

    @Inject
    DomoUpstreamHealthCheck(DomoTokenMonitor monitor, DomoConfig config, DomoTokenProvider tokens, DomoClient domo) {
        this.monitor = monitor;
        this.config = config;
        this.tokens = tokens;
        this.domo = domo;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("domo-upstream").up();
        if (monitor.sandbox()) {
            return response.withData("mode", "sandbox").withData("warning", SANDBOX_WARNING).build();
        }
        DomoTokenMonitor.Status status = monitor.status();
        response.withData("mode", "domo")
                .withData("domoHost", config.baseUrl().map(URI::getHost).orElse("not configured"))
                .withData("tokenPresent", tokens.current().isPresent())
                .withData("tokenState", status.state().label())
                .withData("circuitBreaker", domo.circuitState().name().toLowerCase())
                .withData("details", "/q/health/group/domo");
        if (status.lastCheckedAt() != null) {
            response.withData("lastCheckedAt", status.lastCheckedAt().toString());
        }
        return response.build();
    }
}
