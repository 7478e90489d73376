package com.domomigrationproxy.console;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.domomigrationproxy.audit.AuditedAccess;
import com.domomigrationproxy.ledger.Operation;
import com.domomigrationproxy.ledger.RowPage;
import com.domomigrationproxy.migration.Identifiers;
import com.domomigrationproxy.migration.OperationResolutions;
import com.domomigrationproxy.migration.Resolution;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Requesters;
import com.domomigrationproxy.security.Roles;
import com.domomigrationproxy.security.Scopes;

import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * Reviews: the operations whose outcome Domo could not tell, each locking its datasource until a
 * person records how it ended. Operators resolve them here (the same path as
 * POST /api/v1/operations/{id}/reconciliation); auditors see the queue. An operator who is not
 * also an auditor sees only the operations its scopes let it resolve.
 */
@Path(ConsoleLinks.ROOT)
@Produces(MediaType.TEXT_HTML)
@ConsolePage
@Blocking
public class ReviewPages {

    /** More than a person works through at once; the page says when there are more. */
    static final int SHOWN = 200;

    private final OperationResolutions resolutions;
    private final Requesters requesters;
    private final Frames frames;
    private final ConsoleFailures failures;
    private final ConsoleNotices notices;

    @Inject
    ReviewPages(OperationResolutions resolutions, Requesters requesters, Frames frames, ConsoleFailures failures,
            ConsoleNotices notices) {
        this.notices = notices;
        this.resolutions = resolutions;
        this.requesters = requesters;
        this.frames = frames;
        this.failures = failures;
    }

    /** Shows records of the audit trail, so on the record as an AUDIT_ACCESS event. */
    @GET
    @Path("/reviews")
    @RolesAllowed({ Roles.OPERATOR, Roles.AUDITOR })
    @AuditedAccess
    public Response reviews(@QueryParam("resolved") String resolved) {
        UUID done = resolved == null ? null : Identifiers.uuid("resolved", resolved);
        // Only after this browser's own resolution: a link naming one shows nothing.
        if (done != null && !notices.taken(done.toString(), "resolved")) {
            done = null;
        }
        return Response.ok(page(ReviewsView.Submission.resolved(done))).build();
    }

    @POST
    @Path("/reviews/{operationId}")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed(Roles.OPERATOR)
    public Response resolve(@PathParam("operationId") String operationId, @FormParam("state") String state,
            @FormParam("note") String note) {
        UUID id = Identifiers.uuid("operationId", operationId);
        try {
            // Browsers send a textarea's line breaks as CRLF; Resolution keeps them as LF, as the API does.
            resolutions.resolve(id, Resolution.of(state, note), requesters.current());
        } catch (ProblemException problem) {
            // Refused for the form (400), the operation's state (409) or the person's scopes (403): the queue again,
            // the refusal beside the operation and the note kept.
            if (problem.status() != 400 && problem.status() != 409 && problem.type() != ProblemType.OUT_OF_SCOPE) {
                throw problem;
            }
            return Response.status(problem.status())
                    .entity(page(ReviewsView.Submission.refused(id, state, note, problem))).build();
        }
        notices.leave(id.toString(), "resolved");
        return Response.seeOther(URI.create(ConsoleLinks.REVIEWS + new QueryString().with("resolved", id).text()))
                .build();
    }

    private TemplateInstance page(ReviewsView.Submission submission) {
        // Auditors read the whole trail; an operator who is not one sees what its scopes let it resolve.
        Frame frame = frames.of("Reviews", Frame.Section.REVIEWS);
        Scopes scopes = requesters.current().scopes();
        Optional<Scopes> within = frame.viewer().audits() || scopes.equals(Scopes.UNRESTRICTED) ? Optional.empty()
                : Optional.of(scopes);
        RowPage<Operation> flagged = resolutions.queue(within, SHOWN);
        boolean more = flagged.more();
        List<Operation> shown = flagged.items();
        frames.showsRecords(shown.size());
        // An auditor who also operates under scopes sees the whole queue, but may resolve only within them.
        Set<UUID> resolvable = !frame.viewer().operates() || scopes.equals(Scopes.UNRESTRICTED) || within.isPresent()
                ? null
                : resolutions.resolvableWithin(scopes, shown).stream().map(Operation::operationId)
                        .collect(Collectors.toSet());
        return Pages.reviews(frame, new ReviewsView(shown, more, within.isPresent(), submission, resolvable));
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class,
            AuthenticationCompletionException.class, ForbiddenException.class, ProblemException.class,
            NotFoundException.class, WebApplicationException.class })
    Uni<Response> failed(RuntimeException failure) {
        return failures.answer(failure);
    }
}
