package com.domomigrationproxy.audit;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.ledger.Checkpoint;

/** A page of signed checkpoints, newest first. */
@Schema(name = "CheckpointPage")
public record CheckpointPage(
        @Schema(description = "Checkpoints, newest first", required = true) List<Checkpoint> items,
        @Schema(description = "Pass as cursor to get the next page; null on the last page", nullable = true)
        String nextCursor) implements AuditAnswer {

    @Override
    public int rows() {
        return items.size();
    }
}
