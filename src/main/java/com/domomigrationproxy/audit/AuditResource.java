package com.domomigrationproxy.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

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

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import com.domomigrationproxy.openapi.ApiDocumentation;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Roles;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.security.identity.SecurityIdentity;

/** Contract rows 6–8: the auditors' view of the trail. Every read is itself logged. */
@Path("/api/v1/audit")
@Tag(name = ApiDocumentation.AUDIT_TAG)
@SecurityRequirement(name = ApiDocumentation.JWT)
@SecurityRequirement(name = ApiDocumentation.API_KEY)
@RolesAllowed(Roles.AUDITOR)
public class AuditResource {

    /** Audit reads go to their own category so they can be routed and kept apart. */
    private static final Logger ACCESS = Logger.getLogger("audit.access");

    private final AuditQueries queries;
    private final SecurityIdentity identity;
    private final ObjectMapper json;

    @Inject
    AuditResource(AuditQueries queries, SecurityIdentity identity, ObjectMapper json) {
        this.queries = queries;
        this.identity = identity;
        this.json = json;
    }

    @GET
    @Path("/operations")
    @Produces({ MediaType.APPLICATION_JSON, OperationExport.CSV, OperationExport.NDJSON })
    @Operation(operationId = "listOperations", summary = "Query or export the audit trail",
            description = "Operations newest first. JSON answers a page (keyset `cursor`, stable while new rows"
                    + " arrive). With `Accept: text/csv` (RFC 4180, formula cells prefixed with an apostrophe) or"
                    + " `Accept: application/x-ndjson` it streams every matching Operation, unpaged, with each"
                    + " event's hash for offline verification. Role: auditor.")
    @APIResponse(responseCode = "200", description = "A page, or the whole export",
            content = {
                    @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OperationPage.class)),
                    @Content(mediaType = OperationExport.CSV, schema = @Schema(type = SchemaType.STRING)),
                    @Content(mediaType = OperationExport.NDJSON, schema = @Schema(type = SchemaType.STRING)) })
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    @APIResponse(responseCode = "401", ref = ApiDocumentation.UNAUTHORIZED)
    @APIResponse(responseCode = "403", ref = ApiDocumentation.FORBIDDEN)
    @APIResponse(responseCode = "503", ref = ApiDocumentation.UNAVAILABLE)
    public Response operations(
            @Parameter(description = "Only this datasource") @QueryParam("datasourceId") String datasourceId,
            @Parameter(description = "Only migrations to this account") @QueryParam("accountId") String accountId,
            @Parameter(description = "V1_TO_V2 or V2_TO_V1") @QueryParam("direction") String direction,
            @Parameter(description = "PENDING, COMPLETE, INCOMPLETE, ABORTED, FAILED or UNKNOWN") @QueryParam("state") String state,
            @Parameter(description = "Only this principal") @QueryParam("requestedBy") String requestedBy,
            @Parameter(description = "requestedAt at or after this ISO-8601 instant") @QueryParam("from") String from,
            @Parameter(description = "requestedAt before this ISO-8601 instant") @QueryParam("to") String to,
            @Parameter(description = "Page size, 1 to 500 (default 50); ignored by exports") @QueryParam("limit") String limit,
            @Parameter(description = "nextCursor of the previous page") @QueryParam("cursor") String cursor,
            @Context HttpHeaders headers) {
        List<Problem.FieldError> errors = new ArrayList<>();
        OperationFilter filter = OperationFilter.parse(datasourceId, accountId, direction, state, requestedBy, from, to,
                errors);
        int pageSize = OperationFilter.limit(limit, errors);
        PageCursor after = PageCursor.decode(cursor, filter, errors);
        OperationFilter.failOn(errors);

        String format = format(headers);
        ACCESS.infof("Audit read by %s: operations as %s, filter %s, cursor %s", principal(), format, filter,
                cursor != null);
        if (MediaType.APPLICATION_JSON.equals(format)) {
            return Response.ok(queries.page(filter, after, pageSize), MediaType.APPLICATION_JSON).build();
        }
        StreamingOutput export = body -> OperationExport.write(format, body, json,
                sink -> queries.export(filter, sink));
        String extension = OperationExport.CSV.equals(format) ? "csv" : "ndjson";
        return Response.ok(export, format.equals(OperationExport.CSV) ? format + "; charset=utf-8" : format)
                .header("Content-Disposition", "attachment; filename=\"operations." + extension + "\"")
                .build();
    }

    @GET
    @Path("/operations/{operationId}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "getOperation", summary = "One Operation of the audit trail",
            description = "The Operation with its links in the hash chain. Role: auditor.")
    @APIResponse(responseCode = "200", description = "The Operation",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "Operation")))
    @APIResponse(responseCode = "400", ref = ApiDocumentation.BAD_REQUEST)
    @APIResponse(responseCode = "401", ref = ApiDocumentation.UNAUTHORIZED)
    @APIResponse(responseCode = "403", ref = ApiDocumentation.FORBIDDEN)
    @APIResponse(responseCode = "404", ref = ApiDocumentation.NOT_FOUND)
    @APIResponse(responseCode = "503", ref = ApiDocumentation.UNAVAILABLE)
    public com.domomigrationproxy.audit.Operation operation(
            @Parameter(description = "The operationId (UUID)") @PathParam("operationId") String operationId) {
        UUID id = uuid(operationId);
        ACCESS.infof("Audit read by %s: operation %s", principal(), id);
        return queries.find(id).orElseThrow(() -> new ProblemException(404, ProblemType.NOT_FOUND,
                "No operation " + id + " in the audit trail"));
    }

    @GET
    @Path("/integrity")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "verifyIntegrity", summary = "Verify the audit hash chain",
            description = "Recomputes every event's hash from the operation rows and the previous hash, and checks"
                    + " that every operation has its events. `valid` is false and `firstInvalid` names the first"
                    + " record that does not verify when anything was altered, removed or reordered. Role: auditor.")
    @APIResponse(responseCode = "200", description = "The verification report",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = IntegrityReport.class)))
    @APIResponse(responseCode = "401", ref = ApiDocumentation.UNAUTHORIZED)
    @APIResponse(responseCode = "403", ref = ApiDocumentation.FORBIDDEN)
    @APIResponse(responseCode = "503", ref = ApiDocumentation.UNAVAILABLE)
    public IntegrityReport integrity() {
        IntegrityReport report = queries.verify();
        ACCESS.infof("Audit read by %s: integrity check, valid=%s, checked=%d", principal(), report.valid(),
                report.checked());
        return report;
    }

    private String principal() {
        return identity.getPrincipal().getName();
    }

    /** JSON unless the caller prefers one of the export formats. */
    private static String format(HttpHeaders headers) {
        for (MediaType acceptable : headers.getAcceptableMediaTypes()) {
            for (String offered : List.of(MediaType.APPLICATION_JSON, OperationExport.CSV, OperationExport.NDJSON)) {
                if (acceptable.isCompatible(MediaType.valueOf(offered))) {
                    return offered;
                }
            }
        }
        return MediaType.APPLICATION_JSON;
    }

    private static UUID uuid(String operationId) {
        try {
            UUID id = UUID.fromString(operationId);
            if (id.toString().equalsIgnoreCase(operationId)) {
                return id;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw ProblemException.invalid("operationId must be a UUID",
                List.of(new Problem.FieldError("operationId", "must be a UUID")));
    }
}
