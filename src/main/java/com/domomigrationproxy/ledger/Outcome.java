package com.domomigrationproxy.ledger;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** How an operation ended, as far as this service could tell. Part of the flat Operation JSON. */
public record Outcome(
        @Schema(description = "COMPLETE, INCOMPLETE, ABORTED (Domo's); PENDING, FAILED, UNKNOWN (ours)",
                required = true) OperationState state,
        @Schema(description = "Domo's request id; Domo support asks for it", examples = "DM4X9GT6H5-5ERQX-MPDO6",
                nullable = true) String toe,
        @Schema(description = "Domo's startTime, as Domo sent it", nullable = true) String startTime,
        @Schema(description = "Domo's endTime, as Domo sent it", nullable = true) String endTime,
        @Schema(description = "Domo's errorMessage, or why there is no Domo result", nullable = true) String errorMessage,
        @Schema(description = "HTTP status Domo answered with (for an UNKNOWN outcome, its gateway's 502, 504, 520, 524 or 598;"
                + " a gateway may send any three-digit code); null when no answer came", minimum = "100",
                maximum = "999", nullable = true) Integer upstreamStatus,
        @Schema(description = "Milliseconds spent waiting for Domo; null while PENDING", minimum = "0",
                nullable = true) Long durationMs,
        @Schema(description = "When the outcome was recorded; null while PENDING", nullable = true) Instant completedAt) {

    static final Outcome PENDING = new Outcome(OperationState.PENDING, null, null, null, null, null, null, null);

    /** An outcome without a Domo result (no answer, an error status, refused before sending). */
    public static Outcome withoutResult(OperationState state, String toe, String errorMessage, Integer upstreamStatus,
            long durationMs) {
        return new Outcome(state, toe, null, null, errorMessage, upstreamStatus, durationMs, null);
    }

    Outcome recordedAt(Instant time) {
        return new Outcome(state, toe, startTime, endTime, errorMessage, upstreamStatus, durationMs, time);
    }

    /** Text PostgreSQL can store: see {@link StorableText}. */
    Outcome storable() {
        return new Outcome(state, StorableText.of(toe), StorableText.of(startTime), StorableText.of(endTime),
                StorableText.of(errorMessage), upstreamStatus, durationMs, completedAt);
    }
}
