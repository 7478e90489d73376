package com.domomigrationproxy.audit;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.ledger.Operation;

/** A page of the audit trail, newest first. */
@Schema(name = "OperationPage")
public record OperationPage(
        @Schema(description = "Operations, newest requestedAt first", required = true) List<Operation> items,
        @Schema(description = "Pass as cursor to get the next page; null on the last page", nullable = true)
        String nextCursor) implements AuditAnswer {

    @Override
    public int rows() {
        return items.size();
    }
}
