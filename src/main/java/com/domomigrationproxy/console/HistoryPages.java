package com.domomigrationproxy.console;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.domomigrationproxy.audit.AuditedAccess;
import com.domomigrationproxy.audit.AuditExports;
import com.domomigrationproxy.audit.OperationExport;
import com.domomigrationproxy.audit.PageCursor;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.OperationQuery;
import com.domomigrationproxy.ledger.OperationStore;
import com.domomigrationproxy.ledger.RowPage;
import com.domomigrationproxy.migration.Identifiers;
import com.domomigrationproxy.migration.QueryParameters;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Roles;

import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * History (auditor): the audit trail with every filter of the audit API, paged newest first, its
 * CSV and NDJSON exports, and one operation with everything recorded about it. Reads go through
 * the same store and filters as /api/v1/audit, and each is on the record as an AUDIT_ACCESS event,
 * as the audit API's are.
 */
@Path(ConsoleLinks.ROOT)
@Produces(MediaType.TEXT_HTML)
@RolesAllowed(Roles.AUDITOR)
@AuditedAccess
@ConsolePage
@Blocking
public class HistoryPages {

    private final OperationStore operations;
    private final Frames frames;
    private final ConsoleFailures failures;
    private final AuditExports exports;

    @Inject
    HistoryPages(OperationStore operations, Frames frames, ConsoleFailures failures, AuditExports exports) {
        this.operations = operations;
        this.frames = frames;
        this.failures = failures;
        this.exports = exports;
    }

    @GET
    @Path("/history")
    public Response history(@QueryParam("datasourceId") String datasourceId, @QueryParam("accountId") String accountId,
            @QueryParam("direction") String direction, @QueryParam("state") String state,
            @QueryParam("requestedBy") String requestedBy, @QueryParam("from") String from,
            @QueryParam("to") String to, @QueryParam("planId") String planId,
            @QueryParam("needsReview") String needsReview, @QueryParam("limit") String limit,
            @QueryParam("cursor") String cursor) {
        HistoryFilter filter = HistoryFilter.parse(datasourceId, accountId, direction, state, requestedBy, from, to,
                planId, needsReview, limit);
        List<Problem.FieldError> errors = new ArrayList<>(filter.errors());
        OperationQuery.Position after = errors.isEmpty() ? PageCursor.position(blank(cursor), filter.query(), errors)
                : null;
        Frame frame = frames.of("History", Frame.Section.HISTORY);
        if (!errors.isEmpty()) {
            return Response.status(400).entity(Pages.history(frame, new HistoryView(filter, errors, List.of(), null,
                    false))).build();
        }
        RowPage<Operation> page = operations.page(filter.query(), after, filter.limit());
        String next = page.more()
                ? PageCursor.after(page.last().requestedAt(), page.last().operationId(), filter.query()) : null;
        frames.showsRecords(page.items().size());
        return Response.ok(Pages.history(frame, new HistoryView(filter, List.of(), page.items(), next,
                after != null))).build();
    }

    @GET
    @Path("/history/export.csv")
    @Produces(OperationExport.CSV)
    public Response exportCsv(@QueryParam("datasourceId") String datasourceId,
            @QueryParam("accountId") String accountId, @QueryParam("direction") String direction,
            @QueryParam("state") String state, @QueryParam("requestedBy") String requestedBy,
            @QueryParam("from") String from, @QueryParam("to") String to, @QueryParam("planId") String planId,
            @QueryParam("needsReview") String needsReview) {
        return export(OperationExport.CSV, HistoryFilter.parse(datasourceId, accountId, direction, state, requestedBy,
                from, to, planId, needsReview, null));
    }

    @GET
    @Path("/history/export.ndjson")
    @Produces(OperationExport.NDJSON)
    public Response exportNdjson(@QueryParam("datasourceId") String datasourceId,
            @QueryParam("accountId") String accountId, @QueryParam("direction") String direction,
            @QueryParam("state") String state, @QueryParam("requestedBy") String requestedBy,
            @QueryParam("from") String from, @QueryParam("to") String to, @QueryParam("planId") String planId,
            @QueryParam("needsReview") String needsReview) {
        return export(OperationExport.NDJSON, HistoryFilter.parse(datasourceId, accountId, direction, state,
                requestedBy, from, to, planId, needsReview, null));
    }

    @GET
    @Path("/operations/{operationId}")
    public TemplateInstance operation(@PathParam("operationId") String operationId) {
        UUID id = Identifiers.uuid("operationId", operationId);
        Frame frame = frames.of("Operation " + id, Frame.Section.HISTORY);
        Operation operation = operations.find(id).orElseThrow(() -> new ProblemException(404, ProblemType.NOT_FOUND,
                "No operation " + id + " in the audit trail"));
        return Pages.operation(frame, new OperationView(operation));
    }

    private Response export(String format, HistoryFilter filter) {
        QueryParameters.failOn(filter.errors());
        StreamingOutput body = exports.operations(format, filter.query());
        String extension = OperationExport.CSV.equals(format) ? "csv" : "ndjson";
        String name = "operations-" + Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace(":", "")
                + "." + extension;
        return Response.ok(body, OperationExport.CSV.equals(format) ? format + "; charset=utf-8" : format)
                .header("Content-Disposition", "attachment; filename=\"" + name + "\"").build();
    }

    private static String blank(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class,
            AuthenticationCompletionException.class, ForbiddenException.class, ProblemException.class,
            NotFoundException.class, WebApplicationException.class })
    Uni<Response> failed(RuntimeException failure) {
        return failures.answer(failure);
    }
}
