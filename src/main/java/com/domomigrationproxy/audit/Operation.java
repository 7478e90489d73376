package com.domomigrationproxy.audit;

import java.time.Instant;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The contract's Operation: the answer of migrate and reverse, and an item of the audit trail. */
@Schema(name = "Operation", description = "A migration or reversal requested through this service, as audited")
public record Operation(
        @Schema(description = "Our id of the operation", required = true) UUID operationId,
        @Schema(description = "V1_TO_V2 for a migration, V2_TO_V1 for a reversal", required = true) Direction direction,
        @Schema(description = "Domo data source id", examples = "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01",
                required = true) String datasourceId,
        @Schema(description = "Target V2 account; null for a reversal", examples = "1",
                nullable = true) String accountId,
        @Schema(description = "Catalog; null for a reversal", examples = "MyCatalogName", nullable = true) String catalog,
        @Schema(description = "Schema (may be the literal NULL); null for a reversal", examples = "MySchemaName",
                nullable = true) String schema,
        @Schema(description = "Table; null for a reversal", examples = "MyTableName", nullable = true) String table,
        @Schema(description = "COMPLETE, INCOMPLETE, ABORTED (Domo's); PENDING, FAILED, UNKNOWN (ours)",
                required = true) OperationState state,
        @Schema(description = "Domo's request id; Domo support asks for it", examples = "DM4X9GT6H5-5ERQX-MPDO6",
                nullable = true) String toe,
        @Schema(description = "Domo's startTime, as Domo sent it", nullable = true) String startTime,
        @Schema(description = "Domo's endTime, as Domo sent it", nullable = true) String endTime,
        @Schema(description = "Domo's errorMessage, or why there is no Domo result", nullable = true) String errorMessage,
        @Schema(description = "Who asked: JWT principal or API key name", examples = "billing-svc",
                required = true) String requestedBy,
        @Schema(description = "When the request was accepted and audited", required = true) Instant requestedAt,
        @Schema(description = "When the outcome was recorded; null while PENDING", nullable = true) Instant completedAt,
        @Schema(description = "X-Request-Id of the request that asked for it", required = true) String requestId,
        @Schema(description = "HTTP status Domo answered with; null when no answer came",
                nullable = true) Integer upstreamStatus,
        @Schema(description = "How the requester authenticated: jwt or api-key", examples = "api-key",
                required = true) String authMethod,
        @Schema(description = "Client address the request came from", nullable = true) String clientAddress,
        @Schema(description = "Milliseconds spent waiting for Domo; null while PENDING", nullable = true) Long durationMs,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "For an UNKNOWN (or abandoned PENDING) operation: what Domo showed later; state keeps"
                + " what was known at the time", nullable = true) Reconciliation reconciliation,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "This operation's links in the audit hash chain (audit API only)",
                nullable = true) Chain chain) {

    /** How an unknown outcome was resolved later, recorded next to it (never instead of it). */
    @Schema(name = "Reconciliation")
    public record Reconciliation(
            @Schema(description = "COMPLETE or ABORTED, as Domo's candidates showed", required = true) OperationState state,
            @Schema(description = "When it was reconciled", required = true) Instant at,
            @Schema(description = "What was checked", required = true) String note) {
    }

    /** The operation's events in the hash chain; see the README for how to verify them. */
    @Schema(name = "AuditChain")
    public record Chain(
            @Schema(description = "The intent event, written before Domo was called") Link intent,
            @Schema(description = "The outcome event; null while PENDING", nullable = true) Link outcome,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @Schema(description = "The reconciliation event, if any", nullable = true) Link reconciliation) {
    }

    @Schema(name = "AuditChainLink")
    public record Link(
            @Schema(description = "Position in the chain") long seq,
            @Schema(description = "Hash of the previous event") String prevHash,
            @Schema(description = "sha256 hex of prevHash, a newline and the event's canonical JSON") String hash) {
    }

    Operation withChain(Chain chain) {
        return new Operation(operationId, direction, datasourceId, accountId, catalog, schema, table, state, toe,
                startTime, endTime, errorMessage, requestedBy, requestedAt, completedAt, requestId, upstreamStatus,
                authMethod, clientAddress, durationMs, reconciliation, chain);
    }
}
