package com.domomigrationproxy.siem;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

import io.smallrye.health.api.HealthGroup;

/**
 * DOWN when the oldest chain event not yet delivered to the SIEM is older than
 * PROXY_AUDIT_STREAM_MAX_LAG. In its own group ({@code /q/health/group/audit-stream}), not in
 * readiness: a SIEM outage must not take the service down, it only delays the copy. Reads what the
 * stream last saw; never touches the receiver.
 */
@HealthGroup("audit-stream")
@ApplicationScoped
class AuditStreamHealthCheck implements HealthCheck {

    private final AuditStream stream;

    @Inject
    AuditStreamHealthCheck(AuditStream stream) {
        this.stream = stream;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("audit-stream");
        AuditStream.Status status = stream.status();
        if (!status.enabled()) {
            return response.up().withData("enabled", false).build();
        }
        Instant now = Instant.now();
        Instant oldest = status.backlog().oldestUndelivered();
        Duration lag = oldest == null ? Duration.ZERO : Duration.between(oldest, now);
        boolean stale = stale(status, stream.staleAfter(), now);
        response.status(lag.compareTo(stream.maxLag()) <= 0 && !stale)
                .withData("enabled", true)
                .withData("delivering", status.delivering())
                .withData("backlog", status.backlog().events())
                .withData("lagSeconds", Math.max(0, lag.toSeconds()))
                .withData("maxLagSeconds", stream.maxLag().toSeconds());
        if (oldest != null) {
            response.withData("oldestUndeliveredAt", oldest.toString());
        }
        if (status.backlog().lastDeliveredAt() != null) {
            response.withData("lastDeliveredAt", status.backlog().lastDeliveredAt().toString());
        }
        if (status.backlogReadAt() != null) {
            response.withData("checkedAt", status.backlogReadAt().toString());
        }
        if (stale) {
            response.withData("stale", "the backlog was last read more than " + stream.staleAfter().toSeconds()
                    + " s ago: the sender is stuck or the database does not answer it");
        }
        if (status.lastFailure() != null) {
            response.withData("lastFailure", status.lastFailure()).withData("lastFailureAt", status.lastFailureAt().toString());
        }
        return response.build();
    }

    /**
     * Whether the backlog behind the lag is too old to judge by: the sender reads it every round,
     * so a reading older than {@code staleAfter} (AuditStream#staleAfter) means it is stuck (a
     * database call that does not return) or gone, and the lag it last saw, zero perhaps, says
     * nothing about the events since.
     */
    static boolean stale(AuditStream.Status status, Duration staleAfter, Instant now) {
        Instant readAt = status.backlogReadAt() == null ? status.startedAt() : status.backlogReadAt();
        return readAt != null && Duration.between(readAt, now).compareTo(staleAfter) > 0;
    }
}
