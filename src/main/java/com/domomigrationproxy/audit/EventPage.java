package com.domomigrationproxy.audit;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.ledger.ChainEvent;

/** A page of the hash chain, in sequence order. */
@Schema(name = "AuditEventPage")
public record EventPage(
        @Schema(description = "Events, lowest seq first", required = true) List<ChainEvent> items,
        @Schema(description = "Pass as cursor to get the next page; null on the last page", nullable = true)
        String nextCursor) implements AuditAnswer {

    @Override
    public int rows() {
        return items.size();
    }
}
