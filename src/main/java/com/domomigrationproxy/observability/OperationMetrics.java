package com.domomigrationproxy.observability;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.LedgerEvent;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationState;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;

/**
 * Listens to the ledger: counts operations by the state they ended in and audit writes that
 * failed, and writes one log line per finished operation. Tags take their values from enums only.
 */
@Startup // its series exist from the start, at 0, not from the first migration
@ApplicationScoped
class OperationMetrics {

    private static final Logger LOG = Logger.getLogger(OperationMetrics.class);

    private final Meter.MeterProvider<Counter> operations;
    private final Meter.MeterProvider<Counter> auditWriteFailures;

    @Inject
    OperationMetrics(MeterRegistry registry) {
        operations = Counter.builder("proxy.operations")
                .description("Migrations and reversals by the state they ended in")
                .withRegistry(registry);
        auditWriteFailures = Counter.builder("audit.write.failures")
                .description("Audit writes that could not be committed, by phase")
                .withRegistry(registry);
        // Known series start at zero, so that rate() and alerts work before the first event.
        for (LedgerEvent.Phase phase : LedgerEvent.Phase.values()) {
            auditWriteFailures.withTags("phase", phase.tag());
        }
        for (Direction direction : Direction.values()) {
            for (OperationState state : OperationState.values()) {
                if (state != OperationState.PENDING) {
                    operations.withTags("direction", direction.name(), "state", state.name());
                }
            }
        }
    }

    /** Once per operation, when Domo's answer (or its absence) is known, whether or not the store took it yet. */
    void finished(@Observes LedgerEvent.OperationFinished event) {
        Operation done = event.operation();
        operations.withTags("direction", done.direction().name(), "state", done.state().name()).increment();
        LOG.infof("Operation %s %s of datasource %s by %s: %s (toe %s)%s", done.operationId(), done.direction(),
                done.datasourceId(), done.requestedBy(), done.state(), done.outcome().toe(),
                event.recorded() ? "" : ", outcome not recorded yet");
    }

    void auditWriteFailed(@Observes LedgerEvent.AuditWriteFailed event) {
        auditWriteFailures.withTags("phase", event.phase().tag()).increment();
    }
}
