package com.domomigrationproxy.migration;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Documents Domo's account items, which are passed through unchanged (Domo may add fields). */
@Schema(name = "IntegrationAccount", description = "A V2 account of an integration type, as Domo lists it")
record IntegrationAccount(
        @Schema(description = "Account id; use it as accountId", examples = "2") String id,
        @Schema(description = "Integration type", examples = "mysql-federated") String type,
        @Schema(description = "Account name", examples = "mysql v2 agent") String name) {
}
