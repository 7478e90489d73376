package com.domomigrationproxy.console;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.domomigrationproxy.audit.AuditAccessRecorder;
import com.domomigrationproxy.audit.AuditedAccess;
import com.domomigrationproxy.ledger.ChainEvent;
import com.domomigrationproxy.ledger.EventQuery;
import com.domomigrationproxy.ledger.Ledger;
import com.domomigrationproxy.migration.QueryParameters;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.security.Principals;
import com.domomigrationproxy.security.Roles;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * Principals (auditor): who can do what (every API key of the file, every JWT subject and console
 * person that authenticated, with roles, scopes, key expiry and last use, as
 * GET /api/v1/audit/principals lists them), and auditors' own access to the trail, newest first
 * (the AUDIT_ACCESS events of the hash chain). On the record itself, as the audit API is.
 */
@Path(ConsoleLinks.ROOT)
@Produces(MediaType.TEXT_HTML)
@RolesAllowed(Roles.AUDITOR)
@AuditedAccess
@ConsolePage
@Blocking
public class PrincipalPages {

    static final int ACCESS_PAGE = 50;

    private final Principals principals;
    private final Ledger ledger;
    private final Frames frames;
    private final ConsoleFailures failures;
    private final ObjectMapper json;

    @Inject
    PrincipalPages(Principals principals, Ledger ledger, Frames frames, ConsoleFailures failures, ObjectMapper json) {
        this.principals = principals;
        this.ledger = ledger;
        this.frames = frames;
        this.failures = failures;
        this.json = json;
    }

    @GET
    @Path("/principals")
    public TemplateInstance principals(@QueryParam("principal") String principal,
            @QueryParam("before") String before) {
        List<Problem.FieldError> errors = new ArrayList<>();
        String subject = QueryParameters.principal("principal",
                principal == null || principal.isBlank() ? null : principal.strip(), errors);
        if (!errors.isEmpty()) {
            throw ProblemException.invalid("Invalid filter", errors);
        }
        Long beforeSeq = seq(before);
        List<Principals.Principal> known = principals.list();
        List<ChainEvent> events = ledger.newestEvents(new EventQuery(Set.of(AuditAccessRecorder.EVENT), subject, null,
                null), beforeSeq, ACCESS_PAGE + 1);
        boolean older = events.size() > ACCESS_PAGE;
        List<PrincipalsView.Access> accesses = new ArrayList<>();
        for (ChainEvent event : older ? events.subList(0, ACCESS_PAGE) : events) {
            accesses.add(PrincipalsView.Access.of(event, json));
        }
        frames.showsRecords(known.size() + accesses.size());
        return Pages.principals(frames.of("Principals", Frame.Section.PRINCIPALS),
                new PrincipalsView(known.stream().map(PrincipalsView.Row::new).toList(), accesses, subject,
                        older ? accesses.get(accesses.size() - 1).seq() : null, beforeSeq != null));
    }

    private static Long seq(String before) {
        if (before == null || before.isBlank()) {
            return null;
        }
        try {
            long seq = Long.parseLong(before);
            if (seq > 0) {
                return seq;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ProblemException.invalid("Invalid page", List.of(new Problem.FieldError("before",
                "must be a positive sequence number")));
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class,
            AuthenticationCompletionException.class, ForbiddenException.class, ProblemException.class,
            NotFoundException.class, WebApplicationException.class })
    Uni<Response> failed(RuntimeException failure) {
        return failures.answer(failure);
    }
}
