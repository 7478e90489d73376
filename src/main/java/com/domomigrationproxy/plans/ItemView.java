package com.domomigrationproxy.plans;

import java.time.Instant;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.ledger.Outcome;
import com.domomigrationproxy.migration.Identifiers;

/** An item of a plan as the API shows it, with its latest operation's outcome. */
@Schema(name = "PlanItem", description = "One item of a plan")
public record ItemView(
        @Schema(description = "Position in the plan, from 1; for a CSV, the n-th item line after the header (blank lines not counted)", minimum = "1",
                required = true) int itemId,
        @Schema(description = "Domo data source id", pattern = Identifiers.ANCHORED_PATTERN,
                required = true) String datasourceId,
        @Schema(description = "Target V2 account; null for a reversal", nullable = true) String accountId,
        @Schema(description = "Catalog; null for a reversal", nullable = true) String catalog,
        @Schema(description = "Schema; null for a reversal", nullable = true) String schema,
        @Schema(description = "Table; null for a reversal", nullable = true) String table,
        @Schema(description = "What the preflight found", required = true) Verdict verdict,
        @Schema(description = "Why the preflight found it so", nullable = true) String reason,
        @Schema(description = "WAITING, RUNNING, SKIPPED, or the state its operation ended in (the reconciled state"
                + " once an unknown outcome was reconciled)", required = true) ItemState state,
        @Schema(description = "What happened to it last: why it waits, why it was skipped", nullable = true) String note,
        @Schema(description = "Its latest operation in the audit trail", nullable = true) UUID operationId,
        @Schema(description = "Operations sent for it", minimum = "0", required = true) int attempts,
        @Schema(description = "When its latest operation was sent", nullable = true) Instant sentAt,
        @Schema(description = "When it reached its state (ran to an end, or was skipped)", nullable = true)
        Instant finishedAt,
        @Schema(description = "Domo's request id of its latest operation", nullable = true) String toe,
        @Schema(description = "Domo's errorMessage, or why there is no Domo result", nullable = true) String errorMessage) {

    static ItemView of(PlanItems.Row row, Outcome outcome) {
        PlanItemSpec spec = row.spec();
        return new ItemView(row.itemId(), spec.datasourceId(), spec.accountId(), spec.catalog(), spec.schema(),
                spec.table(), row.verdict(), row.reason(), row.state(), row.note(), row.operationId(), row.attempts(),
                row.sentAt(), row.finishedAt(), outcome == null ? null : outcome.toe(),
                outcome == null ? null : outcome.errorMessage());
    }
}
