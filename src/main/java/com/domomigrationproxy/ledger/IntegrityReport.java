package com.domomigrationproxy.ledger;

import java.time.Instant;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The outcome of recomputing the whole hash chain and checking it against every signed checkpoint. */
@Schema(name = "IntegrityReport")
public record IntegrityReport(
        @Schema(description = "True when the chain verifies (chainValid) and so does every checkpoint"
                + " (checkpointsValid)", required = true) boolean valid,
        @Schema(description = "Number of chain events recomputed", minimum = "0", required = true) long checked,
        @Schema(description = "Number of operations checked for missing events", minimum = "0", required = true)
        long operations,
        @Schema(description = "Sequence number of the last event", minimum = "1", nullable = true) Long lastSeq,
        @Schema(description = "Hash of the last event: keep it elsewhere to prove later that nothing before it changed",
                pattern = HashChain.HASH_PATTERN, nullable = true) String lastHash,
        @Schema(description = "When the check ran", required = true) Instant verifiedAt,
        @Schema(description = "The first record that does not verify; null when the chain verifies", nullable = true)
        Failure firstInvalid,
        @Schema(description = "The database-only check: every event verifies, every operation has its events and the"
                + " chain head matches the last event. A superuser who recomputes the chain can make it pass;"
                + " checkpointsValid cannot", required = true) boolean chainValid,
        @Schema(description = "Every stored checkpoint, the newest checkpoint file and every CHECKPOINT event of the chain"
                + " is signed by a trusted key and names a hash the chain still has at its seq", required = true) boolean checkpointsValid,
        @Schema(description = "Number of checkpoints checked (stored ones, the newest file and the chain's CHECKPOINT events)", required = true)
        long checkpointsChecked,
        @Schema(description = "The first checkpoint that fails; null when all verify", nullable = true)
        CheckpointFailure firstInvalidCheckpoint,
        @Schema(description = "How many records do not verify: every one is checked, so that one that stays (the trail"
                + " is append-only) never hides a later alteration", minimum = "0", required = true) long invalidRecords,
        @Schema(description = "The last record that does not verify, when more than one does; else null",
                nullable = true) Failure lastInvalid,
        @Schema(description = "How many checkpoints fail", minimum = "0", required = true) long invalidCheckpoints,
        @Schema(description = "The last checkpoint that fails, when more than one does (a forged row, which the"
                + " application role can insert, must not hide a later failure); else null", nullable = true)
        CheckpointFailure lastInvalidCheckpoint) {

    @Schema(name = "IntegrityFailure")
    public record Failure(
            @Schema(description = "Chain position of the event, null when an operation lacks its event",
                    nullable = true) Long seq,
            @Schema(description = "The operation concerned", nullable = true) UUID operationId,
            @Schema(description = "The event type concerned", nullable = true) String kind,
            @Schema(description = "What does not verify", required = true) String reason) {
    }

    @Schema(name = "CheckpointFailure")
    public record CheckpointFailure(
            @Schema(description = "The seq the checkpoint signed; null when it cannot be read", nullable = true)
            Long seq,
            @Schema(description = "When it was signed", nullable = true) Instant issuedAt,
            @Schema(description = "The key it names", nullable = true) String keyId,
            @Schema(description = "Where it was read: `database`, `file <name>` in PROXY_AUDIT_CHECKPOINT_DIR, or `CHECKPOINT event seq <n>`",
                    required = true) String source,
            @Schema(description = "What does not verify", required = true) String reason) {
    }
}
