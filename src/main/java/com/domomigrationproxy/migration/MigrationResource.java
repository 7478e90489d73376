package com.domomigrationproxy.migration;

import java.util.Optional;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.domomigrationproxy.domo.DomoList;
import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.openapi.ApiDocumentation;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Requesters;
import com.domomigrationproxy.security.Roles;
import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/** Contract rows 1–5: Domo's five migration operations behind our authentication and audit trail. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = ApiDocumentation.MIGRATION_TAG)
@SecurityRequirement(name = ApiDocumentation.JWT)
@SecurityRequirement(name = ApiDocumentation.API_KEY)
// Responses every operation below may give (an operation's own annotation for a code wins).
@APIResponse(responseCode = "401", ref = ApiDocumentation.UNAUTHORIZED)
@APIResponse(responseCode = "403", ref = ApiDocumentation.FORBIDDEN)
@APIResponse(responseCode = "503", ref = ApiDocumentation.UNAVAILABLE)
public class MigrationResource {

    static final String IDEMPOTENCY_KEY_DOC = "Makes retries safe: the same key with the same request within the"
            + " retention period (24 h by default) gets the stored answer with Idempotent-Replayed: true and Domo is"
            + " not called again; with a different request 422; while the first is still running 409. A key whose"
            + " request Domo certainly did nothing with (its 429, its 401 or 403 to the service's token, a redirect,"
            + " calls paused, no token, connection refused) is released, so the same request's retry runs (another"
            + " request with it is still 422). Scoped to the caller."
            + " 1 to 255 visible ASCII characters.";

    private final MigrationService migrations;
    private final OperationResolutions resolutions;
    private final Requesters requesters;

    @Inject
    MigrationResource(MigrationService migrations, OperationResolutions resolutions, Requesters requesters) {
        this.migrations = migrations;
        this.resolutions = resolutions;
        this.requesters = requesters;
    }

    @GET
    @Path("/integration-types")
    @RolesAllowed({ Roles.READER, Roles.OPERATOR })
    @Operation(operationId = "listIntegrationTypes", summary = "List integration types",
            description = "Domo's federated integration types that can be migrated (Domo `GET /types`). Roles: reader, operator.")
    @APIResponse(responseCode = "200", description = "The integration types, as Domo lists them",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(type = SchemaType.ARRAY, implementation = String.class),
                    examples = @ExampleObject(name = "types", value = "[\"mysql-federated\", \"snowflake-federated\"]")))
    @APIResponse(responseCode = "404", ref = ApiDocumentation.DOMO_CLIENT_ERROR)
    @APIResponse(responseCode = "4XX", ref = ApiDocumentation.DOMO_CLIENT_ERROR)
    @APIResponse(responseCode = "502", ref = ApiDocumentation.BAD_GATEWAY)
    @APIResponse(responseCode = "504", ref = ApiDocumentation.GATEWAY_TIMEOUT)
    public Uni<Response> integrationTypes() {
        return migrations.integrationTypes(requesters.current().scopes()).map(MigrationResource::json);
    }

    @GET
    @Path("/integration-types/{integrationType}/accounts")
    @RolesAllowed({ Roles.READER, Roles.OPERATOR })
    @Operation(operationId = "listAccounts", summary = "List the V2 accounts of an integration type",
            description = "The accounts that can receive migrated data sources (Domo `GET /accounts/{integrationType}`)."
                    + " Roles: reader, operator.")
    @APIResponse(responseCode = "200", description = "The accounts, with Domo's field names",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(type = SchemaType.ARRAY, implementation = IntegrationAccount.class),
                    examples = @ExampleObject(name = "accounts",
                            value = "[{\"id\":\"2\",\"type\":\"mysql-federated\",\"name\":\"mysql v2 agent\"}]")))
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.DOMO_CLIENT_ERROR)
    @APIResponse(responseCode = "4XX", ref = ApiDocumentation.DOMO_CLIENT_ERROR)
    @APIResponse(responseCode = "502", ref = ApiDocumentation.BAD_GATEWAY)
    @APIResponse(responseCode = "504", ref = ApiDocumentation.GATEWAY_TIMEOUT)
    public Uni<Response> accounts(
            @Parameter(description = "Integration type, e.g. mysql-federated",
                    schema = @Schema(type = SchemaType.STRING, pattern = Identifiers.ANCHORED_PATTERN))
            @PathParam("integrationType") String integrationType) {
        return migrations.accounts(Identifiers.require("integrationType", integrationType),
                requesters.current().scopes()).map(MigrationResource::json);
    }

    @GET
    @Path("/accounts/{accountId}/candidates")
    @RolesAllowed({ Roles.READER, Roles.OPERATOR })
    @Operation(operationId = "listCandidates", summary = "List the V1 data sources of an account",
            description = "The data sources that can be migrated to the account, and whether they already are"
                    + " (Domo `GET /candidates/{accountId}`). Roles: reader, operator.")
    @APIResponse(responseCode = "200", description = "The candidates, with Domo's field names",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(type = SchemaType.ARRAY, implementation = MigrationCandidate.class),
                    examples = @ExampleObject(name = "candidates", value = "[{\"id\":\"495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01\","
                            + "\"name\":\"MySQL Table 1\",\"migrated\":false,\"migrationDate\":null}]")))
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.DOMO_CLIENT_ERROR)
    @APIResponse(responseCode = "4XX", ref = ApiDocumentation.DOMO_CLIENT_ERROR)
    @APIResponse(responseCode = "502", ref = ApiDocumentation.BAD_GATEWAY)
    @APIResponse(responseCode = "504", ref = ApiDocumentation.GATEWAY_TIMEOUT)
    public Uni<Response> candidates(
            @Parameter(description = "V2 account id, from the accounts list",
                    schema = @Schema(type = SchemaType.STRING, pattern = Identifiers.ANCHORED_PATTERN))
            @PathParam("accountId") String accountId) {
        return migrations.candidates(Identifiers.require("accountId", accountId), requesters.current().scopes())
                .map(MigrationResource::json);
    }

    @POST
    @Path("/datasources/{datasourceId}/migrations")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "migrateDatasource", summary = "Migrate a V1 data source to V2",
            description = "Records the request in the audit trail (state PENDING), calls Domo"
                    + " `POST /{datasourceId}/accounts/{accountId}`, records the outcome and returns it."
                    + " Whatever Domo's state (COMPLETE, INCOMPLETE, ABORTED), the answer is 200;"
                    + " INCOMPLETE means content may be broken until the migration is re-attempted. Role: operator.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = MigrationRequest.class),
            examples = @ExampleObject(name = "migration", value = "{\"accountId\":\"1\",\"catalog\":\"MyCatalogName\","
                    + "\"schema\":\"MySchemaName\",\"table\":\"MyTableName\"}")))
    @APIResponse(responseCode = "200", ref = ApiDocumentation.OPERATION_RESULT)
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.DOMO_CLIENT_ERROR)
    @APIResponse(responseCode = "4XX", ref = ApiDocumentation.DOMO_CLIENT_ERROR)
    @APIResponse(responseCode = "409", ref = ApiDocumentation.CONFLICT)
    @APIResponse(responseCode = "415", ref = ApiDocumentation.UNSUPPORTED_MEDIA_TYPE)
    @APIResponse(responseCode = "422", ref = ApiDocumentation.UNPROCESSABLE)
    @APIResponse(responseCode = "429", ref = ApiDocumentation.TOO_MANY_REQUESTS)
    @APIResponse(responseCode = "502", ref = ApiDocumentation.BAD_GATEWAY)
    @APIResponse(responseCode = "504", ref = ApiDocumentation.GATEWAY_TIMEOUT)
    @Parameter(name = IdempotencyStore.HEADER, in = ParameterIn.HEADER, description = IDEMPOTENCY_KEY_DOC,
            schema = @Schema(type = SchemaType.STRING, minLength = 1, maxLength = 255,
                    pattern = IdempotencyStore.KEY_PATTERN))
    public Response migrate(
            @Parameter(description = "V1 data source id, from the candidates list",
                    schema = @Schema(type = SchemaType.STRING, pattern = Identifiers.ANCHORED_PATTERN))
            @PathParam("datasourceId") String datasourceId,
            JsonNode body, @Context HttpServerRequest request) {
        String datasource = Identifiers.require("datasourceId", datasourceId);
        return respond(migrations.migrate(datasource, MigrationRequest.parse(body), requesters.current(),
                idempotencyKey(request)));
    }

    @POST
    @Path("/datasources/{datasourceId}/reversals")
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "reverseMigration", summary = "Reverse the migration of a data source",
            description = "Records the request in the audit trail (state PENDING), calls Domo"
                    + " `POST /{datasourceId}/reverse`, records the outcome and returns it. No body. Role: operator.")
    @APIResponse(responseCode = "200", ref = ApiDocumentation.OPERATION_RESULT)
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.DOMO_CLIENT_ERROR)
    @APIResponse(responseCode = "4XX", ref = ApiDocumentation.DOMO_CLIENT_ERROR)
    @APIResponse(responseCode = "409", ref = ApiDocumentation.CONFLICT)
    @APIResponse(responseCode = "422", ref = ApiDocumentation.UNPROCESSABLE)
    @APIResponse(responseCode = "429", ref = ApiDocumentation.TOO_MANY_REQUESTS)
    @APIResponse(responseCode = "502", ref = ApiDocumentation.BAD_GATEWAY)
    @APIResponse(responseCode = "504", ref = ApiDocumentation.GATEWAY_TIMEOUT)
    @Parameter(name = IdempotencyStore.HEADER, in = ParameterIn.HEADER, description = IDEMPOTENCY_KEY_DOC,
            schema = @Schema(type = SchemaType.STRING, minLength = 1, maxLength = 255,
                    pattern = IdempotencyStore.KEY_PATTERN))
    public Response reverse(
            @Parameter(description = "Data source id",
                    schema = @Schema(type = SchemaType.STRING, pattern = Identifiers.ANCHORED_PATTERN))
            @PathParam("datasourceId") String datasourceId,
            @Context HttpServerRequest request) {
        return respond(migrations.reverse(Identifiers.require("datasourceId", datasourceId), requesters.current(),
                idempotencyKey(request)));
    }

    @POST
    @Path("/operations/{operationId}/reconciliation")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "resolveOperation", summary = "Record by hand how an unresolved operation ended",
            description = "For an operation whose outcome nobody knows (UNKNOWN, abandoned PENDING, or flagged for"
                    + " review because Domo's candidates could not tell): records COMPLETE (took effect) or ABORTED"
                    + " (did not) with the reason, next to what was known, as a RECONCILIATION event naming the"
                    + " caller. The datasource is unlocked. Answered with the Operation, without its chain links, and"
                    + " without the client address and scopes of whoever asked for it unless the caller did (not as a"
                    + " plan's starter: a plan's operation runs under its creator's scopes) or is also an auditor."
                    + " Role: operator.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Resolution.class),
            examples = @ExampleObject(name = "resolution", value = "{\"state\":\"COMPLETE\",\"note\":\"Checked in"
                    + " Domo's admin UI: the data source is on V2 since 10:15\"}")))
    @APIResponse(responseCode = "200", ref = ApiDocumentation.OPERATION_RESULT)
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "409", description = "The operation is resolved already, or Domo may still be carrying"
            + " it out (operation-resolved; the detail says from when a resolution is allowed)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem")))
    @APIResponse(responseCode = "415", ref = ApiDocumentation.UNSUPPORTED_MEDIA_TYPE)
    public com.domomigrationproxy.ledger.Operation resolve(
            @Parameter(description = "The operation's id", schema = @Schema(type = SchemaType.STRING, format = "uuid"))
            @PathParam("operationId") String operationId,
            JsonNode body, @Context SecurityContext security) {
        Requester requester = requesters.current();
        com.domomigrationproxy.ledger.Operation resolved = resolutions.resolve(
                Identifiers.uuid("operationId", operationId), Resolution.parse(body), requester);
        // Its links in the hash chain are the audit API's, as in every answer of this API; so are where a
        // colleague asked from and under which grant, shown to an auditor or to the requester alone. A
        // plan's operation is requested by its starter under its creator's grant: not the starter's to see.
        boolean own = resolved.intent().planId() == null
                && requester.principal().equals(resolved.intent().requestedBy())
                && requester.authMethod().equals(resolved.intent().authMethod());
        return own || security.isUserInRole(Roles.AUDITOR) ? resolved.withoutChain() : resolved.withoutRequesterDetails();
    }

    private static Optional<String> idempotencyKey(HttpServerRequest request) {
        return IdempotencyStore.fromHeaders(request.headers().getAll(IdempotencyStore.HEADER));
    }

    /** A list as JSON: Domo's own bytes when nothing in them had to change (no tree built and written again). */
    private static Response json(DomoList list) {
        return Response.ok(list.bytes(), MediaType.APPLICATION_JSON_TYPE).build();
    }

    private static Response respond(MigrationService.Answer answer) {
        Response.ResponseBuilder response = Response.ok(answer.body(), MediaType.APPLICATION_JSON);
        return answer.replayed() ? response.header(IdempotencyStore.REPLAYED_HEADER, "true").build() : response.build();
    }
}
