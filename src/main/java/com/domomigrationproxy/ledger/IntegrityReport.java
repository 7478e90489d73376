package com.domomigrationproxy.ledger;

import java.time.Instant;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The outcome of recomputing the whole hash chain. */
@Schema(name = "IntegrityReport")
public record IntegrityReport(
        @Schema(description = "True when every event verifies, every operation has its events and the chain head"
                + " matches the last event", required = true) boolean valid,
        @Schema(description = "Number of chain events recomputed", minimum = "0", required = true) long checked,
        @Schema(description = "Number of operations checked for missing events", minimum = "0", required = true)
        long operations,
        @Schema(description = "Sequence number of the last event", minimum = "1", nullable = true) Long lastSeq,
        @Schema(description = "Hash of the last event: keep it elsewhere to prove later that nothing before it changed",
                pattern = HashChain.HASH_PATTERN, nullable = true) String lastHash,
        @Schema(description = "When the check ran", required = true) Instant verifiedAt,
        @Schema(description = "The first record that does not verify; null when valid", nullable = true)
        Failure firstInvalid) {

    @Schema(name = "IntegrityFailure")
    public record Failure(
            @Schema(description = "Chain position of the event, null when an operation lacks its event",
                    nullable = true) Long seq,
            @Schema(description = "The operation concerned", nullable = true) UUID operationId,
            @Schema(description = "The event type concerned", nullable = true) String kind,
            @Schema(description = "What does not verify", required = true) String reason) {
    }
}
