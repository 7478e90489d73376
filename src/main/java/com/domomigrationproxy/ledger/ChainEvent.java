package com.domomigrationproxy.ledger;

import java.time.Instant;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One event of the audit hash chain, with the exact text its hash covers. */
@Schema(name = "AuditEvent", description = "An event of the audit hash chain")
public record ChainEvent(
        @Schema(description = "Position in the chain, gap-free from 1", minimum = "1", required = true) long seq,
        @Schema(description = "INTENT, OUTCOME, RECONCILIATION, REVIEW (about an operation) or an event about no"
                + " operation (plans, AUDIT_ACCESS, CHECKPOINT)", examples = "INTENT", pattern = Ledger.KIND_PATTERN,
                required = true) String type,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "The operation the event is about, if any", nullable = true) UUID operationId,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "What an event about no operation concerns (a plan id, a principal); its payload"
                + " repeats it as subject", nullable = true) String subject,
        @Schema(description = "When the event was appended; an event about no operation repeats it in its payload"
                + " (recordedAt), which the hash covers", required = true) Instant recordedAt,
        @Schema(description = "Hash of the previous event (64 zeros for the first)", pattern = HashChain.HASH_PATTERN,
                required = true) String prevHash,
        @Schema(description = "sha256 hex of prevHash, a newline and payload", pattern = HashChain.HASH_PATTERN,
                required = true) String hash,
        @Schema(description = "The event's canonical JSON, exactly the text the hash covers; parse it to read the"
                + " event. Null only for an operation event whose row is gone or holds values the service never writes"
                + " (deleted or altered behind its back; the integrity check names it)", required = true, nullable = true) String payload) {
}
