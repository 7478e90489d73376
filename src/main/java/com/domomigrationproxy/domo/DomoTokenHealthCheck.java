package com.domomigrationproxy.domo;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

import io.smallrye.health.api.HealthGroup;

/**
 * Whether Domo accepts the service's token, as the last periodic check ({@link DomoTokenMonitor})
 * found: DOWN while Domo rejects it or cannot be reached. In its own group ({@code
 * /q/health/group/domo}), not in readiness, so that alerting can use it without a Domo outage
 * making the pod unready. Never calls Domo, never includes the token.
 */
@HealthGroup("domo")
@ApplicationScoped
class DomoTokenHealthCheck implements HealthCheck {

    private final DomoTokenMonitor monitor;

    @Inject
    DomoTokenHealthCheck(DomoTokenMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("domo-token");
        if (monitor.sandbox()) {
            return response.up().withData("mode", "sandbox")
                    .withData("warning", DomoUpstreamHealthCheck.SANDBOX_WARNING).build();
        }
        DomoTokenMonitor.Status status = monitor.status();
        boolean failing = status.state() == DomoTokenMonitor.State.REJECTED
                || status.state() == DomoTokenMonitor.State.UNREACHABLE;
        response.status(!failing).withData("mode", "domo").withData("state", status.state().label());
        if (status.lastCheckedAt() != null) {
            response.withData("lastCheckedAt", status.lastCheckedAt().toString());
        }
        if (status.lastOkAt() != null) {
            response.withData("lastOkAt", status.lastOkAt().toString());
        }
        if (status.problemType() != null) {
            response.withData("problemType", status.problemType());
        }
        if (status.upstreamStatus() != null) {
            response.withData("upstreamStatus", status.upstreamStatus());
        }
        return response.build();
    }
}
