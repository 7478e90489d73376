package com.domomigrationproxy.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.domomigrationproxy.ledger.ChainEvent;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.ledger.EventQuery;
import com.domomigrationproxy.ledger.IntegrityReport;
import com.domomigrationproxy.ledger.Ledger;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.ledger.OperationState;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.RowPage;
import com.domomigrationproxy.migration.AcceptHeader;
import com.domomigrationproxy.migration.Identifiers;
import com.domomigrationproxy.migration.QueryParameters;
import com.domomigrationproxy.openapi.ApiDocumentation;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Principals;
import com.domomigrationproxy.security.Roles;

/**
 * Contract rows 6–8, the chain's events and the principals: the auditors' view. Every request is
 * itself on the record, as an AUDIT_ACCESS event ({@link AuditedAccess}).
 */
@Path("/api/v1/audit")
@Tag(name = ApiDocumentation.AUDIT_TAG)
@SecurityRequirement(name = ApiDocumentation.JWT)
@SecurityRequirement(name = ApiDocumentation.API_KEY)
@RolesAllowed(Roles.AUDITOR)
@AuditedAccess
// Responses every operation below may give (an operation's own annotation for a code wins).
@APIResponse(responseCode = "401", ref = ApiDocumentation.UNAUTHORIZED)
@APIResponse(responseCode = "403", ref = ApiDocumentation.FORBIDDEN)
@APIResponse(responseCode = "503", ref = ApiDocumentation.UNAVAILABLE)
public class AuditResource {

    private static final Pattern EVENT_TYPE = Pattern.compile(Ledger.KIND_PATTERN);

    private final OperationStore operations;
    private final Ledger ledger;
    private final Principals principals;
    private final AuditExports exports;

    @Inject
    AuditResource(OperationStore operations, Ledger ledger, Principals principals, AuditExports exports) {
        this.operations = operations;
        this.ledger = ledger;
        this.principals = principals;
        this.exports = exports;
    }

    @GET
    @Path("/operations")
    @Produces({ MediaType.APPLICATION_JSON, OperationExport.CSV, OperationExport.NDJSON })
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "listOperations",
            summary = "Query or export the audit trail",
            description = "Operations newest first. JSON answers a page (keyset `cursor`, stable while new rows"
                    + " arrive). With `Accept: text/csv` (RFC 4180, formula cells prefixed with an apostrophe) or"
                    + " `Accept: application/x-ndjson` it streams every matching Operation, unpaged (`limit` and"
                    + " `cursor` are ignored), with each event's hash. Role: auditor.")
    @APIResponse(responseCode = "200", description = "A page, or the whole export",
            content = {
                    @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OperationPage.class)),
                    @Content(mediaType = OperationExport.CSV, schema = @Schema(type = SchemaType.STRING)),
                    @Content(mediaType = OperationExport.NDJSON, schema = @Schema(type = SchemaType.STRING)) })
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    public Response operations(
            @Parameter(description = "Only this datasource",
                    schema = @Schema(type = SchemaType.STRING, pattern = Identifiers.ANCHORED_PATTERN))
            @QueryParam("datasourceId") String datasourceId,
            @Parameter(description = "Only migrations to this account",
                    schema = @Schema(type = SchemaType.STRING, pattern = Identifiers.ANCHORED_PATTERN))
            @QueryParam("accountId") String accountId,
            @Parameter(description = "Only this direction", schema = @Schema(implementation = Direction.class))
            @QueryParam("direction") String direction,
            @Parameter(description = "Only this state", schema = @Schema(implementation = OperationState.class))
            @QueryParam("state") String state,
            @Parameter(description = "Only this principal", schema = @Schema(type = SchemaType.STRING, minLength = 1,
                    maxLength = 255)) @QueryParam("requestedBy") String requestedBy,
            @Parameter(description = "requestedAt at or after this instant",
                    schema = @Schema(type = SchemaType.STRING, format = "date-time")) @QueryParam("from") String from,
            @Parameter(description = "requestedAt before this instant",
                    schema = @Schema(type = SchemaType.STRING, format = "date-time")) @QueryParam("to") String to,
            @Parameter(description = "Only operations run for this plan",
                    schema = @Schema(type = SchemaType.STRING, format = "uuid")) @QueryParam("planId") String planId,
            @Parameter(description = "true: only operations flagged for a person and not yet resolved",
                    schema = @Schema(type = SchemaType.BOOLEAN, defaultValue = "false"))
            @QueryParam("needsReview") String needsReview,
            @Parameter(description = "Page size (ignored by exports)", schema = @Schema(type = SchemaType.INTEGER,
                    format = "int32", minimum = "1", maximum = "500", defaultValue = "50"))
            @QueryParam("limit") String limit,
            @Parameter(description = "nextCursor of the previous page (ignored by exports)",
                    schema = @Schema(type = SchemaType.STRING)) @QueryParam("cursor") String cursor,
            @Context HttpHeaders headers) {
        String format = AcceptHeader.choose(headers, MediaType.APPLICATION_JSON, OperationExport.CSV,
                OperationExport.NDJSON);
        boolean export = !MediaType.APPLICATION_JSON.equals(format);
        List<Problem.FieldError> errors = new ArrayList<>();
        OperationQuery query = OperationFilter.parse(datasourceId, accountId, direction, state, requestedBy, from, to,
                planId, needsReview, errors);
        int pageSize = export ? 0 : OperationFilter.limit(limit, errors);
        OperationQuery.Position after = export ? null : PageCursor.position(cursor, query, errors);
        QueryParameters.failOn(errors);

        if (!export) {
            RowPage<Operation> page = operations.page(query, after, pageSize);
            String next = page.more() ? PageCursor.after(page.last().requestedAt(), page.last().operationId(), query)
                    : null;
            return Response.ok(new OperationPage(page.items(), next), MediaType.APPLICATION_JSON).build();
        }
        return attachment(exports.operations(format, query), format, "operations");
    }

    @GET
    @Path("/operations/{operationId}")
    @Produces(MediaType.APPLICATION_JSON)
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "getOperation",
            summary = "One Operation of the audit trail",
            description = "The Operation with its links in the hash chain. Role: auditor.")
    @APIResponse(responseCode = "200", description = "The Operation",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Operation")))
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    public Operation operation(
            @Parameter(description = "The operationId", schema = @Schema(type = SchemaType.STRING, format = "uuid"))
            @PathParam("operationId") String operationId) {
        UUID id = Identifiers.uuid("operationId", operationId);
        return operations.find(id).orElseThrow(() -> new ProblemException(404, ProblemType.NOT_FOUND,
                "No operation " + id + " in the audit trail"));
    }

    @GET
    @Path("/events")
    @Produces({ MediaType.APPLICATION_JSON, OperationExport.NDJSON })
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "listAuditEvents",
            summary = "Read or export the hash chain's events",
            description = "Events in sequence order, each with the canonical JSON its hash covers. JSON answers a"
                    + " page; `Accept: application/x-ndjson` streams every matching event (unpaged): an unfiltered"
                    + " export is what the offline verifier checks. Role: auditor.")
    @APIResponse(responseCode = "200", description = "A page, or the whole export",
            content = {
                    @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = EventPage.class)),
                    @Content(mediaType = OperationExport.NDJSON, schema = @Schema(type = SchemaType.STRING)) })
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    public Response events(
            @Parameter(description = "Only events of these types (repeatable), e.g. INTENT",
                    schema = @Schema(type = SchemaType.ARRAY, implementation = String.class))
            @QueryParam("type") List<String> types,
            @Parameter(description = "Only events about this subject (a plan id, a principal)",
                    schema = @Schema(type = SchemaType.STRING, minLength = 1, maxLength = 255))
            @QueryParam("subject") String subject,
            @Parameter(description = "Only events at or after this seq",
                    schema = @Schema(type = SchemaType.INTEGER, format = "int64", minimum = "1"))
            @QueryParam("fromSeq") String fromSeq,
            @Parameter(description = "Only events at or before this seq",
                    schema = @Schema(type = SchemaType.INTEGER, format = "int64", minimum = "1"))
            @QueryParam("toSeq") String toSeq,
            @Parameter(description = "Page size (ignored by exports)", schema = @Schema(type = SchemaType.INTEGER,
                    format = "int32", minimum = "1", maximum = "500", defaultValue = "50"))
            @QueryParam("limit") String limit,
            @Parameter(description = "nextCursor of the previous page (ignored by exports)",
                    schema = @Schema(type = SchemaType.STRING)) @QueryParam("cursor") String cursor,
            @Context HttpHeaders headers) {
        String format = AcceptHeader.choose(headers, MediaType.APPLICATION_JSON, OperationExport.NDJSON);
        boolean export = !MediaType.APPLICATION_JSON.equals(format);
        List<Problem.FieldError> errors = new ArrayList<>();
        Long from = seq("fromSeq", fromSeq, errors);
        Long to = seq("toSeq", toSeq, errors);
        if (from != null && to != null && from > to) {
            // As the operations' from and to: an empty range asked for is a mistake, not an empty answer.
            errors.add(new Problem.FieldError("fromSeq", "must not be after toSeq"));
        }
        EventQuery query = new EventQuery(eventTypes(types, errors),
                QueryParameters.principal("subject", subject, errors), from, to);
        int pageSize = export ? 0 : OperationFilter.limit(limit, errors);
        long afterSeq = export ? 0 : PageCursor.seq(cursor, query, errors);
        QueryParameters.failOn(errors);
        if (export && to != null) {
            // The export would end at the head, and the offline verifier, given the toSeq asked for as the
            // docs say, would report the seqs after it as records removed (evidence review).
            long head = ledger.headSeq();
            if (to > head) {
                QueryParameters.failOn(List.of(new Problem.FieldError("toSeq", "is beyond the chain's newest event"
                        + " (seq " + head + "): an export ends exactly at its toSeq, so ask for one the chain has")));
            }
        }

        if (!export) {
            RowPage<ChainEvent> page = ledger.events(query, afterSeq, pageSize);
            String next = page.more() ? PageCursor.after(page.last().seq(), query) : null;
            return Response.ok(new EventPage(page.items(), next), MediaType.APPLICATION_JSON).build();
        }
        return attachment(exports.events(query), format, "audit-events");
    }

    @GET
    @Path("/integrity")
    @Produces(MediaType.APPLICATION_JSON)
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "verifyIntegrity",
            summary = "Verify the audit hash chain",
            description = "Recomputes every event's hash (from the operation rows for operation events) and the"
                    + " previous hash, checks that every operation has its events and that the chain head names the"
                    + " last event. `valid` is false and `firstInvalid` names the first record that does not verify"
                    + " when anything was altered, removed or reordered. Role: auditor.")
    @APIResponse(responseCode = "200", description = "The verification report",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = IntegrityReport.class)))
    public IntegrityReport integrity() {
        return ledger.verify();
    }

    @GET
    @Path("/principals")
    @Produces(MediaType.APPLICATION_JSON)
    @org.eclipse.microprofile.openapi.annotations.Operation(operationId = "listPrincipals",
            summary = "Every principal, what it may do and when it last did something",
            description = "The API key file's keys (listed with neverUsed when they never authenticated) and every"
                    + " principal that ever authenticated (API key names and JWT subjects): roles, scopes, expiry, and"
                    + " the last successful authentication (time and client address, recorded at most once a minute"
                    + " per principal). Role: auditor.")
    @APIResponse(responseCode = "200", description = "The principals",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PrincipalPage.class)))
    public PrincipalPage principals() {
        return new PrincipalPage(principals.list());
    }

    private static Response attachment(StreamingOutput body, String format, String name) {
        String extension = OperationExport.CSV.equals(format) ? "csv" : "ndjson";
        return Response.ok(body, OperationExport.CSV.equals(format) ? format + "; charset=utf-8" : format)
                .header("Content-Disposition", "attachment; filename=\"" + name + "." + extension + "\"")
                .build();
    }

    /** The types asked for, sorted: a cursor's filters are the same whatever order the types came in. */
    private static Set<String> eventTypes(List<String> types, List<Problem.FieldError> errors) {
        Set<String> valid = new TreeSet<>();
        for (String type : types == null ? List.<String>of() : types) {
            if (type == null || !EVENT_TYPE.matcher(type).matches()) {
                errors.add(new Problem.FieldError("type", "must be an event type such as INTENT or AUDIT_ACCESS"));
            } else {
                valid.add(type);
            }
        }
        return valid;
    }

    private static Long seq(String name, String value, List<Problem.FieldError> errors) {
        if (value == null) {
            return null;
        }
        try {
            long seq = Long.parseLong(value);
            if (seq >= 1) {
                return seq;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        errors.add(new Problem.FieldError(name, "must be a positive integer"));
        return null;
    }
}
