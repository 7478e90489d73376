package com.domomigrationproxy.plans;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.ledger.Direction;
import com.fasterxml.jackson.annotation.JsonInclude;

/** A plan as the API shows it. */
@Schema(name = "Plan", description = "A migration plan: its content (never changes), approvals and progress")
public record PlanView(
        @Schema(description = "The plan's id", required = true) UUID planId,
        @Schema(description = "The name given at upload", examples = "Wave 1: finance", required = true) String name,
        @Schema(description = "V1_TO_V2 (migrations) or V2_TO_V1 (reversals)", required = true) Direction direction,
        @Schema(description = "Where the plan stands", required = true) PlanState state,
        @Schema(description = "Who uploaded it: JWT principal, API key name or console user", required = true) String createdBy,
        @Schema(description = "How the creator authenticated: jwt, api-key or oidc (the console)", examples = "api-key",
                required = true) String createdByAuthMethod,
        @Schema(description = "When it was uploaded", required = true) Instant createdAt,
        @Schema(description = "sha256 hex of the plan's canonical content (docs/plans.md); an approval names it",
                pattern = "^[0-9a-f]{64}$", required = true) String contentHash,
        @Schema(description = "Items of this plan in flight at once, over all replicas", minimum = "1",
                maximum = "64", required = true) int maxConcurrency,
        @Schema(description = "Number of items", minimum = "1", maximum = "10000", required = true) int itemCount,
        @Schema(description = "Unexpired approvals it needs before it may start", minimum = "1",
                required = true) int approvalsRequired,
        @Schema(description = "Every decision on the plan, oldest first", required = true) List<ApprovalView> approvals,
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        @Schema(description = "Rejections of other plans with the same items (whatever their name, maxConcurrency or"
                + " order), newest first, at most 5; absent when there is none") List<EarlierRejection> earlierRejections,
        @Schema(description = "Number of items by state (WAITING, RUNNING, SKIPPED, COMPLETE, INCOMPLETE, ABORTED,"
                + " FAILED, UNKNOWN) and by preflight verdict (READY, ALREADY_DONE, BLOCKED), and total",
                required = true) Map<String, Long> counts,
        @Schema(description = "When the preflight last ran", required = true) Instant preflightAt,
        @Schema(description = "Who started it; the requester of every operation it runs",
                nullable = true) String startedBy,
        @Schema(description = "When it was started", nullable = true) Instant startedAt,
        @Schema(description = "When it finished or was cancelled, rejected or expired", nullable = true) Instant finishedAt,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "For a rollback plan: the plan whose completed items it reverses",
                nullable = true) UUID rollbackOf,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "While running or paused: pace and estimate", nullable = true) Progress progress) {

    /** One decision on a plan. */
    @Schema(name = "PlanApproval", description = "An approver's decision on a plan")
    public record ApprovalView(
            @Schema(description = "The approver", required = true) String by,
            @Schema(description = "APPROVE or REJECT", required = true) Decision decision,
            @Schema(description = "When it was given", required = true) Instant at,
            @Schema(description = "The approver's comment", nullable = true) String comment,
            @Schema(description = "The content hash the approver decided on", required = true) String contentHash,
            @Schema(description = "Until when an approval counts, if the plan has not started", required = true)
            Instant expiresAt,
            @Schema(description = "True when an approval no longer counts: expired before the plan started",
                    required = true) boolean expired) {
    }

    /** A rejection of another plan with the same items: what this plan's approver should know. */
    @Schema(name = "PlanEarlierRejection", description = "Another plan with the same items, rejected")
    public record EarlierRejection(
            @Schema(description = "The rejected plan", required = true) UUID planId,
            @Schema(description = "Its name", required = true) String name,
            @Schema(description = "Who rejected it", required = true) String by,
            @Schema(description = "When", required = true) Instant at,
            @Schema(description = "The rejecter's comment", nullable = true) String comment) {
    }

    /** How fast a running plan goes, and when it should be done. */
    @Schema(name = "PlanProgress", description = "Pace of a running plan")
    public record Progress(
            @Schema(description = "Items that ran to an end per minute, over the last minute (or since the start)",
                    required = true) double itemsPerMinute,
            @Schema(description = "Items waiting or running", required = true) long remaining,
            @Schema(description = "Seconds until the remaining items are done at that pace; null while no pace is"
                    + " known, and when none remains but items of unknown outcome wait for reconciliation",
                    nullable = true) Long estimatedSecondsLeft,
            @Schema(description = "No item is sent before this: Domo asked the service to slow down", nullable = true)
            Instant throttledUntil,
            @Schema(description = "Why the plan is slowed down", nullable = true) String throttleReason) {
    }
}
