package com.domomigrationproxy.audit;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;

/** A row of the audit trail; see V1__operation.sql for what the database allows to change. */
@Entity
@Table(name = "operation")
class OperationRecord extends PanacheEntityBase {

    @Id
    @Column(name = "operation_id")
    public UUID operationId;

    @Enumerated(EnumType.STRING)
    @Column(name = "direction", nullable = false, updatable = false)
    public Direction direction;

    @Column(name = "datasource_id", nullable = false, updatable = false)
    public String datasourceId;

    @Column(name = "account_id", updatable = false)
    public String accountId;

    @Column(name = "catalog_name", updatable = false)
    public String catalog;

    @Column(name = "schema_name", updatable = false)
    public String schema;

    @Column(name = "table_name", updatable = false)
    public String table;

    @Column(name = "requested_by", nullable = false, updatable = false)
    public String requestedBy;

    @Column(name = "auth_method", nullable = false, updatable = false)
    public String authMethod;

    @Column(name = "request_id", nullable = false, updatable = false)
    public String requestId;

    @Column(name = "client_address", updatable = false)
    public String clientAddress;

    @Column(name = "requested_at", nullable = false, updatable = false)
    public Instant requestedAt;

    @Enumerated(EnumType.STRING)
    @Column(name = "state", nullable = false)
    public OperationState state;

    @Column(name = "toe")
    public String toe;

    @Column(name = "start_time")
    public String startTime;

    @Column(name = "end_time")
    public String endTime;

    @Column(name = "error_message")
    public String errorMessage;

    @Column(name = "upstream_status")
    public Integer upstreamStatus;

    @Column(name = "duration_ms")
    public Long durationMs;

    @Column(name = "completed_at")
    public Instant completedAt;

    @Enumerated(EnumType.STRING)
    @Column(name = "reconciled_state")
    public OperationState reconciledState;

    @Column(name = "reconciled_at")
    public Instant reconciledAt;

    @Column(name = "reconciliation_note")
    public String reconciliationNote;

    Operation toOperation() {
        return new Operation(operationId, direction, datasourceId, accountId, catalog, schema, table, state, toe,
                startTime, endTime, errorMessage, requestedBy, requestedAt, completedAt, requestId, upstreamStatus,
                authMethod, clientAddress, durationMs,
                reconciledAt == null ? null : new Operation.Reconciliation(reconciledState, reconciledAt, reconciliationNote),
                null);
    }
}
