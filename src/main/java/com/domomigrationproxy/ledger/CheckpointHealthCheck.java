package com.domomigrationproxy.ledger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Whether checkpoints are signed, and where they go. Always UP: a service without a signing key
 * still records a trail an auditor can check against the database, and must keep serving; in
 * production the answer carries a warning, and the start logs one.
 */
@Readiness
@ApplicationScoped
class CheckpointHealthCheck implements HealthCheck {

    private static final Logger LOG = Logger.getLogger(CheckpointHealthCheck.class);
    static final String OFF_WARNING = "checkpoints are off (no PROXY_AUDIT_SIGNING_KEY_FILE): a superuser who"
            + " recomputes the hash chain or cuts its end off would go unnoticed";

    private final CheckpointKeys keys;
    private final LedgerConfig config;

    @Inject
    CheckpointHealthCheck(CheckpointKeys keys, LedgerConfig config) {
        this.keys = keys;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        if (!keys.signing() && LaunchMode.current() == LaunchMode.NORMAL) {
            LOG.warn("Audit " + OFF_WARNING);
        } else if (keys.signing() && config.checkpointDir().isEmpty()) {
            LOG.warn("PROXY_AUDIT_CHECKPOINT_DIR is not set: checkpoints are kept in the database and the chain only");
        }
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("audit-checkpoints").up()
                .withData("signing", keys.signing());
        keys.current().ifPresent(key -> response.withData("keyId", key.keyId()));
        response.withData("directory", config.checkpointDir().isPresent());
        response.withData("interval", config.checkpointInterval());
        if (!keys.signing() && LaunchMode.current() == LaunchMode.NORMAL) {
            response.withData("warning", OFF_WARNING);
        }
        return response.build();
    }
}
