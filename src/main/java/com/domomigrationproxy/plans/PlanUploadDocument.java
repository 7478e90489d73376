package com.domomigrationproxy.plans;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.migration.Identifiers;
import com.domomigrationproxy.migration.MigrationRequest;

/** Documents the JSON body of POST /api/v1/plans; {@link PlanUpload} reads it. */
@Schema(name = "PlanUpload", description = "A plan to upload: its settings and up to 10,000 items",
        additionalProperties = Schema.False.class)
record PlanUploadDocument(
        @Schema(description = "A name for people, 1 to 255 characters" + MigrationRequest.NAME_RULE, minLength = 1,
                maxLength = 255, examples = "Wave 1: sales", required = true) String name,
        @Schema(description = "V1_TO_V2 (migrations, the default) or V2_TO_V1 (reversals); a null is read as absent")
        Direction direction,
        @Schema(description = "Items of the plan in flight at once, over all replicas (default 4,"
                + " PROXY_PLAN_DEFAULT_MAX_CONCURRENCY); a null is read as absent", minimum = "1", maximum = "64")
        Integer maxConcurrency,
        @Schema(description = "The items, run in this order; a datasource at most once", minItems = 1,
                maxItems = PlanUpload.MAX_ITEMS, required = true) List<Item> items) {

    /** One item: a migration names its target, a reversal only the datasource. */
    @Schema(name = "PlanUploadItem", description = "A migration (all five fields) or a reversal (datasourceId only)",
            additionalProperties = Schema.False.class)
    record Item(
            @Schema(description = "V1 data source id", pattern = Identifiers.ANCHORED_PATTERN,
                    required = true) String datasourceId,
            @Schema(description = "Target V2 account id (migrations only)", pattern = Identifiers.ANCHORED_PATTERN)
            String accountId,
            @Schema(description = "Catalog, case-sensitive (migrations only)" + MigrationRequest.NAME_RULE,
                    minLength = 1, maxLength = 255) String catalog,
            @Schema(description = "Schema, case-sensitive; may be the literal NULL (migrations only)"
                    + MigrationRequest.NAME_RULE, minLength = 1, maxLength = 255) String schema,
            @Schema(description = "Table, case-sensitive (migrations only)" + MigrationRequest.NAME_RULE,
                    minLength = 1, maxLength = 255) String table) {
    }
}
