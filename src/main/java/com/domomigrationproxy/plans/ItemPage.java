package com.domomigrationproxy.plans;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A page of a plan's items, in plan order. */
@Schema(name = "PlanItemPage", description = "A page of a plan's items, in plan order")
public record ItemPage(
        @Schema(description = "The items", required = true) List<ItemView> items,
        @Schema(description = "Pass as cursor for the next page; null on the last page", nullable = true) String nextCursor) {
}
