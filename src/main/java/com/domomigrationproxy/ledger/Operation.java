package com.domomigrationproxy.ledger;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.security.Scopes;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * The contract's Operation: the answer of migrate and reverse, and an item of the audit trail.
 * Built from what was asked ({@link OperationIntent}), how it ended ({@link Outcome}), what was
 * found out later ({@link Reconciliation}, {@link Review}) and its links in the hash chain; the
 * JSON is flat, as the contract has it.
 */
@Schema(name = "Operation", description = "A migration or reversal requested through this service, as audited")
public record Operation(
        @Schema(description = "Our id of the operation", required = true) UUID operationId,
        @JsonUnwrapped OperationIntent intent,
        @JsonUnwrapped Outcome outcome,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "For an UNKNOWN (or abandoned PENDING) operation: what Domo showed later, or what a"
                + " person recorded; state keeps what was known at the time", nullable = true) Reconciliation reconciliation,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "Set when reconciliation could not tell from Domo whether the operation took effect:"
                + " a person must resolve it, and the datasource stays locked until then (or until its outcome,"
                + " written late by another replica, is recorded). Kept once resolved, as the record that it was"
                + " flagged: it still waits while it has no reconciliation and its state is PENDING or UNKNOWN"
                + " (the needsReview filter)", nullable = true) Review review,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "This operation's links in the audit hash chain (audit API only)",
                nullable = true) Chain chain) {

    /** This operation without its links in the hash chain, which only the audit API answers with. */
    public Operation withoutChain() {
        return chain == null ? this : new Operation(operationId, intent, outcome, reconciliation, review, null);
    }

    /**
     * This operation as a caller who may not read the audit trail sees it: without its links, and
     * without the client address and grant of whoever asked for it (for an operator resolving a
     * colleague's operation).
     */
    public Operation withoutRequesterDetails() {
        return new Operation(operationId, intent.withoutClientAndGrant(), outcome, reconciliation, review, null);
    }

    /** How an unknown outcome was resolved later, recorded next to it (never instead of it). */
    @Schema(name = "Reconciliation")
    public record Reconciliation(
            @Schema(description = "COMPLETE (took effect) or ABORTED (did not take effect)", required = true)
            OperationState state,
            @Schema(description = "When it was reconciled", required = true) Instant at,
            @Schema(description = "What was checked", required = true) String note,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @Schema(description = "Who resolved it by hand; absent when the service reconciled it from Domo",
                    nullable = true) String by) {
    }

    /** Why a person has to look at this operation. */
    @Schema(name = "Review")
    public record Review(
            @Schema(description = "What Domo showed and why that cannot tell the outcome", required = true) String reason,
            @Schema(description = "When it was flagged", required = true) Instant flaggedAt) {
    }

    /** The operation's events in the hash chain; docs/audit.md says how to verify them. */
    @Schema(name = "AuditChain")
    public record Chain(
            @Schema(description = "The intent event, written before Domo was called", required = true) Link intent,
            @Schema(description = "The outcome event; null while PENDING", nullable = true) Link outcome,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @Schema(description = "The reconciliation event, if any", nullable = true) Link reconciliation,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @Schema(description = "The review event, if any", nullable = true) Link review) {
    }

    @Schema(name = "AuditChainLink")
    public record Link(
            @Schema(description = "Position in the chain", minimum = "1", required = true) long seq,
            @Schema(description = "Hash of the previous event", pattern = HashChain.HASH_PATTERN, required = true)
            String prevHash,
            @Schema(description = "sha256 hex of prevHash, a newline and the event's canonical JSON",
                    pattern = HashChain.HASH_PATTERN, required = true) String hash) {
    }

    // Shortcuts, not bean getters: neither Jackson nor the OpenAPI scanner sees them.

    public Direction direction() {
        return intent.direction();
    }

    public String datasourceId() {
        return intent.datasourceId();
    }

    public OperationState state() {
        return outcome.state();
    }

    /**
     * About the characters of its scopes, the one part of its row without a size limit: what reads
     * of many operations at once count ({@link RowPage}, {@link FetchSize}, {@link ReadAhead}).
     */
    public long scopesLength() {
        Scopes scopes = intent.scopes();
        if (scopes == null) {
            return 0;
        }
        long length = 0;
        for (List<String> entries : Arrays.asList(scopes.integrationTypes(), scopes.accounts(), scopes.datasources())) {
            for (String entry : entries == null ? List.<String>of() : entries) {
                length += entry.length() + 3;
            }
        }
        return length;
    }

    public String requestedBy() {
        return intent.requestedBy();
    }

    public Instant requestedAt() {
        return intent.requestedAt();
    }

    /** What it did as far as is known: the reconciled state when it was reconciled, else its state. */
    public OperationState effect() {
        return reconciliation != null ? reconciliation.state() : state();
    }

    /**
     * Domo's answer to an operation resolved (reconciled, or by a person) before the answer could be
     * written: its LATE_OUTCOME event ({@link OperationStore#lateAnswers}).
     */
    public record LateAnswer(OperationState state, Integer upstreamStatus) {
    }

    /**
     * Whether it took effect or may have: anything but ABORTED, and but a FAILED whose answer shows
     * that Domo did not act on it; and an operation resolved ABORTED whose late answer (null when
     * none) says that Domo may have acted. The rule of {@link #mayHaveTakenEffectSql}.
     */
    public boolean mayHaveTakenEffect(LateAnswer late) {
        OperationState effect = effect();
        boolean lateSaysActed = late != null && reconciliation != null && late.state() != OperationState.ABORTED
                && !(late.state() == OperationState.FAILED && refusedBeforeActing(late.upstreamStatus()));
        return (effect != OperationState.ABORTED || lateSaysActed)
                && (effect != OperationState.FAILED || !refusedBeforeActing(outcome().upstreamStatus()));
    }

    /**
     * Whether it certainly took effect: resolved or ended COMPLETE, with no late answer (null when
     * none) that says otherwise than its resolution.
     */
    public boolean tookEffect(LateAnswer late) {
        return effect() == OperationState.COMPLETE
                && (late == null || reconciliation == null || late.state() == OperationState.COMPLETE);
    }

    /**
     * Whether a FAILED operation's answer shows that Domo did not act on it: no status (nothing was
     * sent: no token, the circuit breaker, the connection refused), a redirect (an allow-list's page)
     * or a 4xx. Its other answers do not: a 2xx that could not be read, or a 5xx (a gateway's 502 or
     * 504 is recorded UNKNOWN now, FAILED in rows written before). Wider than
     * {@code RecordedAnswer.domoDidNothing}, which frees an Idempotency-Key only where a retry may get
     * another answer (nothing sent, a 3xx, 401, 403, 429), since Domo's other 4xx would be answered
     * the same again.
     */
    static boolean refusedBeforeActing(Integer upstreamStatus) {
        return upstreamStatus == null || (upstreamStatus >= 300 && upstreamStatus < 500);
    }

    /**
     * {@link #unresolved} in SQL, for the operation row under this alias: the predicate of the
     * partial indexes that keep one operation per datasource in flight.
     */
    public static String unresolvedSql(String alias) {
        return alias + ".state IN ('PENDING', 'UNKNOWN') AND " + alias + ".reconciled_at IS NULL";
    }

    /**
     * {@link #mayHaveTakenEffect} in SQL, for the operation row under this alias, with what the row alone
     * does not show: an operation resolved (by reconciliation or a person) before Domo's answer was
     * written, whose answer, kept as a LATE_OUTCOME event, says Domo may have acted, counts as having
     * done so though it was resolved ABORTED. A resolution is written once and cannot be mended; the late
     * answer is the better word. One rule for every reader: the accounts a data source may be in (scopes
     * review), and what a plan's rollback reverses and its retries respect (plans review).
     */
    public static String mayHaveTakenEffectSql(String alias) {
        return """
                ((coalesce(%1$s.reconciled_state, %1$s.state) <> 'ABORTED'
                  OR (%1$s.reconciled_state IS NOT NULL AND EXISTS (SELECT 1 FROM audit_event l
                      WHERE l.subject = %1$s.operation_id::text AND l.kind = '%2$s'
                        AND l.payload::jsonb->>'state' <> 'ABORTED' AND NOT (l.payload::jsonb->>'state' = 'FAILED'
                        AND %3$s))))
                 AND NOT (%1$s.state = 'FAILED' AND %4$s))""".formatted(alias, OperationStore.LATE_OUTCOME,
                refusedBeforeActingStatusSql("(l.payload::jsonb->>'upstreamStatus')::int"), refusedBeforeActingSql(alias));
    }

    /** {@link #refusedBeforeActing} in SQL, for the operation row under this alias (true also for no row). */
    public static String refusedBeforeActingSql(String alias) {
        return refusedBeforeActingStatusSql(alias + ".upstream_status");
    }

    /** The same rule for Domo's status given as an SQL expression (a chain event's member, say). */
    static String refusedBeforeActingStatusSql(String status) {
        return "(" + status + " IS NULL OR " + status + " BETWEEN 300 AND 499)";
    }

    /**
     * Flagged for a person's review and still unresolved. A flagged operation whose outcome arrived
     * afterwards (a replica's backlog written late) has nothing left to review.
     */
    public boolean awaitingReview() {
        return review != null && unresolved();
    }

    /** True while nobody knows how it ended: PENDING or UNKNOWN, and not reconciled. */
    public boolean unresolved() {
        return (state() == OperationState.PENDING || state() == OperationState.UNKNOWN) && reconciliation == null;
    }
}
