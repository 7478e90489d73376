package com.domomigrationproxy.console;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

import com.domomigrationproxy.idempotency.IdempotencyStore;
import com.domomigrationproxy.ledger.Direction;
import com.domomigrationproxy.migration.Identifiers;
import com.domomigrationproxy.migration.MigrationService;
import com.domomigrationproxy.plans.PlanService;
import com.domomigrationproxy.plans.PlanView;
import com.domomigrationproxy.problem.Problem;
import com.domomigrationproxy.problem.ProblemException;
import com.domomigrationproxy.security.Requesters;
import com.domomigrationproxy.security.Roles;
import com.domomigrationproxy.security.Scopes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.AuthenticationCompletionException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * The Domo browser (reader, operator): integration types, their accounts, and an account's
 * candidates with their migration status, read from Domo through the same service as the API's
 * list operations (so through the same circuit breaker, retries and deadlines, and within the
 * person's scopes). An operator ticks candidates and makes a plan of them.
 */
@Path(ConsoleLinks.ROOT)
@Produces(MediaType.TEXT_HTML)
@RolesAllowed({ Roles.READER, Roles.OPERATOR })
@ConsolePage
@Blocking
public class DomoPages {

    private final MigrationService migrations;
    private final PlanService plans;
    private final ObjectMapper json;
    private final Requesters requesters;
    private final Frames frames;
    private final ConsoleFailures failures;
    private final ConsoleNotices notices;

    @Inject
    DomoPages(MigrationService migrations, PlanService plans, ObjectMapper json, Requesters requesters, Frames frames,
            ConsoleFailures failures, ConsoleNotices notices) {
        this.notices = notices;
        this.migrations = migrations;
        this.plans = plans;
        this.json = json;
        this.requesters = requesters;
        this.frames = frames;
        this.failures = failures;
    }

    @GET
    @Path("/domo")
    public TemplateInstance types() {
        List<DomoType> types = new ArrayList<>();
        Scopes scopes = requesters.current().scopes();
        migrations.integrationTypes(scopes).await().indefinitely().tree().forEach(type -> types.add(new DomoType(type.isTextual() ? type.textValue()
                : type.toString())));
        return Pages.domoTypes(frames.of("Domo", Frame.Section.DOMO), types, scopes.integrationTypes() != null);
    }

    @GET
    @Path("/domo/types/{integrationType}")
    public TemplateInstance accounts(@PathParam("integrationType") String integrationType) {
        String type = Identifiers.require("integrationType", integrationType);
        List<DomoAccount> accounts = new ArrayList<>();
        Scopes scopes = requesters.current().scopes();
        migrations.accounts(type, scopes).await().indefinitely().tree().forEach(account -> accounts.add(new DomoAccount(text(account, "id"),
                text(account, "name"), text(account, "type"))));
        return Pages.domoAccounts(frames.of("Accounts of " + type, Frame.Section.DOMO), type, accounts,
                scopes.accounts() != null);
    }

    @GET
    @Path("/domo/accounts/{accountId}")
    public TemplateInstance candidates(@PathParam("accountId") String accountId,
            @QueryParam("type") String integrationType) {
        String account = Identifiers.require("accountId", accountId);
        return candidatesPage(account, integrationType, Selection.none(account));
    }

    /**
     * A plan of migrations of the candidates ticked on the page to this account, through the plan
     * service as POST /api/v1/plans would: validated whole, preflighted, then awaiting approval. A
     * refused one shows the page again, as it was sent, with each error at its field or row.
     */
    @POST
    @Path("/domo/accounts/{accountId}/plan")
    // Multipart from the page: a form posts two fields per candidate, and Quarkus REST reads at most
    // 1,000 urlencoded ones (a fixed limit), against quarkus.http.limits.max-parameters for multipart.
    @Consumes({ MediaType.MULTIPART_FORM_DATA, MediaType.APPLICATION_FORM_URLENCODED })
    @RolesAllowed(Roles.OPERATOR)
    public Response createPlan(@PathParam("accountId") String accountId, @FormParam("type") String integrationType,
            @FormParam("name") String name, @FormParam("catalog") String catalog, @FormParam("schema") String schema,
            @FormParam("maxConcurrency") String maxConcurrency, @FormParam("row") List<String> rows,
            @FormParam("table") List<String> tables, @FormParam("item") List<String> ticked,
            @FormParam("submission") String submission) {
        String account = Identifiers.require("accountId", accountId);
        Map<String, String> tableOf = new LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            tableOf.put(rows.get(i), i < tables.size() ? tables.get(i) : "");
        }
        List<String> chosen = ticked.stream().filter(tableOf::containsKey).distinct().toList();
        Selection sent = new Selection(name, catalog, schema, maxConcurrency, Set.copyOf(chosen), tableOf, null,
                List.of());
        ObjectNode plan = json.createObjectNode();
        plan.put("name", blank(name));
        plan.put("direction", Direction.V1_TO_V2.name());
        if (blank(maxConcurrency) != null) {
            try {
                plan.put("maxConcurrency", Integer.parseInt(maxConcurrency.strip()));
            } catch (NumberFormatException e) {
                // The plan's own check names the field and its bounds.
                plan.put("maxConcurrency", maxConcurrency);
            }
        }
        ArrayNode items = plan.putArray("items");
        for (String datasource : chosen) {
            items.addObject().put("datasourceId", datasource).put("accountId", account).put("catalog", blank(catalog))
                    .put("schema", blank(schema)).put("table", blank(tableOf.get(datasource)));
        }
        try {
            PlanView created = plans.createFromJson(() -> plan, requesters.current(),
                    IdempotencyStore.validate(blank(submission))).plan();
            notices.leave(created.planId().toString(), "created");
            return Response.seeOther(URI.create(ConsoleLinks.plan(created.planId()) + "?done=created")).build();
        } catch (ProblemException problem) {
            if (problem.status() != 400 && problem.status() != 403 && !PlanPages.firstStillStored(problem)) {
                throw problem;
            }
            List<Problem.FieldError> errors = problem.extensions().errors() == null ? List.of()
                    : problem.extensions().errors();
            Selection refused = sent.refused(PlanPages.refusal(problem), errors, chosen);
            TemplateInstance page;
            try {
                page = candidatesPage(account, integrationType, refused);
            } catch (ProblemException domo) {
                if (domo.status() < 500) {
                    throw domo; // not Domo's failure (the account outside the person's scopes): its own page
                }
                // Domo's list cannot be read again (throttled, down, the breaker open): the page is drawn from
                // the rows sent, so that nothing ticked or typed is lost with a failure page (console review).
                page = page(account, integrationType, new CandidatesView(tableOf.keySet().stream()
                        .map(id -> new DomoCandidate(id, null, false, null)).toList(), refused.refused(
                                refused.detail() + " (Domo's list of candidates could not be read again: " + domo.detail()
                                        + " The candidates you sent are shown, without their names.)", errors, chosen),
                        true, true));
            }
            return Response.status(problem.status()).entity(page).build();
        }
    }

    private TemplateInstance candidatesPage(String account, String integrationType, Selection selection) {
        List<DomoCandidate> candidates = new ArrayList<>();
        migrations.candidates(account, requesters.current().scopes()).await().indefinitely().tree().forEach(
                candidate -> candidates.add(new DomoCandidate(text(candidate, "id"), text(candidate, "name"),
                        candidate.path("migrated").asBoolean(false), text(candidate, "migrationDate"))));
        return page(account, integrationType, new CandidatesView(candidates, selection,
                frames.viewer() != null && frames.viewer().operates()));
    }

    private TemplateInstance page(String account, String integrationType, CandidatesView candidates) {
        String type = Identifiers.valid(integrationType) ? integrationType : null;
        return Pages.domoCandidates(frames.of("Candidates of account " + account, Frame.Section.DOMO), type, account,
                candidates, requesters.current().scopes().datasources() != null);
    }

    private static String blank(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /** A field as text, whatever JSON type Domo sent it as; null when absent. */
    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        return value.isValueNode() ? value.asText() : value.toString();
    }

    /** An integration type; one that is no valid identifier is listed but cannot be opened. */
    public record DomoType(String name) {

        public boolean browsable() {
            return Identifiers.valid(name);
        }
    }

    /** An account, with Domo's field names. */
    public record DomoAccount(String id, String name, String type) {

        public boolean browsable() {
            return Identifiers.valid(id);
        }
    }

    /** A candidate, with Domo's field names. */
    public record DomoCandidate(String id, String name, boolean migrated, String migrationDate) {
    }

    /** An account's candidates, how many of them are migrated, and the selection of a plan made of them. */
    public record CandidatesView(List<DomoCandidate> items, Selection selection, boolean operates, boolean unread) {

        public CandidatesView(List<DomoCandidate> items, Selection selection, boolean operates) {
            this(items, selection, operates, false);
        }

        public long migrated() {
            return items.stream().filter(DomoCandidate::migrated).count();
        }

        /** Candidates still on V1 that a plan can name: migrated ones and ids no plan accepts get no checkbox. */
        public boolean selectable(DomoCandidate candidate) {
            return !candidate.migrated() && Identifiers.valid(candidate.id());
        }

        /** The page offers to make a plan: to an operator, when a candidate can be in one. */
        public boolean selecting() {
            return operates && items.stream().anyMatch(this::selectable);
        }
    }

    /**
     * The form that makes a plan of ticked candidates: the plan's name, the catalog and schema every
     * item shares, each row's table; and, when the service refused it, why, field by field.
     */
    public record Selection(String name, String catalog, String schema, String maxConcurrency, Set<String> ticked,
            Map<String, String> tables, String detail, List<Problem.FieldError> errors, List<String> order) {

        Selection(String name, String catalog, String schema, String maxConcurrency, Set<String> ticked,
                Map<String, String> tables, String detail, List<Problem.FieldError> errors) {
            this(name, catalog, schema, maxConcurrency, ticked, tables, detail, errors, List.of());
        }

        static Selection none(String account) {
            return new Selection("Account " + account + ": selection", "", "", "4", Set.of(), Map.of(), null,
                    List.of());
        }

        Selection refused(String why, List<Problem.FieldError> problems, List<String> sentOrder) {
            return new Selection(name, catalog, schema, maxConcurrency, ticked, tables, why, problems, sentOrder);
        }

        public boolean ticked(DomoCandidate candidate) {
            return ticked.contains(candidate.id());
        }

        public String table(DomoCandidate candidate) {
            return tables.getOrDefault(candidate.id(), "");
        }

        /** The error of a plan-wide field: name, maxConcurrency, or catalog and schema (reported on any item). */
        public String error(String field) {
            return errors.stream().filter(error -> error.field().equals(field)
                    || error.field().matches("items\\[\\d+]\\." + field)).map(Problem.FieldError::message)
                    .findFirst().orElse(null);
        }

        /** The error of a row's table. */
        public String tableError(DomoCandidate candidate) {
            int index = order.indexOf(candidate.id());
            return index < 0 ? null : errors.stream().filter(error -> error.field().equals("items[" + index + "].table"))
                    .map(Problem.FieldError::message).findFirst().orElse(null);
        }

        /** Errors no field of the form shows: no candidate ticked, items outside the person's scopes. */
        public List<String> otherErrors() {
            List<String> other = new ArrayList<>();
            for (Problem.FieldError error : errors) {
                String field = error.field();
                if (field.equals("items")) {
                    // The only other error of the whole list is too many ticked, which the page's notice says.
                    other.add(error.message().startsWith("must list at least one") ? "Tick at least one candidate."
                            : "Too many candidates ticked: a plan " + error.message() + ".");
                } else if (field.matches("items\\[\\d+]\\.(accountId|datasourceId)")) {
                    int index = Integer.parseInt(field.substring(6, field.indexOf(']')));
                    other.add((index < order.size() ? order.get(index) : field) + ": " + error.message());
                }
            }
            return other;
        }
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class,
            AuthenticationCompletionException.class, ForbiddenException.class, ProblemException.class,
            NotFoundException.class, WebApplicationException.class })
    Uni<Response> failed(RuntimeException failure) {
        return failures.answer(failure);
    }
}
