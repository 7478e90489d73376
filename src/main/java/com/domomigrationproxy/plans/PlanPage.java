package com.domomigrationproxy.plans;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A page of plans, newest first. */
@Schema(name = "PlanPage", description = "A page of plans, newest first")
public record PlanPage(
        @Schema(description = "The plans", required = true) List<PlanView> items,
        @Schema(description = "Pass as cursor for the next page; null on the last page", nullable = true) String nextCursor) {
}
