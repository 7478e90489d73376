package com.domomigrationproxy.console;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.domomigrationproxy.audit.AuditedAccess;
import com.domomigrationproxy.audit.OperationExport;
import com.domomigrationproxy.ledger.EventQuery;
import com.domomigrationproxy.ledger.IntegrityReport;
import com.domomigrationproxy.ledger.Ledger;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.security.Roles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * Evidence (auditor): the integrity check of the hash chain, run on request, and the exports an
 * auditor verifies offline with deploy/audit/verify_export.py. Each request is on the record as an
 * AUDIT_ACCESS event, as the audit API's are.
 */
@Path(ConsoleLinks.ROOT)
@Produces(MediaType.TEXT_HTML)
@RolesAllowed(Roles.AUDITOR)
@AuditedAccess
@ConsolePage
@Blocking
public class EvidencePages {

    private final Ledger ledger;
    private final Frames frames;
    private final ConsoleFailures failures;
    private final ObjectWriter jsonLines;

    @Inject
    EvidencePages(Ledger ledger, Frames frames, ConsoleFailures failures, ObjectMapper json) {
        this.ledger = ledger;
        this.frames = frames;
        this.failures = failures;
        this.jsonLines = OperationExport.jsonLines(json);
    }

    @GET
    @Path("/evidence")
    public TemplateInstance evidence() {
        return Pages.evidence(frames.of("Evidence", Frame.Section.EVIDENCE), null);
    }

    /** Runs the check; htmx swaps the result into the page, a plain form post gets the whole page. */
    @POST
    @Path("/evidence/integrity")
    public TemplateInstance integrity(@HeaderParam("HX-Request") String htmx) {
        Frame frame = frames.of("Evidence", Frame.Section.EVIDENCE);
        IntegrityReport report = ledger.verify();
        return htmx != null ? Pages.evidence$integrity(report) : Pages.evidence(frame, report);
    }

    /** Every event of the chain, in sequence order, as the audit API's unfiltered events export. */
    @GET
    @Path("/evidence/events.ndjson")
    @Produces(OperationExport.NDJSON)
    public Response events() {
        StreamingOutput body = OperationExport.events(jsonLines, sink -> ledger.streamEvents(EventQuery.ALL, sink));
        String name = "audit-events-" + Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace(":", "")
                + ".ndjson";
        return Response.ok(body, OperationExport.NDJSON)
                .header("Content-Disposition", "attachment; filename=\"" + name + "\"").build();
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class,
            AuthenticationCompletionException.class, ForbiddenException.class, ProblemException.class,
            NotFoundException.class, WebApplicationException.class })
    Uni<Response> failed(RuntimeException failure) {
        return failures.answer(failure);
    }
}
