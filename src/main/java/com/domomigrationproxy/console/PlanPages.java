package com.domomigrationproxy.console;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.migration.Identifiers;
import com.domomigrationproxy.migration.QueryParameters;
import com.domomigrationproxy.plans.ApprovalRequest;
import com.domomigrationproxy.plans.ItemState;
import com.domomigrationproxy.plans.ItemView;
import com.domomigrationproxy.plans.PlanEventStream;
import com.domomigrationproxy.plans.PlanPage;
import com.domomigrationproxy.plans.PlanReport;
import com.domomigrationproxy.plans.PlanService;
import com.domomigrationproxy.plans.PlanState;
import com.domomigrationproxy.plans.PlanView;
import com.domomigrationproxy.plans.Verdict;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.problem.ProblemType;
import com.domomigrationproxy.security.Requester;
import com.domomigrationproxy.security.Requesters;
import com.domomigrationproxy.security.Roles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * Plans: the list, uploading a plan as CSV, a plan's page (its preflight, the approver's view with
 * the content hash, a summary by account and every item, the operator's actions, live progress and
 * the report). Everything goes through the plan service, as the API's plan endpoints do, with the
 * same roles; the service enforces four eyes and the state rules again, so a page only leaves out
 * the buttons it would refuse.
 */
@Path(ConsoleLinks.ROOT)
@Produces(MediaType.TEXT_HTML)
@ConsolePage
@Blocking
public class PlanPages {

    static final int PLANS_SHOWN = 25;
    static final int ITEMS_SHOWN = 100;
    private static final String CSV = "text/csv";

    private final PlanService plans;
    private final PlanEventStream events;
    private final Requesters requesters;
    private final Frames frames;
    private final ConsoleFailures failures;
    private final ObjectMapper json;
    private final ConsoleNotices notices;
    private final ConsoleConfig config;

    @Inject
    PlanPages(PlanService plans, PlanEventStream events, Requesters requesters, Frames frames,
            ConsoleFailures failures, ObjectMapper json, ConsoleNotices notices, ConsoleConfig config) {
        this.plans = plans;
        this.events = events;
        this.requesters = requesters;
        this.frames = frames;
        this.failures = failures;
        this.json = json;
        this.notices = notices;
        this.config = config;
    }

    @GET
    @Path("/plans")
    @RolesAllowed({ Roles.READER, Roles.OPERATOR, Roles.APPROVER, Roles.AUDITOR })
    public TemplateInstance list(@QueryParam("state") String state, @QueryParam("cursor") String cursor) {
        List<Problem.FieldError> errors = new ArrayList<>();
        PlanState only = QueryParameters.constant("state", blank(state), PlanState.class, errors);
        QueryParameters.failOn(errors);
        PlanPage page = plans.page(only, cursor == null || cursor.isEmpty() ? null : cursor, PLANS_SHOWN);
        return Pages.plans(frames.of("Plans", Frame.Section.PLANS), new PlansView(only, page, cursor != null
                && !cursor.isEmpty()));
    }

    @GET
    @Path("/plans/new")
    @RolesAllowed(Roles.OPERATOR)
    public TemplateInstance uploadForm() {
        return Pages.planNew(frames.of("Upload a plan", Frame.Section.PLANS), NewPlanView.empty());
    }

    /** The API's CSV upload (POST /api/v1/plans with text/csv), from a form: the same format, checks and preflight. */
    @POST
    @Path("/plans")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @RolesAllowed(Roles.OPERATOR)
    public Response upload(@RestForm("name") String name, @RestForm("direction") String direction,
            @RestForm("maxConcurrency") String maxConcurrency, @RestForm("file") FileUpload file,
            @RestForm("submission") String submission) {
        byte[] csv;
        try {
            csv = file == null || file.uploadedFile() == null ? new byte[0] : Files.readAllBytes(file.uploadedFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        NewPlanView form = new NewPlanView(name, direction, maxConcurrency, null, List.of());
        if (csv.length == 0) {
            return Response.status(400).entity(Pages.planNew(frames.of("Upload a plan", Frame.Section.PLANS),
                    form.refused("Choose a CSV file that lists the plan's items.", List.of(new Problem.FieldError(
                            "file", "is required"))))).build();
        }
        try {
            // The name field is always sent: left empty it is "must be 1 to 255 characters", not the API's
            // "is required (as a query parameter with a CSV body)".
            PlanView plan = plans.createFromCsv(() -> csv, name == null ? "" : name, blank(direction),
                    blank(maxConcurrency), requesters.current(), IdempotencyStore.validate(blank(submission))).plan();
            return seeOther(plan.planId(), "created");
        } catch (ProblemException problem) {
            if (problem.status() != 400 && problem.status() != 403 && !firstStillStored(problem)) {
                throw problem;
            }
            return Response.status(problem.status()).entity(Pages.planNew(frames.of("Upload a plan",
                    Frame.Section.PLANS), form.refused(refusal(problem), errors(problem)))).build();
        }
    }

    /**
     * The form sent again while its first submission is still checked and stored by another replica
     * (on this one, uploads take turns, so the second finds the first's plan): said beside the form,
     * where a failure page named no plan and left the person to upload it once more.
     */
    static boolean firstStillStored(ProblemException problem) {
        return problem.type() == ProblemType.IDEMPOTENT_REQUEST_IN_PROGRESS;
    }

    /** Why a plan's form was not taken, in the person's terms. */
    static String refusal(ProblemException problem) {
        return firstStillStored(problem) ? "this form was sent before, and that first submission is still being"
                + " checked and stored by another replica of the service. Do not send it again: its plan appears"
                + " under Plans once it is stored." : problem.detail();
    }

    @GET
    @Path("/plans/{planId}")
    @RolesAllowed({ Roles.READER, Roles.OPERATOR, Roles.APPROVER, Roles.AUDITOR })
    public TemplateInstance plan(@PathParam("planId") String planId, @QueryParam("verdict") String verdict,
            @QueryParam("state") String state, @QueryParam("after") String after, @QueryParam("done") String done) {
        UUID id = Identifiers.uuid("planId", planId);
        // Only after this browser's own action: a link naming one shows nothing.
        return page(id, PlanPageView.Notice.done(notices.taken(id.toString(), done) ? done : null), null, verdict,
                state, after);
    }

    /** The live part of a plan's page, which the page's script asks for again whenever the plan moves. */
    @GET
    @Path("/plans/{planId}/progress")
    @RolesAllowed({ Roles.READER, Roles.OPERATOR, Roles.APPROVER, Roles.AUDITOR })
    public TemplateInstance progress(@PathParam("planId") String planId, @QueryParam("shown") String shown) {
        PlanView plan = plans.view(Identifiers.uuid("planId", planId));
        return Pages.plan$progress(new PlanProgressView(plan, shown));
    }

    /**
     * The plan's events (the API's event stream, under the console's session): from the Last-Event-ID
     * a reconnecting browser sends, else after the event the page was rendered at.
     */
    @GET
    @Path("/plans/{planId}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed({ Roles.READER, Roles.OPERATOR, Roles.APPROVER, Roles.AUDITOR })
    public Multi<OutboundSseEvent> events(@PathParam("planId") String planId, @QueryParam("after") String after,
            @HeaderParam("Last-Event-ID") String lastEventId, @Context Sse sse) {
        UUID id = Identifiers.uuid("planId", planId);
        plans.state(id);
        String from = lastEventId != null ? lastEventId : after;
        // Ended after a while, and opened again by the page's browser with its session as it then is.
        Multi<OutboundSseEvent> stream = events.stream(id, from == null ? events.horizon() : sequence(from), sse,
                requesters.current().principal(), requesters.credentialsStand());
        Duration most = config.eventStreamMax();
        return most.isNegative() || most.isZero() ? stream : stream.select().first(most);
    }

    @GET
    @Path("/plans/{planId}/report.csv")
    @Produces(CSV)
    @RolesAllowed({ Roles.READER, Roles.OPERATOR, Roles.APPROVER, Roles.AUDITOR })
    public Response report(@PathParam("planId") String planId) {
        UUID id = Identifiers.uuid("planId", planId);
        plans.state(id);
        StreamingOutput body = out -> PlanReport.write(plans, id, out);
        return Response.ok(body, CSV + "; charset=utf-8")
                .header("Content-Disposition", "attachment; filename=\"plan-" + id + "-items.csv\"").build();
    }

    /** An approver's decision on the content hash the page showed (POST …/approvals). */
    @POST
    @Path("/plans/{planId}/decision")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed(Roles.APPROVER)
    public Response decide(@PathParam("planId") String planId, @FormParam("decision") String decision,
            @FormParam("contentHash") String contentHash, @FormParam("comment") String comment) {
        UUID id = Identifiers.uuid("planId", planId);
        String text = comment == null || comment.isBlank() ? null : comment;
        ObjectNode body = json.createObjectNode();
        body.put("decision", decision);
        body.put("contentHash", contentHash);
        body.put("comment", text);
        try {
            plans.decide(id, ApprovalRequest.parse(body), requesters.current());
        } catch (ProblemException problem) {
            return refused(id, problem, comment);
        }
        return seeOther(id, "APPROVE".equals(decision) ? "approved" : "rejected");
    }

    /** Asks before a plan is cancelled (that is final); its form posts the cancel below. */
    @GET
    @Path("/plans/{planId}/cancellation")
    @RolesAllowed(Roles.OPERATOR)
    public TemplateInstance cancelPage(@PathParam("planId") String planId) {
        PlanView plan = plans.view(Identifiers.uuid("planId", planId));
        return Pages.planCancel(frames.of("Cancel " + plan.name(), Frame.Section.PLANS), new PlanCancelView(plan));
    }

    @POST
    @Path("/plans/{planId}/{action: start|pause|resume|cancel|preflight}")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed(Roles.OPERATOR)
    public Response act(@PathParam("planId") String planId, @PathParam("action") String action) {
        UUID id = Identifiers.uuid("planId", planId);
        Requester by = requesters.current();
        try {
            switch (action) {
                case "start" -> plans.start(id, by);
                case "pause" -> plans.pause(id, by);
                case "resume" -> plans.resume(id, by);
                case "cancel" -> plans.cancel(id, by);
                default -> plans.preflight(id, by);
            }
        } catch (ProblemException problem) {
            return refused(id, problem, null);
        }
        return seeOther(id, action);
    }

    /** A new reversal plan of the completed items; the page then shows it, awaiting its own approval. */
    @POST
    @Path("/plans/{planId}/rollback")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed(Roles.OPERATOR)
    public Response rollback(@PathParam("planId") String planId) {
        UUID id = Identifiers.uuid("planId", planId);
        PlanView rollback;
        try {
            rollback = plans.rollback(id, requesters.current());
        } catch (ProblemException problem) {
            return refused(id, problem, null);
        }
        return seeOther(rollback.planId(), "rollback");
    }

    @POST
    @Path("/plans/{planId}/items/{itemId}/retry")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed(Roles.OPERATOR)
    public Response retry(@PathParam("planId") String planId, @PathParam("itemId") String itemId) {
        UUID id = Identifiers.uuid("planId", planId);
        int item;
        try {
            item = Integer.parseInt(itemId);
        } catch (NumberFormatException e) {
            throw ProblemException.invalid("itemId must be an item's position in the plan",
                    List.of(new Problem.FieldError("itemId", "must be an integer from 1")));
        }
        try {
            plans.retry(id, item, requesters.current());
        } catch (ProblemException problem) {
            return refused(id, problem, null);
        }
        return seeOther(id, "retried");
    }

    /** The plan's page again, saying why the service refused (400, a self-approval's 403, 409); other failures are pages of their own. */
    private Response refused(UUID planId, ProblemException problem, String comment) {
        if (problem.status() != 400 && problem.status() != 403 && problem.status() != 409) {
            throw problem;
        }
        return Response.status(problem.status()).entity(page(planId, PlanPageView.Notice.refused(problem.detail(),
                errors(problem)), comment, null, null, null)).build();
    }

    private TemplateInstance page(UUID planId, PlanPageView.Notice notice, String comment, String verdict,
            String state, String after) {
        // Before the plan is read: every change the page cannot show has a later seq than this. Only a
        // cancelled plan of those done may still move (its items sent before the cancel).
        PlanState before = plans.state(planId);
        long eventsAfter = before.done() && before != PlanState.CANCELLED ? 0 : events.horizon();
        PlanView plan = plans.view(planId);
        List<Problem.FieldError> errors = new ArrayList<>();
        Verdict onlyVerdict = QueryParameters.constant("verdict", blank(verdict), Verdict.class, errors);
        ItemState onlyState = QueryParameters.constant("state", blank(state), ItemState.class, errors);
        QueryParameters.failOn(errors);
        int afterItem = after == null || after.isEmpty() ? 0 : position(after);
        List<ItemView> items = new ArrayList<>(plans.items(planId, onlyState, onlyVerdict, afterItem,
                ITEMS_SHOWN + 1));
        boolean more = items.size() > ITEMS_SHOWN;
        if (more) {
            items.remove(ITEMS_SHOWN);
        }
        List<PlanPageView.AccountSummary> accounts = new ArrayList<>();
        plans.itemsByAccount(planId).forEach((account, verdicts) -> accounts.add(new PlanPageView.AccountSummary(
                account, verdicts)));
        Viewer viewer = frames.viewer();
        return Pages.plan(frames.of(plan.name(), Frame.Section.PLANS), new PlanPageView(plan, viewer, items,
                onlyVerdict, onlyState, afterItem, more, accounts, notice,
                comment == null ? "" : comment, PlanProgressView.moves(plan) ? eventsAfter : 0,
                // Only a migration plan has rollbacks: a reversal plan's page reads none.
                plan.direction() == Direction.V1_TO_V2 ? plans.rollbacks(planId) : List.of(), viewer != null && viewer.operates() && PlanPageView.mayBeRolledBack(plan)
                        ? plans.itemsToRollBack(planId) : 0));
    }

    private Response seeOther(UUID planId, String done) {
        notices.leave(planId.toString(), done);
        return Response.seeOther(URI.create(ConsoleLinks.plan(planId) + new QueryString().with("done", done).text()))
                .build();
    }

    private static List<Problem.FieldError> errors(ProblemException problem) {
        return problem.extensions().errors() == null ? List.of() : problem.extensions().errors();
    }

    private static int position(String after) {
        try {
            int item = Integer.parseInt(after);
            if (item >= 0) {
                return item;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ProblemException.invalid("Invalid query parameters", List.of(new Problem.FieldError("after",
                "must be an item's position in the plan")));
    }

    private static long sequence(String value) {
        try {
            long seq = Long.parseLong(value.strip());
            if (seq >= 0) {
                return seq;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ProblemException.invalid("Not an event id of this stream", List.of(new Problem.FieldError("after",
                "must be a non-negative integer")));
    }

    private static String blank(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class,
            AuthenticationCompletionException.class, ForbiddenException.class, ProblemException.class,
            NotFoundException.class, WebApplicationException.class })
    Uni<Response> failed(RuntimeException failure) {
        return failures.answer(failure);
    }
}
