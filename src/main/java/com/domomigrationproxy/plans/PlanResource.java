package com.domomigrationproxy.plans;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.Sha256;
import com.domomigrationproxy.migration.AcceptHeader;
import com.domomigrationproxy.migration.Identifiers;
import com.domomigrationproxy.migration.QueryParameters;
import com.domomigrationproxy.openapi.ApiDocumentation;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Requesters;
import com.domomigrationproxy.security.Roles;
import com.domomigrationproxy.http.PlanBodyLimit;
import com.domomigrationproxy.http.Utf8Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.vertx.core.http.HttpServerRequest;

/** Migration plans (contract: Plans): upload, preflight, approve, run, watch, report, roll back. */
@Path("/api/v1/plans")
@Tag(name = ApiDocumentation.PLANS_TAG)
@SecurityRequirement(name = ApiDocumentation.JWT)
@SecurityRequirement(name = ApiDocumentation.API_KEY)
// Responses every operation below may give (an operation's own annotation for a code wins).
@APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
@APIResponse(responseCode = "401", ref = ApiDocumentation.UNAUTHORIZED)
@APIResponse(responseCode = "403", ref = ApiDocumentation.FORBIDDEN)
@APIResponse(responseCode = "503", ref = ApiDocumentation.UNAVAILABLE)
public class PlanResource {

    static final String CSV = "text/csv";
    private static final String PLAN_ID_DOC = "The plan's id";
    private static final int DEFAULT_LIMIT = 50;
    private static final int MAX_LIMIT = 500;
    private static final String CSV_EXAMPLE = "datasourceId,accountId,catalog,schema,table\r\n"
            + "495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01,2,sales,NULL,orders\r\n"
            + "F495e28ec-77aa-4d6e-8f10-2b3c4d5e6f70,2,sales,NULL,customers\r\n";

    private final PlanService plans;
    private final PlanEventStream events;
    private final Requesters requesters;
    private final JsonFactory planJson;
    private final PlanBodyLimit bodyLimit;
    private final Duration uploadTimeout;

    @Inject
    PlanResource(PlanService plans, PlanEventStream events, Requesters requesters, ObjectMapper json,
            PlanBodyLimit bodyLimit, PlanConfig config) {
        this.plans = plans;
        this.bodyLimit = bodyLimit;
        this.uploadTimeout = config.uploadTimeout();
        this.events = events;
        this.requesters = requesters;
        this.planJson = PlanJson.factory(json);
    }

    @POST
    @Consumes({ MediaType.APPLICATION_JSON, CSV })
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "createPlan", summary = "Upload a migration plan",
            description = "Up to 10,000 migrations (or reversals) as JSON, or as CSV with the header"
                    + " `datasourceId,accountId,catalog,schema,table` and the plan's settings as query parameters."
                    + " Every field is validated as for a single migration; a plan with any error is refused whole"
                    + " (400, each bad item or CSV line named) and nothing is stored; so is a plan with any item"
                    + " outside the caller's scopes (403 out-of-scope, each such item named). The preflight (Domo's GETs"
                    + " only) runs before the answer: each item's verdict is READY, ALREADY_DONE or BLOCKED. The plan"
                    + " then awaits approval. Role: operator.")
    @RequestBody(required = true, content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PlanUploadDocument.class),
                    examples = @ExampleObject(name = "plan", value = "{\"name\":\"Wave 1: sales\",\"direction\":"
                            + "\"V1_TO_V2\",\"maxConcurrency\":4,\"items\":[{\"datasourceId\":"
                            + "\"495e28ec-0a3b-4c5e-9a4f-0c6f6b1d2a01\",\"accountId\":\"2\",\"catalog\":\"sales\","
                            + "\"schema\":\"NULL\",\"table\":\"orders\"}]}")),
            @Content(mediaType = CSV, schema = @Schema(type = SchemaType.STRING),
                    examples = @ExampleObject(name = "csv", value = CSV_EXAMPLE)) })
    @APIResponse(responseCode = "201", description = "The plan, preflighted, awaiting approval",
            headers = { @Header(name = "Location", description = "The plan's URL",
                    schema = @Schema(type = SchemaType.STRING)),
                    @Header(name = IdempotencyStore.REPLAYED_HEADER, description = ApiDocumentation.REPLAYED,
                            schema = @Schema(type = SchemaType.BOOLEAN)) },
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PlanView.class)))
    @APIResponse(responseCode = "413", description = "The body is larger than 8 MiB",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem")))
    @APIResponse(responseCode = "409", description = "The first upload with this Idempotency-Key is still being"
            + " handled (idempotent-request-in-progress, with Retry-After)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem")))
    @APIResponse(responseCode = "415", ref = ApiDocumentation.UNSUPPORTED_MEDIA_TYPE)
    @APIResponse(responseCode = "422", ref = ApiDocumentation.UNPROCESSABLE)
    @Parameter(name = IdempotencyStore.HEADER, in = ParameterIn.HEADER, description = "Makes retries safe: the same"
            + " key with the same plan (same contentHash) within the retention period (24 h by default) gets the plan"
            + " the first upload created, as it is now, with Idempotent-Replayed: true, and nothing is created or"
            + " preflighted again; with a different plan 422; while the first is still handled 409. Scoped to the"
            + " caller. 1 to 255 visible ASCII characters.",
            schema = @Schema(type = SchemaType.STRING, minLength = 1, maxLength = 255,
                    pattern = IdempotencyStore.KEY_PATTERN))
    public Response create(
            @Parameter(description = "With a CSV body: the plan's name (1 to 255 characters)",
                    schema = @Schema(type = SchemaType.STRING, minLength = 1, maxLength = 255))
            @QueryParam("name") String name,
            @Parameter(description = "With a CSV body: V1_TO_V2 (default) or V2_TO_V1",
                    schema = @Schema(implementation = Direction.class)) @QueryParam("direction") String direction,
            @Parameter(description = "With a CSV body: items of the plan in flight at once (default 4)",
                    schema = @Schema(type = SchemaType.INTEGER, format = "int32", minimum = "1", maximum = "64"))
            @QueryParam("maxConcurrency") String maxConcurrency,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, @Context HttpServerRequest request,
            InputStream upload) {
        Optional<String> key = IdempotencyStore.fromHeaders(request.headers().getAll(IdempotencyStore.HEADER));
        // A concrete type, one of the two (web.DeclaredBodyType refused the others, and wildcards).
        MediaType type = MediaType.valueOf(contentType);
        if (type.isCompatible(MediaType.valueOf(CSV))) {
            String charset = type.getParameters().get(MediaType.CHARSET_PARAMETER);
            // As for JSON (web.DeclaredBodyType): UTF-8 by either name, or US-ASCII, its subset.
            if (charset != null && !charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")
                    && !charset.equalsIgnoreCase("us-ascii")) {
                throw new ProblemException(415, ProblemType.UNSUPPORTED_MEDIA_TYPE,
                        "Send the CSV as UTF-8 (Content-Type: text/csv or text/csv; charset=utf-8)");
            }
            return created(plans.createFromCsv(() -> read(upload), name, direction, maxConcurrency,
                    requesters.current(), key));
        }
        List<Problem.FieldError> errors = new ArrayList<>();
        for (String[] parameter : new String[][] { { "name", name }, { "direction", direction },
                { "maxConcurrency", maxConcurrency } }) {
            if (parameter[1] != null) {
                errors.add(new Problem.FieldError(parameter[0], "belongs in the JSON body, not in the query"));
            }
        }
        if (!errors.isEmpty()) {
            throw ProblemException.invalid("The plan's settings belong in the JSON body", errors);
        }
        return created(plans.createFromJson(() -> readJson(read(upload)), requesters.current(), key));
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Roles.READER, Roles.OPERATOR, Roles.APPROVER, Roles.AUDITOR })
    @Operation(operationId = "listPlans", summary = "List plans, newest first",
            description = "A page of plans with their counts; filters combine. Roles: reader, operator, approver,"
                    + " auditor.")
    @APIResponse(responseCode = "200", description = "A page of plans",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PlanPage.class)))
    public PlanPage list(
            @Parameter(description = "Only plans in this state", schema = @Schema(implementation = PlanState.class))
            @QueryParam("state") String state,
            @Parameter(description = "Only plans of this direction", schema = @Schema(implementation = Direction.class))
            @QueryParam("direction") String direction,
            @Parameter(description = "Only plans uploaded by this principal",
                    schema = @Schema(type = SchemaType.STRING, minLength = 1, maxLength = 255))
            @QueryParam("createdBy") String createdBy,
            @Parameter(description = "Page size", schema = @Schema(type = SchemaType.INTEGER, format = "int32",
                    minimum = "1", maximum = "100", defaultValue = "20")) @QueryParam("limit") String limit,
            @Parameter(description = "nextCursor of the previous page", schema = @Schema(type = SchemaType.STRING))
            @QueryParam("cursor") String cursor) {
        List<Problem.FieldError> errors = new ArrayList<>();
        PlanFilter filter = new PlanFilter(QueryParameters.constant("state", state, PlanState.class, errors),
                QueryParameters.constant("direction", direction, Direction.class, errors),
                QueryParameters.principal("createdBy", createdBy, errors));
        int pageSize = QueryParameters.limit(limit, 20, 100, errors);
        PlanFilter.Position after = filter.position(cursor, errors);
        QueryParameters.failOn(errors);
        return plans.page(filter, after, pageSize);
    }

    @GET
    @Path("/{planId}")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({ Roles.READER, Roles.OPERATOR, Roles.APPROVER, Roles.AUDITOR })
    @Operation(operationId = "getPlan", summary = "One plan, with its counts and progress",
            description = "The plan, its approvals, the number of items by state and by verdict and, while it runs,"
                    + " its pace and an estimate of the time left. Roles: reader, operator, approver, auditor.")
    @APIResponse(responseCode = "200", description = "The plan",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PlanView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    public PlanView get(@Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING,
            format = "uuid")) @PathParam("planId") String planId) {
        return plans.view(Identifiers.uuid("planId", planId));
    }

    @GET
    @Path("/{planId}/items")
    @Produces({ MediaType.APPLICATION_JSON, CSV })
    @RolesAllowed({ Roles.READER, Roles.OPERATOR, Roles.APPROVER, Roles.AUDITOR })
    @Operation(operationId = "listPlanItems", summary = "The items of a plan, or the plan's report",
            description = "Items in plan order with their verdict, state and latest operation. JSON answers a page;"
                    + " `Accept: text/csv` streams every matching item (the report; `limit` and `cursor` are"
                    + " ignored). Roles: reader, operator, approver, auditor.")
    @APIResponse(responseCode = "200", description = "A page of items, or the report",
            content = {
                    @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ItemPage.class)),
                    @Content(mediaType = CSV, schema = @Schema(type = SchemaType.STRING)) })
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    public Response items(
            @Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING, format = "uuid"))
            @PathParam("planId") String planId,
            @Parameter(description = "Only items in this state", schema = @Schema(implementation = ItemState.class))
            @QueryParam("state") String state,
            @Parameter(description = "Only items with this verdict", schema = @Schema(implementation = Verdict.class))
            @QueryParam("verdict") String verdict,
            @Parameter(description = "Page size (ignored by the report)", schema = @Schema(type = SchemaType.INTEGER,
                    format = "int32", minimum = "1", maximum = "500", defaultValue = "50"))
            @QueryParam("limit") String limit,
            @Parameter(description = "nextCursor of the previous page (ignored by the report)",
                    schema = @Schema(type = SchemaType.STRING)) @QueryParam("cursor") String cursor,
            @Context HttpHeaders headers) {
        UUID id = Identifiers.uuid("planId", planId);
        List<Problem.FieldError> errors = new ArrayList<>();
        PlanItems.Filter filter = new PlanItems.Filter(QueryParameters.constant("state", state, ItemState.class, errors),
                QueryParameters.constant("verdict", verdict, Verdict.class, errors));
        boolean report = wantsCsv(headers);
        int pageSize = report ? DEFAULT_LIMIT : QueryParameters.limit(limit, DEFAULT_LIMIT, MAX_LIMIT, errors);
        int after = report ? 0 : itemCursor(cursor, id, filter, errors);
        QueryParameters.failOn(errors);
        if (report) {
            plans.view(id);
            StreamingOutput body = out -> PlanReport.write(plans, id, filter, out);
            return Response.ok(body, CSV + "; charset=utf-8")
                    .header("Content-Disposition", "attachment; filename=\"plan-" + id + "-items.csv\"").build();
        }
        List<ItemView> page = new ArrayList<>(plans.items(id, filter, after, pageSize + 1));
        String next = null;
        if (page.size() > pageSize) {
            page.remove(pageSize);
            next = itemCursorAfter(page.get(pageSize - 1).itemId(), id, filter);
        }
        return Response.ok(new ItemPage(page, next), MediaType.APPLICATION_JSON).build();
    }

    @GET
    @Path("/{planId}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed({ Roles.READER, Roles.OPERATOR, Roles.APPROVER, Roles.AUDITOR })
    @Blocking
    @Operation(operationId = "streamPlanEvents", summary = "Watch a plan: its transitions as Server-Sent Events",
            description = "Every plan transition (event `plan`) and item transition (event `item`) since the plan was"
                    + " created, then new ones as they happen, each with its JSON as data and a growing id. Send the"
                    + " last id received as `Last-Event-ID` to resume after it. The stream ends when the plan is done"
                    + " (finished, cancelled, rejected or expired) and nothing of it can change any more, but for an"
                    + " operator's retry of an item, which reopens a finished plan (a new stream follows it). It also"
                    + " ends once the caller's credentials no longer stand (an API key removed or expired, a JWT past"
                    + " its exp): opened again with them, it is a 401. Roles: reader, operator, approver, auditor.")
    @Parameter(name = "Last-Event-ID", in = ParameterIn.HEADER, description = "Resume after this event id",
            schema = @Schema(type = SchemaType.INTEGER, format = "int64", minimum = "0"))
    @APIResponse(responseCode = "200", description = "The event stream",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(type = SchemaType.STRING),
                    examples = @ExampleObject(name = "events", value = "id: 1042\nevent: item\ndata: {\"itemId\":17,"
                            + "\"datasourceId\":\"sbx-2-0017\",\"state\":\"COMPLETE\",\"verdict\":\"READY\",\"note\":null,"
                            + "\"operationId\":\"3f1c9a52-5a4e-4b7e-9a8e-2f0c1d9b7e21\",\"attempts\":1,"
                            + "\"at\":\"2026-11-28T10:15:33.120000Z\"}\n\n")))
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    public Multi<OutboundSseEvent> events(
            @Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING, format = "uuid"))
            @PathParam("planId") String planId,
            @HeaderParam("Last-Event-ID") List<String> lastEventIds, @Context Sse sse) {
        UUID id = Identifiers.uuid("planId", planId);
        long after = 0;
        if (lastEventIds != null && !lastEventIds.isEmpty()) {
            try {
                // Given twice, the first would win in silence, as a repeated query parameter would.
                after = lastEventIds.size() == 1 ? Long.parseLong(lastEventIds.get(0).strip()) : -1;
            } catch (NumberFormatException e) {
                after = -1;
            }
            if (after < 0) {
                throw ProblemException.invalid("Last-Event-ID must be an event id received from this stream",
                        List.of(new Problem.FieldError("Last-Event-ID", "must be one non-negative integer")));
            }
        }
        plans.state(id);
        return events.stream(id, after, sse, requesters.current().principal(), requesters.credentialsStand());
    }

    @POST
    @Path("/{planId}/preflight")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "preflightPlan", summary = "Run the preflight again",
            description = "Checks the items not yet sent against Domo again (GETs only) and records their verdicts."
                    + " Allowed while the plan awaits approval, is approved or is paused; the content and so the"
                    + " approvals do not change. Role: operator.")
    @APIResponse(responseCode = "200", description = "The plan with its new verdicts",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PlanView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocumentation.PLAN_CONFLICT)
    public PlanView preflight(@Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING,
            format = "uuid")) @PathParam("planId") String planId) {
        return plans.preflight(Identifiers.uuid("planId", planId), requesters.current());
    }

    @POST
    @Path("/{planId}/approvals")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.APPROVER)
    @Operation(operationId = "decidePlan", summary = "Approve or reject a plan (four eyes)",
            description = "The decision binds to the contentHash the approver saw: another hash is a 409. The plan's"
                    + " creator cannot decide on it (403). A rejection is final; an approval counts for"
                    + " PROXY_PLAN_APPROVAL_TTL (72 h by default) if the plan has not started, and the plan is APPROVED"
                    + " once PROXY_PLAN_APPROVALS_REQUIRED approvals count. Role: approver.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ApprovalRequest.class),
            examples = @ExampleObject(name = "approve", value = "{\"decision\":\"APPROVE\",\"contentHash\":"
                    + "\"9f2c1e6b0d4a8c3e7f5b2a1d0e9c8b7a6f5e4d3c2b1a09f8e7d6c5b4a3928170\",\"comment\":"
                    + "\"Checked against the CAB ticket\"}")))
    @APIResponse(responseCode = "200", description = "The plan after the decision",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PlanView.class)))
    @APIResponse(responseCode = "403", description = "The credentials lack the role approver, or the caller created"
            + " the plan (self-approval)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(ref = "Problem")))
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocumentation.PLAN_CONFLICT)
    @APIResponse(responseCode = "415", ref = ApiDocumentation.UNSUPPORTED_MEDIA_TYPE)
    public PlanView decide(@Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING,
            format = "uuid")) @PathParam("planId") String planId, JsonNode body) {
        UUID id = Identifiers.uuid("planId", planId);
        return plans.decide(id, ApprovalRequest.parse(body), requesters.current());
    }

    @POST
    @Path("/{planId}/start")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "startPlan", summary = "Start an approved plan",
            description = "READY items wait for their turn; the others are skipped. Refused (409) before enough"
                    + " unexpired approvals; a plan whose approvals expired becomes EXPIRED. Refused (403 out-of-scope,"
                    + " each such item named) when an item is outside the caller's own scopes; the items run under"
                    + " their creator's grant. Role: operator.")
    @APIResponse(responseCode = "200", ref = ApiDocumentation.PLAN_RESULT)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocumentation.PLAN_CONFLICT)
    public PlanView start(@Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING,
            format = "uuid")) @PathParam("planId") String planId) {
        return plans.start(Identifiers.uuid("planId", planId), requesters.current());
    }

    @POST
    @Path("/{planId}/pause")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "pausePlan", summary = "Pause a running plan",
            description = "No new item starts; items in flight finish. Role: operator.")
    @APIResponse(responseCode = "200", ref = ApiDocumentation.PLAN_RESULT)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocumentation.PLAN_CONFLICT)
    public PlanView pause(@Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING,
            format = "uuid")) @PathParam("planId") String planId) {
        return plans.pause(Identifiers.uuid("planId", planId), requesters.current());
    }

    @POST
    @Path("/{planId}/resume")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "resumePlan", summary = "Resume a paused plan",
            description = "Waiting items start again. Refused (403 out-of-scope, each such item named) when an item"
                    + " still waiting is outside the caller's own scopes; the plan stays PAUSED. Role: operator.")
    @APIResponse(responseCode = "200", ref = ApiDocumentation.PLAN_RESULT)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocumentation.PLAN_CONFLICT)
    public PlanView resume(@Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING,
            format = "uuid")) @PathParam("planId") String planId) {
        return plans.resume(Identifiers.uuid("planId", planId), requesters.current());
    }

    @POST
    @Path("/{planId}/cancel")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "cancelPlan", summary = "Cancel a plan",
            description = "Items that have not started are skipped; items in flight finish. Final. Role: operator.")
    @APIResponse(responseCode = "200", ref = ApiDocumentation.PLAN_RESULT)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocumentation.PLAN_CONFLICT)
    public PlanView cancel(@Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING,
            format = "uuid")) @PathParam("planId") String planId) {
        return plans.cancel(Identifiers.uuid("planId", planId), requesters.current());
    }

    @POST
    @Path("/{planId}/rollback")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "rollbackPlan", summary = "Create the plan that reverses a plan's completed items",
            description = "For a finished or cancelled V1_TO_V2 plan: a new V2_TO_V1 plan of the items that"
                    + " changed Domo or may have (COMPLETE, INCOMPLETE, and FAILED on a 5xx or an unreadable 2xx),"
                    + " preflighted, awaiting its own approval. Role: operator.")
    @APIResponse(responseCode = "201", description = "The rollback plan, awaiting approval",
            headers = @Header(name = "Location", description = "The rollback plan's URL",
                    schema = @Schema(type = SchemaType.STRING)),
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PlanView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocumentation.PLAN_CONFLICT)
    public Response rollback(@Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING,
            format = "uuid")) @PathParam("planId") String planId) {
        return created(plans.rollback(Identifiers.uuid("planId", planId), requesters.current())).build();
    }

    @POST
    @Path("/{planId}/items/{itemId}/retry")
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.OPERATOR)
    @Operation(operationId = "retryPlanItem", summary = "Send an INCOMPLETE, ABORTED or FAILED item again",
            description = "The item waits for its turn again; a finished plan runs again for it. Items are never"
                    + " sent again otherwise. An item a preflight skipped after it was sent may be sent again too"
                    + " (its verdict becomes READY; its reason keeps what the preflight found). Refused (403 out-of-scope) when the item is outside the caller's own"
                    + " scopes. Role: operator.")
    @APIResponse(responseCode = "200", description = "The item, waiting",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ItemView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocumentation.PLAN_CONFLICT)
    public ItemView retry(
            @Parameter(description = PLAN_ID_DOC, schema = @Schema(type = SchemaType.STRING, format = "uuid"))
            @PathParam("planId") String planId,
            @Parameter(description = "The item's id: its position in the plan, from 1",
                    schema = @Schema(type = SchemaType.INTEGER, format = "int32", minimum = "1", maximum = "10000"))
            @PathParam("itemId") String itemId) {
        UUID id = Identifiers.uuid("planId", planId);
        return plans.retry(id, itemId(itemId), requesters.current());
    }

    private static Response created(PlanService.Created created) {
        Response.ResponseBuilder response = created(created.plan());
        if (created.replayed()) {
            response.header(IdempotencyStore.REPLAYED_HEADER, "true");
        }
        return response.build();
    }

    private static Response.ResponseBuilder created(PlanView plan) {
        return Response.created(URI.create("/api/v1/plans/" + plan.planId())).entity(plan)
                .type(MediaType.APPLICATION_JSON);
    }

    /**
     * The body, held to the plan's limit as it is read (one sent in chunks announced no length), within
     * the upload timeout: it is read while no other upload is.
     */
    private byte[] read(InputStream upload) {
        try {
            return bodyLimit.read(upload, uploadTimeout);
        } catch (IOException e) {
            throw new ProblemException(400, ProblemType.INVALID_REQUEST, "The plan could not be read to its end");
        }
    }

    private JsonNode readJson(byte[] body) {
        Utf8Json.requireUtf8(body, "The plan");
        try {
            return PlanJson.read(planJson, body);
        } catch (JsonProcessingException e) {
            var location = e.getLocation();
            throw new ProblemException(400, ProblemType.INVALID_REQUEST, "The plan is not valid JSON" + (location == null
                    ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean wantsCsv(HttpHeaders headers) {
        return CSV.equals(AcceptHeader.choose(headers, MediaType.APPLICATION_JSON, CSV));
    }

    private static int itemId(String value) {
        try {
            int id = Integer.parseInt(value);
            if (id >= 1 && id <= PlanUpload.MAX_ITEMS) {
                return id;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ProblemException.invalid("itemId must be an item's position in the plan, from 1 to "
                + PlanUpload.MAX_ITEMS, List.of(new Problem.FieldError("itemId", "must be an integer from 1 to "
                        + PlanUpload.MAX_ITEMS)));
    }

    private static String itemCursorAfter(int itemId, UUID planId, PlanItems.Filter filter) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((itemId + "|" + digest(planId, filter))
                .getBytes(StandardCharsets.UTF_8));
    }

    private static int itemCursor(String cursor, UUID planId, PlanItems.Filter filter,
            List<Problem.FieldError> errors) {
        if (cursor == null) {
            return 0;
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", -1);
            if (parts.length == 2 && parts[1].equals(digest(planId, filter))) {
                return Integer.parseInt(parts[0]);
            }
        } catch (RuntimeException e) {
            // reported below
        }
        errors.add(new Problem.FieldError("cursor", "is not a cursor issued for this plan's items and these filters"));
        return 0;
    }

    /** Binds a cursor to its plan and filters: another plan's cursor would page that plan from a stranger's item. */
    private static String digest(UUID planId, PlanItems.Filter filter) {
        return Sha256.hex(planId + "|" + filter).substring(0, 16);
    }
}
