package com.domomigrationproxy.migration;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Documents Domo's candidate items, which are passed through unchanged (Domo may add fields). */
@Schema(name = "MigrationCandidate", description = "A V1 data source of an account, as Domo lists it")
record MigrationCandidate(
        @Schema(description = "Data source id; use it as datasourceId",
                examples = "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01") String id,
        @Schema(description = "Data source name", examples = "MySQL Table 1") String name,
        @Schema(description = "Whether it has been migrated to V2", examples = "false") boolean migrated,
        @Schema(description = "When it was migrated, as Domo reports it", nullable = true) String migrationDate) {
}
