package com.domomigrationproxy.openapi;

import jakarta.ws.rs.core.Application;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Components;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeIn;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.info.Contact;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.servers.Server;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.security.ApiKeyAuthenticationMechanism;

/**
 * The parts of the OpenAPI document shared by every operation: info, the two security schemes and
 * the problem answers. Resources refer to these by the constants below.
 */
@OpenAPIDefinition(
        info = @Info(title = "domo-migration-proxy API", version = "1.0.0",
                description = "Domo's Federated V1 to V2 migration operations behind authentication, role checks and"
                        + " an audit trail. The Domo developer token stays inside the service.",
                contact = @Contact(name = "domo-migration-proxy maintainers")),
        servers = @Server(url = "/", description = "This service"),
        tags = {
                @Tag(name = ApiDocumentation.MIGRATION_TAG,
                        description = "Listing and moving Federated data sources between V1 and V2"),
                @Tag(name = ApiDocumentation.AUDIT_TAG,
                        description = "The audit trail: query, export, integrity verification and principals;"
                                + " every request is itself recorded as an AUDIT_ACCESS event"),
                @Tag(name = ApiDocumentation.PLANS_TAG,
                        description = "Migration plans: many migrations or reversals, preflighted, approved by a"
                                + " second person, run across replicas, with live progress and rollback") },
        components = @Components(
                securitySchemes = {
                        @SecurityScheme(securitySchemeName = ApiDocumentation.JWT, type = SecuritySchemeType.HTTP,
                                scheme = "bearer", bearerFormat = "JWT",
                                description = "MicroProfile JWT; roles from the groups claim"),
                        @SecurityScheme(securitySchemeName = ApiDocumentation.API_KEY,
                                type = SecuritySchemeType.APIKEY, in = SecuritySchemeIn.HEADER, apiKeyName = ApiKeyAuthenticationMechanism.HEADER,
                                description = "A key listed (as SHA-256) in PROXY_API_KEYS_FILE") },
                responses = {
                        @APIResponse(name = ApiDocumentation.OPERATION_RESULT, responseCode = "200",
                                description = "Domo answered with a result, whatever its state; the audited Operation",
                                headers = @Header(name = IdempotencyStore.REPLAYED_HEADER,
                                        description = ApiDocumentation.REPLAYED, schema = @Schema(type = SchemaType.BOOLEAN)),
                                content = @Content(mediaType = MediaType.APPLICATION_JSON,
                                        schema = @Schema(ref = "Operation"),
                                        examples = @ExampleObject(name = "complete", value = ApiDocumentation.OPERATION_EXAMPLE))),
                        @APIResponse(name = ApiDocumentation.BAD_REQUEST, responseCode = "400",
                                description = "Invalid path parameter, query parameter, header (an empty or repeated"
                                        + " Host, a Transfer-Encoding not ending in chunked) or body; Domo was not called."
                                        + " Or Domo's own 400, passed through (domo-rejected-request, with Domo's detail"
                                        + " and domoToe)",
                                headers = @Header(name = IdempotencyStore.REPLAYED_HEADER,
                                        description = ApiDocumentation.REPLAYED, schema = @Schema(type = SchemaType.BOOLEAN)),
                                content = @Content(mediaType = "application/problem+json",
                                        schema = @Schema(ref = "Problem"),
                                        examples = @ExampleObject(name = "invalid", value = "{\"type\":"
                                                + "\"urn:problem-type:domo-migration-proxy:invalid-request\",\"title\":"
                                                + "\"The request is invalid\",\"status\":400,\"detail\":"
                                                + "\"The migration request is invalid\",\"instance\":"
                                                + "\"/api/v1/datasources/495e/migrations\",\"requestId\":"
                                                + "\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"errors\":[{\"field\":"
                                                + "\"catalog\",\"message\":\"is required\"}]}"))),
                        @APIResponse(name = ApiDocumentation.UNAUTHORIZED, responseCode = "401",
                                description = "No or invalid credentials (unauthenticated), or an expired API key"
                                        + " (credentials-expired)",
                                headers = @Header(name = HttpHeaders.WWW_AUTHENTICATE, description = "Bearer and ApiKey challenges",
                                        schema = @Schema(type = SchemaType.STRING)),
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.FORBIDDEN, responseCode = "403",
                                description = "The credentials lack the role this operation needs (forbidden), or"
                                        + " the caller's scopes do not include the integration type, account or data"
                                        + " source (out-of-scope); Domo was not called",
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.NOT_FOUND, responseCode = "404",
                                description = "No such resource",
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.DOMO_CLIENT_ERROR, responseCode = "4XX",
                                description = "Domo answered with a 4xx other than 401, 403 and 429, passed through with"
                                        + " Domo's status (404 the usual one: an unknown account or data source; any"
                                        + " other 4xx Domo sends, such as 409, 410 or 422, too); detail and domoToe are Domo's",
                                headers = @Header(name = IdempotencyStore.REPLAYED_HEADER,
                                        description = ApiDocumentation.REPLAYED, schema = @Schema(type = SchemaType.BOOLEAN)),
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.CONFLICT, responseCode = "409",
                                description = "Another operation on this datasource is in flight or has an unknown"
                                        + " outcome not yet reconciled (runningOperationId), or the first request with"
                                        + " this Idempotency-Key is still running (see Retry-After). Or Domo's own 409,"
                                        + " passed through (domo-rejected-request)",
                                headers = {
                                        @Header(name = HttpHeaders.RETRY_AFTER, description = "Seconds to wait, when the"
                                                + " first request with this Idempotency-Key is still running",
                                                schema = @Schema(type = SchemaType.INTEGER, format = "int32", minimum = "0")),
                                        @Header(name = IdempotencyStore.REPLAYED_HEADER, description = ApiDocumentation.REPLAYED,
                                                schema = @Schema(type = SchemaType.BOOLEAN)) },
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.PLAN_RESULT, responseCode = "200",
                                description = "The plan after the transition",
                                content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Plan"))),
                        @APIResponse(name = ApiDocumentation.PLAN_CONFLICT, responseCode = "409",
                                description = "The plan's state (or the item's) does not allow this (plan-state,"
                                        + " plan-item-state), the contentHash is not the plan's, or the stored plan no"
                                        + " longer hashes to it at start, resume or retry (plan-content-mismatch),"
                                        + " the plan lacks unexpired approvals (plan-not-approved), or the approver has"
                                        + " already decided (duplicate-decision)",
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.UNPROCESSABLE, responseCode = "422",
                                description = "The Idempotency-Key was first used with a different request. Or"
                                        + " Domo's own 422, passed through (domo-rejected-request)",
                                headers = @Header(name = IdempotencyStore.REPLAYED_HEADER,
                                        description = ApiDocumentation.REPLAYED, schema = @Schema(type = SchemaType.BOOLEAN)),
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.TOO_MANY_REQUESTS, responseCode = "429",
                                description = "The caller started too many migrations and reversals this minute",
                                headers = @Header(name = HttpHeaders.RETRY_AFTER, description = "Seconds until the next one is allowed",
                                        schema = @Schema(type = SchemaType.INTEGER, format = "int32", minimum = "0")),
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.UNSUPPORTED_MEDIA_TYPE, responseCode = "415",
                                description = "The body is not sent as a type this operation takes, named in"
                                        + " Content-Type: application/json in UTF-8 (a plan upload: or text/csv)",
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.BAD_GATEWAY, responseCode = "502",
                                description = "Domo rejected the service's token, failed (5xx), redirected, answered"
                                        + " unreadably or could not be reached; operationId names the audited Operation",
                                headers = @Header(name = IdempotencyStore.REPLAYED_HEADER,
                                        description = ApiDocumentation.REPLAYED, schema = @Schema(type = SchemaType.BOOLEAN)),
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.UNAVAILABLE, responseCode = "503",
                                description = "Domo answered 429 or calls to Domo are paused after repeated failures"
                                        + " (see Retry-After), the audit store is unavailable (Domo was not called),"
                                        + " the bodies being read at once hold their ceiling (busy; nothing was read), a"
                                        + " migrate or reverse finds the replica's at their limit in flight (busy; nothing"
                                        + " was recorded), or the replica is shutting down (busy, Retry-After: 1; another"
                                        + " replica answers)",
                                headers = @Header(name = HttpHeaders.RETRY_AFTER, description = "Seconds to wait, when Domo rate limits",
                                        schema = @Schema(type = SchemaType.INTEGER, format = "int32", minimum = "0")),
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.EXPECTATION_FAILED, responseCode = "417",
                                description = "An Expect header other than 100-continue; nothing was read or done",
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.NOT_ACCEPTABLE, responseCode = "406",
                                description = "The Accept header allows no media type this operation answers in",
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.PAYLOAD_TOO_LARGE, responseCode = "413",
                                description = "The body is larger than 64 KiB (also a body sent to an operation that"
                                        + " reads none); it was not used, and nothing was sent to Domo",
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.INTERNAL_ERROR, responseCode = "500",
                                description = "The service failed; the problem's requestId (as X-Request-Id) finds its"
                                        + " log lines. A migration or reversal it failed in keeps its audit record",
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))),
                        @APIResponse(name = ApiDocumentation.GATEWAY_TIMEOUT, responseCode = "504",
                                description = "The deadline passed without a Domo answer; a migration or reversal is"
                                        + " recorded as UNKNOWN",
                                headers = @Header(name = IdempotencyStore.REPLAYED_HEADER,
                                        description = ApiDocumentation.REPLAYED, schema = @Schema(type = SchemaType.BOOLEAN)),
                                content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem"))) }))
public class ApiDocumentation extends Application {

    /** The Idempotent-Replayed header's meaning, on every answer a repeated Idempotency-Key can get back. */
    public static final String REPLAYED = "true when this is the stored answer to an earlier request with the same"
            + " Idempotency-Key; absent otherwise";

    public static final String MIGRATION_TAG = "Migration";
    public static final String AUDIT_TAG = "Audit";
    public static final String PLANS_TAG = "Plans";
    public static final String PLAN_CONFLICT = "PlanConflict";
    public static final String PLAN_RESULT = "PlanResult";
    public static final String NOT_FOUND = "NotFound";
    public static final String JWT = "jwt";
    public static final String API_KEY = "apiKey";
    public static final String OPERATION_RESULT = "OperationResult";
    public static final String BAD_REQUEST = "BadRequest";
    public static final String UNAUTHORIZED = "Unauthorized";
    public static final String FORBIDDEN = "Forbidden";
    public static final String DOMO_CLIENT_ERROR = "DomoClientError";
    public static final String CONFLICT = "Conflict";
    public static final String UNPROCESSABLE = "Unprocessable";
    public static final String TOO_MANY_REQUESTS = "TooManyRequests";
    public static final String UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType";
    public static final String BAD_GATEWAY = "BadGateway";
    public static final String UNAVAILABLE = "Unavailable";
    public static final String GATEWAY_TIMEOUT = "GatewayTimeout";
    public static final String NOT_ACCEPTABLE = "NotAcceptable";
    public static final String INTERNAL_ERROR = "InternalError";
    public static final String PAYLOAD_TOO_LARGE = "PayloadTooLarge";
    public static final String EXPECTATION_FAILED = "ExpectationFailed";
    static final String OPERATION_EXAMPLE = "{\"operationId\":\"3f1c9a52-5a4e-4b7e-9a8e-2f0c1d9b7e21\","
            + "\"direction\":\"V1_TO_V2\",\"datasourceId\":\"495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01\",\"accountId\":\"1\","
            + "\"catalog\":\"MyCatalogName\",\"schema\":\"MySchemaName\",\"table\":\"MyTableName\",\"state\":\"COMPLETE\","
            + "\"toe\":\"DM4X9GT6H5-5ERQX-MPDO6\",\"startTime\":\"2026-11-28T10:15:30Z\",\"endTime\":\"2026-11-28T10:15:33Z\","
            + "\"errorMessage\":null,\"requestedBy\":\"billing-svc\",\"requestedAt\":\"2026-11-28T10:15:29.870Z\","
            + "\"completedAt\":\"2026-11-28T10:15:33.120Z\",\"requestId\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
            + "\"upstreamStatus\":200,\"authMethod\":\"api-key\",\"clientAddress\":\"10.1.2.3\",\"durationMs\":3120}";
}
