package com.domomigrationproxy.ledger;

import java.time.Instant;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Scopes;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What was asked, by whom and when: everything the PENDING row records before Domo is called, and
 * nothing of it ever changes afterwards. Part of the flat Operation JSON.
 */
public record OperationIntent(
        @Schema(description = "V1_TO_V2 for a migration, V2_TO_V1 for a reversal", required = true) Direction direction,
        @Schema(description = "Domo data source id", examples = "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01",
                required = true) String datasourceId,
        @Schema(description = "Target V2 account; null for a reversal", examples = "1",
                nullable = true) String accountId,
        @Schema(description = "Catalog; null for a reversal", examples = "MyCatalogName", nullable = true) String catalog,
        @Schema(description = "Schema (may be the literal NULL); null for a reversal", examples = "MySchemaName",
                nullable = true) String schema,
        @Schema(description = "Table; null for a reversal", examples = "MyTableName", nullable = true) String table,
        @Schema(description = "Who asked: JWT principal or API key name", examples = "billing-svc",
                required = true) String requestedBy,
        @Schema(description = "When the request was accepted and audited", required = true) Instant requestedAt,
        @Schema(description = "X-Request-Id of the request that asked for it", required = true) String requestId,
        @Schema(description = "How the requester authenticated: jwt, api-key, or oidc (a person signed in to the"
                + " console)", examples = "api-key",
                required = true) String authMethod,
        @Schema(description = "Client address the request came from", nullable = true) String clientAddress,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "The migration plan this operation ran for; absent for a single request",
                nullable = true) UUID planId,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "The scopes of the grant the operation ran under, as they were when it was asked for"
                + " ({} is unrestricted); absent for operations recorded before scopes existed",
                nullable = true) Scopes scopes) {

    public static OperationIntent migration(String datasourceId, String accountId, String catalog, String schema,
            String table, Requester requester) {
        return new OperationIntent(Direction.V1_TO_V2, datasourceId, accountId, catalog, schema, table,
                requester.principal(), null, requester.requestId(), requester.authMethod(), requester.clientAddress(),
                null, requester.scopes());
    }

    public static OperationIntent reversal(String datasourceId, Requester requester) {
        return new OperationIntent(Direction.V2_TO_V1, datasourceId, null, null, null, null, requester.principal(),
                null, requester.requestId(), requester.authMethod(), requester.clientAddress(), null,
                requester.scopes());
    }

    /** The same intent, run for a plan. */
    public OperationIntent forPlan(UUID plan) {
        return new OperationIntent(direction, datasourceId, accountId, catalog, schema, table, requestedBy, requestedAt,
                requestId, authMethod, clientAddress, plan, scopes);
    }

    /** The same intent without where it was asked from and under which grant, which only auditors read. */
    OperationIntent withoutClientAndGrant() {
        return new OperationIntent(direction, datasourceId, accountId, catalog, schema, table, requestedBy, requestedAt,
                requestId, authMethod, null, planId, null);
    }

    OperationIntent at(Instant time) {
        return new OperationIntent(direction, datasourceId, accountId, catalog, schema, table, requestedBy, time,
                requestId, authMethod, clientAddress, planId, scopes);
    }
}
